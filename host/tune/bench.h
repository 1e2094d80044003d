/* SPDX-License-Identifier: MIT */
/* One GEMM shape on the tuner's bench (bench.c): buffers with guards, the reference, and
 * verify / time of one config. */
#ifndef GANCL_TUNE_BENCH_H
#define GANCL_TUNE_BENCH_H

#include <stdlib.h>

#include "tune/tune_impl.h"

struct gc_tune_bench {
    struct gc_device *dev;
    struct gc_gemm_desc d;
    size_t na, nb, nc; /* floats of each operand, guards excluded */
    cl_mem a, b, c;
    float *ha, *hb, *hc0, *out; /* host operands and C's initial content, with guards */
    double *ref;                /* the expected C (outside the matrix: unused) */
};

gc_status gc__tune_bench_create(struct gc_device *dev, const struct gc_gemm_desc *d,
                                struct gc_tune_bench *b);
void gc__tune_bench_destroy(struct gc_tune_bench *b);
/* Builds the program of cfg's own kernel and launches it once on a 1x1x1 product (drivers
 * that compile at the first launch do it then); nothing for CLBlast, which builds in its first
 * call. So a build and the verification run can be watched apart: GC_TUNE_BEST (= built),
 * _BUILD_FAILED or _FAILED. */
enum gc_tune_outcome gc__tune_bench_build(struct gc_tune_bench *b, const struct gc_gemm_config *cfg);
/* Runs cfg once on fresh C and checks it: GC_TUNE_BEST (= correct), _WRONG, _BUILD_FAILED
 * or _FAILED; *err the max abs error (inf when wrong). */
enum gc_tune_outcome gc__tune_bench_verify(struct gc_tune_bench *b, const struct gc_gemm_config *cfg,
                                           double *err);
/* One warm-up call, then `samples` timed samples (each a batch of calls closed by clFinish,
 * about 3 ms long): seconds per call, median and minimum. */
gc_status gc__tune_bench_time(struct gc_tune_bench *b, const struct gc_gemm_config *cfg,
                              int samples, double *median, double *min);

#endif
