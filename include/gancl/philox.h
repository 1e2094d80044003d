/* SPDX-License-Identifier: MIT */
/* Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
 * 3", SC'11): the counter-based generator behind every random number in
 * gan-cl. The host version here and cl/random.cl compute the same bits, so a
 * seed gives the same uniforms on every device (normals agree to the
 * accuracy of each device's log/sqrt/cos, a few ulp). */
#ifndef GANCL_PHILOX_H
#define GANCL_PHILOX_H

#include <stdint.h>

void gc_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Element i of a draw (seed, stream, counter), as the device computes it:
 * block i/4 of Philox(ctr = {i/4, stream, counter lo, counter hi},
 * key = {seed lo, seed hi}). */
float gc_philox_uniform(uint64_t seed, uint32_t stream, uint64_t counter, uint64_t i);
float gc_philox_normal(uint64_t seed, uint32_t stream, uint64_t counter, uint64_t i);

#endif
