/* SPDX-License-Identifier: MIT */
/* CLBlast's own GEMM kernel parameters (host/cl/clblast.c): their names, the rules that make
 * a set valid on a device, the device's database defaults, and applying a set with
 * CLBlastOverrideParameters before a CLBlast GEMM call.
 *
 * CLBlast keys its parameter database by (device, precision, kernel) and its compiled
 * programs by the routine plus every parameter value, so one program is built per distinct
 * set (seconds on GPUs, 10-150 s on PoCL) and switching back to a set already built costs
 * only the override itself (about 0.4 ms per kernel on PoCL, 1.2 ms on rusticl: CLBlast
 * queries the device each time). gan-cl therefore applies a set per GEMM shape, only when it
 * differs from the one in effect, and only for the kernels whose values differ. */
#ifndef GANCL_CL_CLBLAST_H
#define GANCL_CL_CLBLAST_H

#include <stdbool.h>

#include "cl/clrt.h"

/* Xgemm's parameters, in CLBlast's (alphabetical) database order. */
enum {
    GC_CLB_GEMMK, GC_CLB_KREG, GC_CLB_KWG, GC_CLB_KWI, GC_CLB_MDIMA, GC_CLB_MDIMC, GC_CLB_MWG,
    GC_CLB_NDIMB, GC_CLB_NDIMC, GC_CLB_NWG, GC_CLB_SA, GC_CLB_SB, GC_CLB_STRM, GC_CLB_STRN,
    GC_CLB_VWM, GC_CLB_VWN, GC_CLB_XGEMM_COUNT
};
/* XgemmDirect's parameters, same order. */
enum {
    GC_CLB_KWID, GC_CLB_MDIMAD, GC_CLB_MDIMCD, GC_CLB_NDIMBD, GC_CLB_NDIMCD, GC_CLB_PADA,
    GC_CLB_PADB, GC_CLB_VWMD, GC_CLB_VWND, GC_CLB_WGD, GC_CLB_DIRECT_COUNT
};
/* XGEMM_MIN_INDIRECT_SIZE values that force one path for every shape gan-cl runs: the direct
 * kernel runs while m * n * k < size^3. */
#define GC_CLB_FORCE_INDIRECT 0
#define GC_CLB_FORCE_DIRECT 65536

/* One complete parameter set of CLBlast's SGEMM (CLBlastOverrideParameters must be given
 * every parameter of a kernel). */
struct gc_clblast_params {
    bool set; /* false: CLBlast's own database values for the device (no override) */
    int xgemm[GC_CLB_XGEMM_COUNT];
    int direct[GC_CLB_DIRECT_COUNT];
    int min_indirect; /* "GemmRoutine" XGEMM_MIN_INDIRECT_SIZE */
};

extern const char *const gc__clb_xgemm_names[GC_CLB_XGEMM_COUNT];
extern const char *const gc__clb_direct_names[GC_CLB_DIRECT_COUNT];

/* GC_OK when CLBlast builds and runs p on the device: its kernels' divisibility rules
 * (src/tuning/kernels/xgemm.hpp, xgemm_direct.hpp), vector widths, work-group size and local
 * memory; GC_INVALID_ARG naming the first broken rule otherwise. A set that is not `set`
 * is always valid. */
gc_status gc__clblast_params_check(const struct gc_device_info *info, const struct gc_clblast_params *p);
bool gc__clblast_params_eq(const struct gc_clblast_params *a, const struct gc_clblast_params *b);
/* Whether p (set) runs the direct kernel for m x n x k. */
bool gc__clblast_params_direct(const struct gc_clblast_params *p, int64_t m, int64_t n, int64_t k);

/* The device's CLBlast database values (p->set true), read once per device and process
 * before gan-cl overrides anything there. */
gc_status gc__clblast_defaults(struct gc_device *dev, struct gc_clblast_params *p);

/* Makes p the set in effect on dev (overriding only the kernels that differ) and holds a
 * process-wide lock until gc__clblast_end, so no other thread switches sets between this and
 * the CLBlast call. On failure nothing is held. */
gc_status gc__clblast_begin(struct gc_device *dev, const struct gc_clblast_params *p);
void gc__clblast_end(void);
/* The set in effect on dev (p->set false: CLBlast's untouched database), for tests. */
void gc__clblast_in_effect(const struct gc_device *dev, struct gc_clblast_params *p);
/* Seconds one switch from a to b costs (the override calls alone, averaged over a few
 * round trips; both sets must be valid). */
gc_status gc__clblast_switch_cost(struct gc_device *dev, const struct gc_clblast_params *a,
                                  const struct gc_clblast_params *b, double *seconds);

/* C++ shim (clblast_retrieve.cpp): CLBlast's RetrieveParameters, which its C API lacks.
 * Returns a CLBlastStatusCode (0 = success); values in names order. */
int gc__clblast_retrieve(cl_device_id dev, const char *kernel, int n, const char *const *names, int *values);

#endif
