/* SPDX-License-Identifier: MIT */
/* The CLBlast parameter sets the tuner tries for one shape: a short "likely good" list, then
 * random sets drawn from the search spaces of CLBlast's own tuner (src/tuning/kernels/
 * xgemm.hpp, variant 2 of kernel 0 and of the direct kernel; kernel 1 variant 12 on GPUs),
 * kept only when gc__clblast_params_check accepts them on the device.
 *
 * Each set forces one path with XGEMM_MIN_INDIRECT_SIZE (0: the indirect Xgemm kernel with
 * its pre/post-processing, 65536: the direct kernel) and keeps the device's defaults for the
 * kernel that path never runs, so that a candidate differs from the defaults in what it
 * measures only. GEMMK=1 is never tried on CPU devices: on PoCL 3.1 with CLBlast 1.5.3 10 of
 * 19 sampled GEMMK=1 sets gave wrong results and 5 crashed (spec/cpu-kernels.md). */
#include <string.h>

#include "tune/tune_impl.h"

#define RANDOM_TRIES 2000 /* draws until a valid set; about 1 in 20 passes the rules */

static const int likely_xgemm[][GC_CLB_XGEMM_COUNT] = {
    /* GEMMK KREG KWG KWI MDIMA MDIMC MWG NDIMB NDIMC NWG SA SB STRM STRN VWM VWN */
    {0, 1, 32, 2, 16, 16, 64, 16, 16, 64, 1, 1, 0, 0, 4, 4}, /* CLBlast's generic GPU default */
    {0, 1, 16, 2, 8, 8, 64, 8, 8, 64, 0, 0, 0, 0, 8, 8},     /* wide vectors, no local memory */
    {0, 1, 32, 2, 8, 8, 64, 8, 8, 64, 1, 1, 0, 0, 4, 4},
    {0, 1, 16, 2, 8, 8, 32, 8, 8, 32, 0, 0, 0, 0, 2, 2},
};
static const int likely_direct[][GC_CLB_DIRECT_COUNT] = {
    /* KWID MDIMAD MDIMCD NDIMBD NDIMCD PADA PADB VWMD VWND WGD */
    {2, 8, 8, 8, 8, 1, 1, 4, 4, 32},
    {8, 8, 8, 8, 8, 0, 0, 2, 2, 16},
    {2, 16, 16, 16, 16, 1, 1, 2, 2, 64},
    {2, 8, 8, 8, 8, 1, 1, 1, 1, 32},
};
#define N_LIKELY_X (int)(sizeof likely_xgemm / sizeof likely_xgemm[0])
#define N_LIKELY_D (int)(sizeof likely_direct / sizeof likely_direct[0])

bool gc__tune_clblast_likely(const struct gc_device_info *info, const struct gc_clblast_params *def,
                             const struct gc_tune_shape *sh, int i, struct gc_clblast_params *out)
{
    for (;; i++) {
        *out = *def;
        out->set = true;
        if (i == 0) {
            /* The defaults on the path their threshold does not take for this shape. */
            bool direct = gc__clblast_params_direct(def, sh->m, sh->n, sh->k);
            out->min_indirect = direct ? GC_CLB_FORCE_INDIRECT : GC_CLB_FORCE_DIRECT;
        } else if (i <= 2 * (N_LIKELY_X > N_LIKELY_D ? N_LIKELY_X : N_LIKELY_D)) {
            int k = (i - 1) / 2;
            if ((i - 1) % 2 == 0) {
                if (k >= N_LIKELY_X) continue;
                memcpy(out->xgemm, likely_xgemm[k], sizeof out->xgemm);
                out->min_indirect = GC_CLB_FORCE_INDIRECT;
            } else {
                if (k >= N_LIKELY_D) continue;
                memcpy(out->direct, likely_direct[k], sizeof out->direct);
                out->min_indirect = GC_CLB_FORCE_DIRECT;
            }
        } else return false;
        if (gc__clblast_params_check(info, out) == GC_OK) return true;
        gc_clear_error();
    }
}

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

#define PICK(rng, ...)                                                                             \
    ((const int[]){__VA_ARGS__})[next(rng) % (sizeof((const int[]){__VA_ARGS__}) / sizeof(int))]

static void random_xgemm(bool gemmk1, uint64_t *rng, int *x)
{
    if (!gemmk1) {
        x[GC_CLB_GEMMK] = 0, x[GC_CLB_KREG] = 1, x[GC_CLB_KWI] = 2;
        x[GC_CLB_MWG] = PICK(rng, 16, 32, 64, 128), x[GC_CLB_NWG] = PICK(rng, 16, 32, 64, 128);
        x[GC_CLB_KWG] = PICK(rng, 16, 32);
        x[GC_CLB_MDIMC] = PICK(rng, 8, 16, 32), x[GC_CLB_NDIMC] = PICK(rng, 8, 16, 32);
        x[GC_CLB_MDIMA] = PICK(rng, 8, 16, 32), x[GC_CLB_NDIMB] = PICK(rng, 8, 16, 32);
        x[GC_CLB_VWM] = PICK(rng, 1, 2, 4, 8), x[GC_CLB_VWN] = PICK(rng, 1, 2, 4, 8);
        x[GC_CLB_STRM] = PICK(rng, 0, 1), x[GC_CLB_STRN] = PICK(rng, 0, 1);
        x[GC_CLB_SA] = PICK(rng, 0, 1), x[GC_CLB_SB] = PICK(rng, 0, 1);
        return;
    }
    x[GC_CLB_GEMMK] = 1, x[GC_CLB_KWG] = 1, x[GC_CLB_KWI] = 1;
    x[GC_CLB_SA] = x[GC_CLB_SB] = x[GC_CLB_STRM] = x[GC_CLB_STRN] = 0;
    x[GC_CLB_MWG] = PICK(rng, 8, 16, 32, 64, 128), x[GC_CLB_NWG] = PICK(rng, 8, 16, 32, 64, 128);
    x[GC_CLB_MDIMC] = x[GC_CLB_MDIMA] = PICK(rng, 2, 4, 8, 16, 32);
    x[GC_CLB_NDIMC] = x[GC_CLB_NDIMB] = PICK(rng, 2, 4, 8, 16, 32);
    x[GC_CLB_VWM] = PICK(rng, 1, 2, 4, 8), x[GC_CLB_VWN] = PICK(rng, 1, 2, 4, 8);
    x[GC_CLB_KREG] = PICK(rng, 1, 2, 4, 8, 16);
}

static void random_direct(uint64_t *rng, int *d)
{
    d[GC_CLB_WGD] = PICK(rng, 8, 16, 32, 64);
    d[GC_CLB_MDIMCD] = PICK(rng, 8, 16, 32), d[GC_CLB_NDIMCD] = PICK(rng, 8, 16, 32);
    d[GC_CLB_MDIMAD] = PICK(rng, 8, 16, 32), d[GC_CLB_NDIMBD] = PICK(rng, 8, 16, 32);
    d[GC_CLB_KWID] = PICK(rng, 2, 8, 16);
    d[GC_CLB_VWMD] = PICK(rng, 1, 2, 4, 8), d[GC_CLB_VWND] = PICK(rng, 1, 2, 4, 8);
    d[GC_CLB_PADA] = PICK(rng, 0, 1), d[GC_CLB_PADB] = PICK(rng, 0, 1);
}

bool gc__tune_clblast_random(const struct gc_device_info *info, const struct gc_clblast_params *def,
                             uint64_t *rng, struct gc_clblast_params *out)
{
    bool cpu = info->type == GC_DEVICE_CPU;
    for (int t = 0; t < RANDOM_TRIES; t++) {
        *out = *def;
        out->set = true;
        if (next(rng) % 2) {
            random_direct(rng, out->direct);
            out->min_indirect = GC_CLB_FORCE_DIRECT;
        } else {
            random_xgemm(!cpu && next(rng) % 4 == 0, rng, out->xgemm);
            out->min_indirect = GC_CLB_FORCE_INDIRECT;
        }
        if (gc__clblast_params_check(info, out) == GC_OK) return true;
        gc_clear_error();
    }
    return false;
}
