// SPDX-License-Identifier: MIT
// Philox4x32-10 random tensors; bit-identical to host/core/philox.c (see
// include/gancl/philox.h for the counter layout). One work-item per element:
// recomputing the 4-word block per element costs ~40 integer ops, far below
// a memory round trip, and keeps every element independent of work sizes.

uint4 philox4x32(uint4 c, uint2 k)
{
    for (int r = 0; r < 10; r++) {
        uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
        uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
        c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
        k += (uint2)(0x9E3779B9u, 0xBB67AE85u);
    }
    return c;
}

uint4 philox_block(ulong seed, uint stream, ulong counter, ulong blk)
{
    return philox4x32((uint4)((uint)blk, stream, (uint)counter, (uint)(counter >> 32)),
                      (uint2)((uint)seed, (uint)(seed >> 32)));
}

uint word_of(uint4 w, int j)
{
    return j == 0 ? w.x : j == 1 ? w.y : j == 2 ? w.z : w.w;
}

// y[i] ~ U[0, 1)
__kernel void rand_uniform_fwd(__global float *y, const ulong y_off, const ulong n,
                               const ulong seed, const uint stream, const ulong counter)
{
    ulong i = get_global_id(0);
    if (i >= n) return;
    uint4 w = philox_block(seed, stream, counter, i / 4);
    y[y_off + i] = (float)(word_of(w, (int)(i % 4)) >> 8) * (1.0f / 16777216.0f);
}

// y[i] ~ N(0, 1) by Box-Muller over word pairs (0,1) and (2,3)
__kernel void rand_normal_fwd(__global float *y, const ulong y_off, const ulong n,
                              const ulong seed, const uint stream, const ulong counter)
{
    ulong i = get_global_id(0);
    if (i >= n) return;
    uint4 w = philox_block(seed, stream, counter, i / 4);
    int pair = (int)(i % 4) / 2 * 2;
    float u1 = ((float)(word_of(w, pair) >> 8) + 0.5f) * (1.0f / 16777216.0f);
    float u2 = (float)(word_of(w, pair + 1) >> 8) * (1.0f / 16777216.0f);
    float r = sqrt(-2.0f * log(u1)), th = 6.2831853071795864769f * u2;
    y[y_off + i] = (i % 2 == 0) ? r * cos(th) : r * sin(th);
}
