# SPDX-License-Identifier: MIT
"""Philox4x32-10 in numpy, bit-identical to include/gancl/philox.h, so fixture
generators draw the same inputs the C tests draw (inputs need not be stored)."""
import numpy as np

MASK32 = 0xFFFFFFFF


def philox4x32(c, k):
    """Philox4x32-10 on arrays of uint64 holding 32-bit words."""
    c0, c1, c2, c3 = c
    k0, k1 = k
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & np.uint64(MASK32)
        hi1, lo1 = p1 >> np.uint64(32), p1 & np.uint64(MASK32)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = (k0 + np.uint64(0x9E3779B9)) & np.uint64(MASK32)
        k1 = (k1 + np.uint64(0xBB67AE85)) & np.uint64(MASK32)
    return c0, c1, c2, c3


def philox_uniform(seed, stream, counter, n):
    """gc_philox_uniform(seed, stream, counter, i) for i < n, as float64 (exact)."""
    i = np.arange(n, dtype=np.uint64)
    blk = i // np.uint64(4)
    ones = np.ones_like(blk)
    c = (blk & np.uint64(MASK32), ones * np.uint64(stream), ones * np.uint64(counter & MASK32),
         ones * np.uint64(counter >> 32))
    k = (ones * np.uint64(seed & MASK32), ones * np.uint64(seed >> 32))
    w = np.stack(philox4x32(c, k), axis=1)  # (n, 4)
    word = w[np.arange(n), (i % np.uint64(4)).astype(np.int64)]
    return (word >> np.uint64(8)).astype(np.float64) * (1.0 / 16777216.0)


