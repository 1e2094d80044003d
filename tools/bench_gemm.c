/* SPDX-License-Identifier: MIT */
/* gc-bench-gemm: SGEMM GFLOP/s of gan-cl's own gemm_cpu (the device's default config, and
 * the best of a few candidate configs), CLBlast with its defaults, and OpenBLAS's cblas_sgemm (dlopen'ed libopenblas.so.0, so the
 * build does not depend on it; "n/a" when absent), interleaved in the same rounds so machine
 * noise hits all of them alike. Every result is verified against a sampled double-precision
 * reference before it is timed; the median of the rounds is reported.
 *
 *   gc-bench-gemm [--device SEL] [--rounds R] [--no-clblast] [--shapes all|small|square]
 *                 [--shape MxNxK[:MRxNRkKCvVW[mMCnNC]]]...
 *   gc-bench-gemm [--device SEL] [--rounds R] --record [--min-mnk N]
 *
 * --shape (repeatable) replaces the shape list; the optional config after ':' is that
 * shape's only candidate (e.g. the tuning record's choice), so "own best" is then the
 * tuned config timed against the default and OpenBLAS in the same rounds.
 *
 * --record (or --shapes tuned) loads the device's tuning record (gc_tune_load: $XDG_CACHE_HOME/
 * gan-cl/tuning/, written by `gan-cl tune`) and times 1024^3 and every GEMM shape it holds
 * (transposes and batch as recorded; --min-mnk N skips those with batch*M*N*K < N): the GEMM
 * default path with the record off (built-in default) and on (the record's choice), against
 * OpenBLAS looped over the batch, in the same interleaved rounds; then the geometric mean of
 * tuned/OpenBLAS and the count of shapes at >= 0.9x. The other options do not apply there.
 *
 * Candidates: GC_BENCH_OWN="MRxNRkKCvVW[mMCnNC],..." replaces the built-in list (MC, NC
 * default to the device default's), e.g. GC_BENCH_OWN=6x64k128v16,12x32k256v16m96n128.
 *
 * Timing: clFinish around a batch of calls (CLBlast's events do not time what one thinks).
 * OpenBLAS must run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they are set on some
 * of this project's machines to dodge misdetection and slow it down), e.g.
 *   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/tools/gc-bench-gemm
 * The tool prints a warning when they are set. On PoCL, rank configs with
 * POCL_MAX_PTHREAD_COUNT=1 (steady) and confirm with all threads (spec/cpu-kernels.md). */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl/clrt.h"
#include "gancl/alloc.h"
#include "gancl/tune.h"
#include "ops/gemm.h"
#include "tune/lookup.h"
#include "tune/tune_impl.h"

typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

struct shape {
    int m, n, k;
    const char *what;
};
/* The square references, then the forward GEMMs (M = OC, N = OH*OW, K = C*KH*KW; for ConvT
 * M = OC*KH*KW, N = H*W, K = IC) of the workloads' batch-1 CycleGAN layers, which are single
 * SGEMMs of their own (the 32px GANs run batches of 64 small ones: see gc-bench-conv). */
static const struct shape shapes_all[] = {
    {512, 512, 512, "square"},
    {1024, 1024, 1024, "square"},
    {2048, 2048, 2048, "square"},
    {256, 1024, 2304, "cg128 G res conv 3x3 256ch 32x32"},
    {256, 256, 2304, "cg64 G res conv 3x3 256ch 16x16"},
    {64, 16384, 147, "cg128 G conv 7x7 3->64 128x128"},
    {128, 4096, 576, "cg128 G conv 3x3/2 64->128"},
    {256, 1024, 1152, "cg128 G conv 3x3/2 128->256"},
    {1152, 1024, 256, "cg128 G convT 256->128 (col)"},
    {576, 4096, 128, "cg128 G convT 128->64 (col)"},
    {3, 16384, 3136, "cg128 G conv 7x7 64->3"},
    {128, 1024, 1024, "cg128 D conv 4x4/2 64->128"},
    {256, 256, 2048, "cg128 D conv 4x4/2 128->256"},
    {512, 225, 4096, "cg128 D conv 4x4 256->512"},
};
static const struct shape shapes_small[] = {{1024, 1024, 1024, "square"},
                                            {256, 1024, 2304, "cg128 G res conv"}};

/* Own gemm_cpu candidates (MR, NR, KC, VW); the best per shape is reported. */
/* impl 0 is the device's default config; 1..N_OWN-1 the candidates (MR, NR, KC, VW, MC, NC;
 * 0 = the default's). */
static int own_cands[16][6] = {{0}, {6, 64, 128, 16, 0, 0},  {6, 64, 256, 16, 0, 0},
                               {12, 32, 256, 16, 0, 0},     {24, 16, 256, 16, 0, 0},
                               {6, 64, 256, 16, 96, 128}};
static int N_OWN = 6;
#define N_IMPL (N_OWN + 2) /* own default, own candidates..., clblast, openblas */
#define MAX_IMPL 18

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Max relative error over 512 sampled outputs of C[b] = op(A[b]) op(B[b]) (d's layout: the
 * transposes, leading dimensions and batch strides) vs a double-accumulated reference. */
static double verify(const struct gc_gemm_desc *d, const float *a, const float *b, const float *c)
{
    double worst = 0;
    unsigned r = 12345;
    for (int t = 0; t < 512; t++) {
        size_t bo = 0; /* batch item; drawn only for batches, so batch-1 samples stay as before */
        if (d->batch > 1) {
            r = r * 1103515245u + 12345u;
            bo = (r >> 8) % (unsigned)d->batch;
        }
        r = r * 1103515245u + 12345u;
        int64_t i = (int64_t)((r >> 8) % (unsigned)d->m);
        r = r * 1103515245u + 12345u;
        int64_t j = (int64_t)((r >> 8) % (unsigned)d->n);
        const float *ab = a + bo * (size_t)d->stride_a, *bb = b + bo * (size_t)d->stride_b;
        double acc = 0, mag = 0;
        for (int64_t p = 0; p < d->k; p++) {
            double x = d->ta ? ab[p * d->lda + i] : ab[i * d->lda + p];
            double y = d->tb ? bb[j * d->ldb + p] : bb[p * d->ldb + j];
            acc += x * y;
            mag += fabs(x * y);
        }
        double e = fabs(c[bo * (size_t)d->stride_c + (size_t)(i * d->ldc + j)] - acc) / (mag + 1e-30);
        if (!(e <= worst)) worst = e; /* NaN sticks */
    }
    return worst;
}

struct ctx {
    struct gc_device *dev;
    cblas_sgemm_fn sgemm;
    const struct shape *s;
    struct gc_gemm_desc d;
    cl_mem ma, mb, mc;
    float *a, *b, *c;
};

static gc_status run_impl(struct ctx *x, int impl, int reps)
{
    if (impl == N_OWN + 1) {
        for (int r = 0; r < reps; r++)
            x->sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, x->s->m, x->s->n, x->s->k,
                     1.0f, x->a, x->s->k, x->b, x->s->n, 0.0f, x->c, x->s->n);
        return GC_OK;
    }
    struct gc_gemm_config cfg;
    gc__gemm_default_config(&x->dev->info, &x->d, &cfg);
    if (impl == 0) {
        cfg.impl = GC_GEMM_OWN_CPU;
    } else if (impl < N_OWN) {
        cfg.impl = GC_GEMM_OWN_CPU;
        cfg.mr = own_cands[impl][0];
        cfg.nr = own_cands[impl][1];
        cfg.kc = own_cands[impl][2];
        cfg.vw = own_cands[impl][3];
        if (own_cands[impl][4]) cfg.mc = own_cands[impl][4];
        if (own_cands[impl][5]) cfg.nc = own_cands[impl][5];
    } else {
        cfg.impl = GC_GEMM_CLBLAST;
    }
    for (int r = 0; r < reps; r++) {
        gc_status st = gc__gemm(x->dev, &x->d, x->ma, 0, x->mb, 0, x->mc, 0, &cfg);
        if (st != GC_OK) return st;
    }
    return gc_device_finish(x->dev);
}

static const char *impl_name(int impl, char *buf, size_t size)
{
    if (impl < N_OWN)
        snprintf(buf, size, "%dx%d k%d v%d%s", own_cands[impl][0], own_cands[impl][1],
                 own_cands[impl][2], own_cands[impl][3], impl == 0 ? " (default)" : "");
    if (impl > 0 && impl < N_OWN && own_cands[impl][4])
        snprintf(buf + strlen(buf), size - strlen(buf), " mc%d nc%d", own_cands[impl][4],
                 own_cands[impl][5]);
    if (impl >= N_OWN)
        snprintf(buf, size, "%s", impl == N_OWN ? "clblast" : "openblas");
    return buf;
}

static void bench_shape(struct ctx *x, const bool *enabled, int rounds)
{
    const struct shape *s = x->s;
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    x->a = gc_malloc(na * 4);
    x->b = gc_malloc(nb * 4);
    x->c = gc_malloc(nc * 4);
    unsigned r = 1;
    for (size_t i = 0; i < na; i++) x->a[i] = (float)((r = r * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
    for (size_t i = 0; i < nb; i++) x->b[i] = (float)((r = r * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
    memset(&x->d, 0, sizeof x->d);
    x->d = (struct gc_gemm_desc){.m = s->m, .n = s->n, .k = s->k, .lda = s->k, .ldb = s->n,
                                 .ldc = s->n, .batch = 1, .alpha = 1.0f, .beta = 0.0f};
    if (gc__buffer_create(x->dev, na * 4, &x->ma) || gc__buffer_create(x->dev, nb * 4, &x->mb) ||
        gc__buffer_create(x->dev, nc * 4, &x->mc)) {
        fprintf(stderr, "buffers: %s\n", gc_last_error());
        exit(1);
    }
    clEnqueueWriteBuffer(x->dev->queue, x->ma, CL_TRUE, 0, na * 4, x->a, 0, NULL, NULL);
    clEnqueueWriteBuffer(x->dev->queue, x->mb, CL_TRUE, 0, nb * 4, x->b, 0, NULL, NULL);
    double flops = 2.0 * s->m * s->n * s->k;
    int reps = flops > 4e9 ? 1 : (int)(4e9 / flops) + 1; /* ~20-40 ms per timed batch */
    bool ok[MAX_IMPL];
    double times[MAX_IMPL][32];
    char name[64];
    /* Warm-up (compiles kernels) and verification. */
    for (int i = 0; i < N_IMPL; i++) {
        ok[i] = enabled[i];
        if (!ok[i]) continue;
        memset(x->c, 0xff, nc * 4); /* NaN: a result that was never written fails */
        clEnqueueWriteBuffer(x->dev->queue, x->mc, CL_TRUE, 0, nc * 4, x->c, 0, NULL, NULL);
        if (run_impl(x, i, 1) != GC_OK) {
            fprintf(stderr, "%s: %s\n", impl_name(i, name, sizeof name), gc_last_error());
            ok[i] = false;
            continue;
        }
        if (i != N_OWN + 1)
            clEnqueueReadBuffer(x->dev->queue, x->mc, CL_TRUE, 0, nc * 4, x->c, 0, NULL, NULL);
        double err = verify(&x->d, x->a, x->b, x->c);
        if (!(err < 1e-5)) {
            fprintf(stderr, "%s: WRONG RESULT (max rel err %.3g), not timed\n",
                    impl_name(i, name, sizeof name), err);
            ok[i] = false;
        }
    }
    for (int rd = 0; rd < rounds; rd++)
        for (int i = 0; i < N_IMPL; i++) {
            if (!ok[i]) continue;
            double t0 = now();
            run_impl(x, i, reps);
            times[i][rd] = (now() - t0) / reps;
        }
    double gf[MAX_IMPL];
    int best = -1;
    for (int i = 0; i < N_IMPL; i++) {
        gf[i] = 0;
        if (!ok[i]) continue;
        qsort(times[i], (size_t)rounds, sizeof(double), cmp_double);
        gf[i] = flops / times[i][rounds / 2] * 1e-9;
        if (i < N_OWN && (best < 0 || gf[i] > gf[best])) best = i;
    }
    char cell[4][32];
    for (int c = 0; c < 4; c++) {
        int i = c == 0 ? 0 : c == 1 ? best : N_OWN + c - 2;
        if (i >= 0 && ok[i]) snprintf(cell[c], sizeof cell[c], "%.1f", gf[i]);
        else snprintf(cell[c], sizeof cell[c], "n/a");
    }
    char ratio[2][32] = {"-", "-"};
    if (ok[0] && ok[N_OWN + 1]) snprintf(ratio[0], sizeof ratio[0], "%.2f", gf[0] / gf[N_OWN + 1]);
    if (best >= 0 && ok[N_OWN + 1])
        snprintf(ratio[1], sizeof ratio[1], "%.2f", gf[best] / gf[N_OWN + 1]);
    printf("| %5d | %5d | %4d | %-34s | %7s | %7s | %7s | %8s | %5s | %5s | %s |", s->m, s->n,
           s->k, s->what, cell[0], cell[1], cell[2], cell[3], ratio[0], ratio[1],
           best >= 0 ? impl_name(best, name, sizeof name) : "-");
    for (int i = 0; i < N_OWN; i++)
        if (ok[i]) printf(" %.0f", gf[i]);
    printf(" |\n");
    fflush(stdout);
    gc__buffer_release(x->ma);
    gc__buffer_release(x->mb);
    gc__buffer_release(x->mc);
    gc_free(x->a);
    gc_free(x->b);
    gc_free(x->c);
}

/* ---- --record: default vs the tuning record's choice vs OpenBLAS ----
 * Both gan-cl columns run gc__gemm(cfg NULL), the GEMM default path every op uses: "default"
 * with the loaded record switched off (the built-in rule), "tuned" with it on (the record's
 * entry for the shape, own kernel or CLBlast with its override parameters). */
enum { REC_DEFAULT, REC_TUNED, REC_OPENBLAS, REC_N };

static gc_status run_rec(struct ctx *x, int impl, int reps)
{
    const struct gc_gemm_desc *d = &x->d;
    if (impl == REC_OPENBLAS) {
        for (int r = 0; r < reps; r++)
            for (int64_t b = 0; b < d->batch; b++)
                x->sgemm(CBLAS_ROW_MAJOR, d->ta ? CBLAS_TRANS : CBLAS_NO_TRANS,
                         d->tb ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)d->m, (int)d->n, (int)d->k,
                         1.0f, x->a + b * d->stride_a, (int)d->lda, x->b + b * d->stride_b,
                         (int)d->ldb, 0.0f, x->c + b * d->stride_c, (int)d->ldc);
        return GC_OK;
    }
    gc__tune_set_enabled(x->dev, impl == REC_TUNED);
    for (int r = 0; r < reps; r++) {
        gc_status st = gc__gemm(x->dev, d, x->ma, 0, x->mb, 0, x->mc, 0, NULL);
        if (st != GC_OK) return st;
    }
    return gc_device_finish(x->dev);
}

static void fill_random(float *p, size_t n, unsigned *r)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((*r = *r * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
}

struct rec_sum {
    double log_tob, log_tdef;
    int n, n_def, at_09;
};

/* Verifies, then times the three columns of one shape in interleaved rounds; one table row. */
/* Elements an operand spans: batch items `stride` apart, each rows x cols with row stride ld. */
static size_t span(int64_t batch, int64_t stride, int64_t rows, int64_t cols, int64_t ld)
{
    return (size_t)((batch - 1) * stride + (rows - 1) * ld + cols);
}

/* The descriptor of the tuner's measurement: the record's layout (the model's leading
 * dimensions and batch strides, e.g. stride 0 for a weight shared by the batch), or packed
 * operands when the record predates layouts (layout all 0). */
static void rec_desc(const struct gc_tune_shape *sh, const struct gc_tune_layout *l,
                     struct gc_gemm_desc *d)
{
    *d = (struct gc_gemm_desc){.ta = sh->ta, .tb = sh->tb, .m = sh->m, .n = sh->n, .k = sh->k,
                               .lda = sh->ta ? sh->m : sh->k, .ldb = sh->tb ? sh->k : sh->n,
                               .ldc = sh->n, .batch = sh->batch, .stride_a = sh->m * sh->k,
                               .stride_b = sh->k * sh->n, .stride_c = sh->m * sh->n,
                               .alpha = 1.0f, .beta = 0.0f};
    if (l->ldc > 0) {
        d->lda = l->lda;
        d->ldb = l->ldb;
        d->ldc = l->ldc;
        if (sh->batch > 1) {
            d->stride_a = l->stride_a;
            d->stride_b = l->stride_b;
            d->stride_c = l->stride_c;
        }
    }
}

static void bench_rec_shape(struct ctx *x, const struct gc_tune_shape *sh,
                            const struct gc_tune_layout *layout, const char *what, int rounds,
                            struct rec_sum *sum)
{
    struct gc_gemm_desc *d = &x->d;
    rec_desc(sh, layout, d);
    size_t na = span(d->batch, d->stride_a, d->ta ? d->k : d->m, d->ta ? d->m : d->k, d->lda),
           nb = span(d->batch, d->stride_b, d->tb ? d->n : d->k, d->tb ? d->k : d->n, d->ldb),
           nc = span(d->batch, d->stride_c, d->m, d->n, d->ldc);
    x->a = gc_malloc(na * 4);
    x->b = gc_malloc(nb * 4);
    x->c = gc_malloc(nc * 4);
    if (!x->a || !x->b || !x->c || gc__buffer_create(x->dev, na * 4, &x->ma) ||
        gc__buffer_create(x->dev, nb * 4, &x->mb) || gc__buffer_create(x->dev, nc * 4, &x->mc)) {
        fprintf(stderr, "buffers: %s\n", gc_last_error());
        exit(1);
    }
    unsigned r = 1;
    fill_random(x->a, na, &r);
    fill_random(x->b, nb, &r);
    clEnqueueWriteBuffer(x->dev->queue, x->ma, CL_TRUE, 0, na * 4, x->a, 0, NULL, NULL);
    clEnqueueWriteBuffer(x->dev->queue, x->mb, CL_TRUE, 0, nb * 4, x->b, 0, NULL, NULL);
    static const char *const names[REC_N] = {"default", "tuned", "openblas"};
    bool ok[REC_N];
    double t1 = 1e30;
    for (int i = 0; i < REC_N; i++) { /* warm-up (builds kernels), verification, one timed run */
        ok[i] = i != REC_OPENBLAS || x->sgemm;
        if (!ok[i]) continue;
        memset(x->c, 0xff, nc * 4); /* NaN: a result that was never written fails */
        clEnqueueWriteBuffer(x->dev->queue, x->mc, CL_TRUE, 0, nc * 4, x->c, 0, NULL, NULL);
        if (run_rec(x, i, 1) != GC_OK) {
            fprintf(stderr, "%s: %s\n", names[i], gc_last_error());
            ok[i] = false;
            continue;
        }
        if (i != REC_OPENBLAS)
            clEnqueueReadBuffer(x->dev->queue, x->mc, CL_TRUE, 0, nc * 4, x->c, 0, NULL, NULL);
        double err = verify(d, x->a, x->b, x->c);
        if (!(err < 1e-5)) {
            fprintf(stderr, "%s: WRONG RESULT (max rel err %.3g), not timed\n", names[i], err);
            ok[i] = false;
            continue;
        }
        double t0 = now();
        run_rec(x, i, 1);
        double t = now() - t0;
        if (t < t1) t1 = t;
    }
    /* Batches of ~20 ms of the fastest column (tiny shapes would else need 1e5 launches). */
    int reps = t1 < 0.02 / 10000 ? 10000 : t1 >= 0.02 ? 1 : (int)(0.02 / t1) + 1;
    double times[REC_N][32], gf[REC_N] = {0};
    for (int rd = 0; rd < rounds; rd++)
        for (int i = 0; i < REC_N; i++) {
            if (!ok[i]) continue;
            double t0 = now();
            run_rec(x, i, reps);
            times[i][rd] = (now() - t0) / reps;
        }
    gc__tune_set_enabled(x->dev, true);
    double flops = 2.0 * (double)d->m * (double)d->n * (double)d->k * (double)d->batch;
    char cell[REC_N][32], ratio[2][32] = {"-", "-"}, params[256], shape[16];
    for (int i = 0; i < REC_N; i++) {
        snprintf(cell[i], sizeof cell[i], "n/a");
        if (!ok[i]) continue;
        qsort(times[i], (size_t)rounds, sizeof(double), cmp_double);
        gf[i] = flops / times[i][rounds / 2] * 1e-9;
        snprintf(cell[i], sizeof cell[i], "%.1f", gf[i]);
    }
    if (ok[REC_TUNED] && ok[REC_OPENBLAS]) {
        double q = gf[REC_TUNED] / gf[REC_OPENBLAS];
        snprintf(ratio[0], sizeof ratio[0], "%.2f", q);
        sum->log_tob += log(q);
        sum->n++;
        sum->at_09 += q >= 0.9;
    }
    if (ok[REC_TUNED] && ok[REC_DEFAULT]) {
        snprintf(ratio[1], sizeof ratio[1], "%.2f", gf[REC_TUNED] / gf[REC_DEFAULT]);
        sum->log_tdef += log(gf[REC_TUNED] / gf[REC_DEFAULT]);
        sum->n_def++;
    }
    struct gc_gemm_config tuned, def;
    gc__gemm_default_config(&x->dev->info, d, &def);
    bool in_record = gc__tune_lookup_gemm(x->dev, d, &tuned);
    gc__tune_config_str(in_record ? &tuned : &def, params, sizeof params);
    snprintf(shape, sizeof shape, "%c%c", sh->ta ? 'T' : 'N', sh->tb ? 'T' : 'N');
    printf("| %s | %lld | %lld | %lld | %lld | %s | %s | %s | %s | %s | %s | %s%s |\n", shape,
           (long long)sh->m, (long long)sh->n, (long long)sh->k, (long long)sh->batch, what,
           cell[REC_DEFAULT], cell[REC_TUNED], cell[REC_OPENBLAS], ratio[0], ratio[1], params,
           !in_record ? " (not in the record: the default)"
           : gc__tune_config_eq(&tuned, &def) ? " (= default)" : "");
    fflush(stdout);
    gc__buffer_release(x->ma);
    gc__buffer_release(x->mb);
    gc__buffer_release(x->mc);
    gc_free(x->a);
    gc_free(x->b);
    gc_free(x->c);
}

/* 1024^3, then every shape of the device's tuning record (the fallback chain of
 * gc_tune_load) with batch * M * N * K >= min_mnk. Exit status 1 when no record applies. */
static int bench_record(struct ctx *x, int rounds, double min_mnk)
{
    char line[1536];
    gc_status st = gc_tune_load(x->dev, line, sizeof line);
    printf("%s\n", line);
    if (st != GC_OK) {
        fprintf(stderr, "gc-bench-gemm --record: no usable tuning record for %s (%s)\n",
                x->dev->info.name, gc_status_name(st));
        return 1;
    }
    printf("\nGEMM default path (gc__gemm, cfg NULL) with the record off (default) and on "
           "(tuned); OpenBLAS loops cblas_sgemm over the batch. GFLOP/s count the whole "
           "batch.\n\n");
    printf("| op | M | N | K | batch | layer | default | tuned | OpenBLAS | tuned/OB | "
           "tuned/def | chosen params |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    struct rec_sum sum = {0};
    const struct gc_tune_shape square = {false, false, 1024, 1024, 1024, 1};
    struct gc_tune_layout layout = {0};
    bench_rec_shape(x, &square, &layout, "square reference", rounds, &sum);
    struct gc_tune_shape sh;
    struct gc_gemm_config cfg;
    int skipped = 0, n = 0, packed = 0;
    for (int i = 0; gc__tune_loaded_choice(x->dev, i, &sh, &layout, &cfg); i++) {
        if (gc__tune_shape_eq(&sh, &square)) continue;
        if ((double)sh.batch * (double)sh.m * (double)sh.n * (double)sh.k < min_mnk) {
            skipped++;
            continue;
        }
        n++;
        packed += layout.ldc == 0;
        /* The record keeps no layer names; "shared A/B": stride 0, a weight used by the batch. */
        const char *what = sh.batch == 1 || layout.ldc == 0 ? "-"
                           : !layout.stride_a               ? "shared A"
                           : !layout.stride_b               ? "shared B"
                                                            : "-";
        bench_rec_shape(x, &sh, &layout, what, rounds, &sum);
    }
    if (packed)
        printf("\n%d record entries predate layouts: timed with packed operands, not the model's "
               "strides (tune again to record them)\n", packed);
    printf("\n%d record shapes timed (%d below --min-mnk %.0f skipped) plus 1024^3; "
           "tuned/OpenBLAS geometric mean %.2f over %d shapes, %d of them >= 0.9x; "
           "tuned/default geometric mean %.2f\n",
           n, skipped, min_mnk, sum.n ? exp(sum.log_tob / sum.n) : 0.0, sum.n, sum.at_09,
           sum.n_def ? exp(sum.log_tdef / sum.n_def) : 0.0);
    return 0;
}

int main(int argc, char **argv)
{
    const char *sel = "pocl";
    int rounds = 7;
    bool clblast = true, small = false, square = false, record = false;
    double min_mnk = 0;
    static struct shape custom[64];
    static int custom_cfg[64][6];
    int ncustom = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shape") && i + 1 < argc && ncustom < 64) {
            struct shape *c = &custom[ncustom];
            int *g = custom_cfg[ncustom];
            const char *colon = strchr(argv[++i], ':');
            if (sscanf(argv[i], "%dx%dx%d", &c->m, &c->n, &c->k) != 3 || c->m < 1 || c->n < 1 ||
                c->k < 1) {
                fprintf(stderr, "--shape %s: MxNxK[:config]\n", argv[i]);
                return 2;
            }
            if (colon && sscanf(colon + 1, "%dx%dk%dv%dm%dn%d", &g[0], &g[1], &g[2], &g[3], &g[4],
                                &g[5]) < 4) {
                fprintf(stderr, "--shape %s: config MRxNRkKCvVW[mMCnNC]\n", argv[i]);
                return 2;
            }
            c->what = colon ? colon + 1 : "given";
            ncustom++;
            continue;
        }
        if (!strcmp(argv[i], "--device") && i + 1 < argc) sel = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-clblast")) clblast = false;
        else if (!strcmp(argv[i], "--record")) record = true;
        else if (!strcmp(argv[i], "--min-mnk") && i + 1 < argc) min_mnk = atof(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) {
            i++;
            small = !strcmp(argv[i], "small");
            square = !strcmp(argv[i], "square");
            record |= !strcmp(argv[i], "tuned");
        }
        else {
            fprintf(stderr, "usage: %s [--device SEL] [--rounds R] [--no-clblast] "
                            "[--shapes all|small|square|tuned] [--shape MxNxK[:config]]... "
                            "[--record [--min-mnk N]]\n",
                    argv[0]);
            return 2;
        }
    }
    const char *ov = getenv("GC_BENCH_OWN"); /* "MRxNRkKCvVW,..." replaces the candidates */
    if (ov && *ov) {
        N_OWN = 1;
        for (const char *p = ov; p && *p && N_OWN < 16;) {
            int *c = own_cands[N_OWN];
            c[4] = c[5] = 0;
            if (sscanf(p, "%dx%dk%dv%dm%dn%d", &c[0], &c[1], &c[2], &c[3], &c[4], &c[5]) >= 4)
                N_OWN++;
            p = strchr(p, ',');
            if (p) p++;
        }
    }
    if (rounds < 1) rounds = 1;
    if (rounds > 32) rounds = 32;
    setenv("RUSTICL_ENABLE", "llvmpipe", 0);
    struct ctx x;
    memset(&x, 0, sizeof x);
    char note[512] = "";
    if (gc_device_open(sel, NULL, &x.dev, note, sizeof note) != GC_OK) {
        fprintf(stderr, "device: %s\n", gc_last_error());
        return 1;
    }
    void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (h) x.sgemm = (cblas_sgemm_fn)(uintptr_t)dlsym(h, "cblas_sgemm");
    if (getenv("OPENBLAS_CORETYPE") || getenv("OPENBLAS_L2_SIZE"))
        fprintf(stderr, "warning: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set: OpenBLAS may run "
                        "slower kernels than this CPU supports\n");
    printf("device: %s (%s); POCL_MAX_PTHREAD_COUNT=%s; median of %d interleaved rounds, "
           "GFLOP/s\n\n",
           x.dev->info.name, x.dev->info.platform_name,
           getenv("POCL_MAX_PTHREAD_COUNT") ? getenv("POCL_MAX_PTHREAD_COUNT") : "unset", rounds);
    if (record) {
        int rc = bench_record(&x, rounds, min_mnk);
        gc_tune_unload(x.dev);
        gc_device_destroy(x.dev);
        if (h) dlclose(h);
        return rc;
    }
    {
        struct gc_gemm_config def;
        gc__gemm_default_config(&x.dev->info, NULL, &def);
        own_cands[0][0] = def.mr;
        own_cands[0][1] = def.nr;
        own_cands[0][2] = def.kc;
        own_cands[0][3] = def.vw;
        printf("own default: gemm_cpu MR=%d NR=%d KC=%d VW=%d MC=%d NC=%d; candidates:", def.mr,
               def.nr, def.kc, def.vw, def.mc, def.nc);
        char nm[64];
        for (int i = 1; i < N_OWN; i++) printf(" [%s]", impl_name(i, nm, sizeof nm));
        printf("\n\n");
    }
    printf("|     M |     N |    K | shape                              | own def | own best | CLBlast | OpenBLAS | def/OB | best/OB | best config | all own (def, cands) |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    const struct shape *shapes = small ? shapes_small : shapes_all;
    int ns = small ? (int)(sizeof shapes_small / sizeof shapes_small[0])
                   : (int)(sizeof shapes_all / sizeof shapes_all[0]);
    if (square) ns = 3;
    if (ncustom) shapes = custom, ns = ncustom;
    int n_own_list = N_OWN;
    for (int i = 0; i < ns; i++) {
        x.s = &shapes[i];
        if (ncustom && custom_cfg[i][0]) { /* this shape's own candidate only */
            N_OWN = 2;
            memcpy(own_cands[1], custom_cfg[i], sizeof custom_cfg[i]);
        } else {
            N_OWN = n_own_list;
        }
        bool en[MAX_IMPL];
        for (int k = 0; k < N_OWN; k++) en[k] = true;
        en[N_OWN] = clblast;
        en[N_OWN + 1] = x.sgemm != NULL;
        bench_shape(&x, en, rounds);
    }
    gc_device_destroy(x.dev);
    if (h) dlclose(h);
    return 0;
}
