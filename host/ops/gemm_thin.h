/* SPDX-License-Identifier: MIT */
/* gemm_thin (GC_GEMM_OWN_THIN, cl/gemm_thin.cl): SGEMM for thin shapes, where gemm_cpu's
 * register tiles would mostly multiply padding. M == 1 or N == 1 runs as a GEMV (each output a
 * dot product over K), anything else as an element-wise outer-product kernel meant for small
 * K (correct for any K, slow for long K). Internal to gemm.c (dispatch, checks, k chunks). */
#ifndef GANCL_OPS_GEMM_THIN_H
#define GANCL_OPS_GEMM_THIN_H

#include "ops/gemm.h"

/* K at most this counts as "small" for the default rule and the tuner's candidates. */
#define GC_GEMM_THIN_SMALL_K 8

/* Whether d is a shape the thin kernels are meant for (GEMV or K <= GC_GEMM_THIN_SMALL_K). */
bool gc__gemm_thin_shape(const struct gc_gemm_desc *d);

/* The largest K one launch may cover on this device (d->k without a loop limit, 0 when not
 * even one step fits), as gc__gemm_k_chunk. */
int64_t gc__gemm_thin_k_chunk(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                              const struct gc_gemm_config *cfg);

/* Enqueues d with cfg (impl GC_GEMM_OWN_THIN, already checked), K in chunks where the device
 * limits loops. */
gc_status gc__gemm_thin_run(struct gc_device *dev, const struct gc_gemm_desc *d, cl_mem a,
                            size_t a_off, cl_mem b, size_t b_off, cl_mem c, size_t c_off,
                            const struct gc_gemm_config *cfg);

#endif
