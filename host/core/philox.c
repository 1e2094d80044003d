/* SPDX-License-Identifier: MIT */
/* Host Philox4x32-10, bit-identical to cl/random.cl (see gancl/philox.h). */
#include "gancl/philox.h"

#include <math.h>

void gc_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

static void block(uint64_t seed, uint32_t stream, uint64_t counter, uint64_t blk, uint32_t w[4])
{
    uint32_t ctr[4] = {(uint32_t)blk, stream, (uint32_t)counter, (uint32_t)(counter >> 32)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    gc_philox4x32(ctr, key, w);
}

/* 24 random bits -> [0, 1), exact in float. */
static float to_unit(uint32_t w)
{
    return (float)(w >> 8) * (1.0f / 16777216.0f);
}

float gc_philox_uniform(uint64_t seed, uint32_t stream, uint64_t counter, uint64_t i)
{
    uint32_t w[4];
    block(seed, stream, counter, i / 4, w);
    return to_unit(w[i % 4]);
}

float gc_philox_normal(uint64_t seed, uint32_t stream, uint64_t counter, uint64_t i)
{
    uint32_t w[4];
    block(seed, stream, counter, i / 4, w);
    int pair = (int)(i % 4) / 2 * 2;
    /* Box-Muller; u1 in (0, 1) so log never sees 0. */
    float u1 = ((float)(w[pair] >> 8) + 0.5f) * (1.0f / 16777216.0f);
    float u2 = to_unit(w[pair + 1]);
    float r = sqrtf(-2.0f * logf(u1)), th = 6.2831853071795864769f * u2;
    return (i % 2 == 0) ? r * cosf(th) : r * sinf(th);
}
