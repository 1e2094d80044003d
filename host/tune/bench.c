/* SPDX-License-Identifier: MIT */
/* One GEMM shape on the bench: device buffers with guard zones, a double-precision host
 * reference, and the verify-then-time of one candidate config.
 *
 * Verification compares every output with the reference at the GEMM test suite's
 * tolerance (tests/test_gemm.c: 1e-4 absolute and relative for K <= 300, the absolute part
 * grown with sqrt(K / 300) as fp32 rounding grows), requires the gaps between C's rows
 * (ldc > n) and GUARD floats after each of A, B and C to come back bit-identical (catches
 * overruns), and with beta == 0 fills C with NaN first (BLAS: C must not be read). */
#include <math.h>
#include <string.h>
#include <time.h>

#include "gancl/alloc.h"
#include "tune/bench.h"

#define GUARD 1024 /* floats after every buffer */
#define GUARD_VALUE 7.25f
#define ATOL 1e-4
#define RTOL 1e-4
#define SAMPLE_S 3e-3 /* a timed sample runs the GEMM for about this long */

void (*gc__tune_test_corrupt)(const struct gc_gemm_config *cfg, float *c, size_t n);
void (*gc__tune_test_before_verify)(const struct gc_gemm_config *cfg);

double gc__tune_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static size_t extent(int64_t batch, int64_t stride, int64_t rows, int64_t ld, int64_t cols)
{
    if (rows == 0 || cols == 0) return 1;
    return (size_t)((batch > 1 ? (batch - 1) * stride : 0) + (rows - 1) * ld + cols);
}

static float uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 11) * 0x1p-52 - 1.0);
}

static void reference(struct gc_tune_bench *b)
{
    const struct gc_gemm_desc *d = &b->d;
    double *row = gc_malloc(sizeof(double) * (size_t)(d->n ? d->n : 1));
    for (int64_t q = 0; row && q < d->batch; q++) {
        const float *A = b->ha + q * d->stride_a * (d->batch > 1), *B = b->hb + q * d->stride_b * (d->batch > 1);
        for (int64_t i = 0; i < d->m; i++) {
            memset(row, 0, sizeof(double) * (size_t)d->n);
            for (int64_t p = 0; p < d->k; p++) {
                double aip = d->ta ? A[p * d->lda + i] : A[i * d->lda + p];
                if (d->tb)
                    for (int64_t j = 0; j < d->n; j++) row[j] += aip * B[j * d->ldb + p];
                else
                    for (int64_t j = 0; j < d->n; j++) row[j] += aip * B[p * d->ldb + j];
            }
            size_t o = (size_t)(q * d->stride_c * (d->batch > 1) + i * d->ldc);
            for (int64_t j = 0; j < d->n; j++)
                b->ref[o + (size_t)j] = d->alpha * row[j] + (d->beta != 0 ? d->beta * b->hc0[o + (size_t)j] : 0);
        }
    }
    gc_free(row);
}

static gc_status upload(struct gc_tune_bench *b, cl_mem m, const float *h, size_t n)
{
    GC_CL_CHECK(b->dev, clEnqueueWriteBuffer(b->dev->queue, m, CL_TRUE, 0, n * sizeof(float), h, 0, NULL, NULL),
                "tune: uploading a GEMM operand");
    return GC_OK;
}

gc_status gc__tune_bench_create(struct gc_device *dev, const struct gc_gemm_desc *d,
                                struct gc_tune_bench *b)
{
    memset(b, 0, sizeof *b);
    b->dev = dev;
    b->d = *d;
    if (b->d.batch < 1) b->d.batch = 1;
    b->na = extent(d->batch, d->stride_a, d->ta ? d->k : d->m, d->lda, d->ta ? d->m : d->k);
    b->nb = extent(d->batch, d->stride_b, d->tb ? d->n : d->k, d->ldb, d->tb ? d->k : d->n);
    b->nc = extent(d->batch, d->stride_c, d->m, d->ldc, d->n);
    b->ha = gc_malloc(sizeof(float) * (b->na + GUARD));
    b->hb = gc_malloc(sizeof(float) * (b->nb + GUARD));
    b->hc0 = gc_malloc(sizeof(float) * (b->nc + GUARD));
    b->out = gc_malloc(sizeof(float) * (b->nc + GUARD));
    b->ref = gc_calloc(b->nc, sizeof(double));
    if (!b->ha || !b->hb || !b->hc0 || !b->out || !b->ref) {
        gc__tune_bench_destroy(b);
        return gc_error(GC_NOMEM, "tune: out of host memory");
    }
    uint64_t seed = 42;
    for (size_t i = 0; i < b->na; i++) b->ha[i] = uniform(&seed);
    for (size_t i = 0; i < b->nb; i++) b->hb[i] = uniform(&seed);
    for (size_t i = 0; i < b->nc; i++) b->hc0[i] = d->beta != 0 ? uniform(&seed) : NAN;
    for (size_t i = 0; i < GUARD; i++)
        b->ha[b->na + i] = b->hb[b->nb + i] = b->hc0[b->nc + i] = GUARD_VALUE;
    reference(b);
    gc_status s = gc__buffer_create(dev, sizeof(float) * (b->na + GUARD), &b->a);
    if (s == GC_OK) s = gc__buffer_create(dev, sizeof(float) * (b->nb + GUARD), &b->b);
    if (s == GC_OK) s = gc__buffer_create(dev, sizeof(float) * (b->nc + GUARD), &b->c);
    if (s == GC_OK) s = upload(b, b->a, b->ha, b->na + GUARD);
    if (s == GC_OK) s = upload(b, b->b, b->hb, b->nb + GUARD);
    if (s == GC_OK) s = gc__gemm_reserve(dev, &b->d);
    if (s != GC_OK) gc__tune_bench_destroy(b);
    return s;
}

void gc__tune_bench_destroy(struct gc_tune_bench *b)
{
    if (b->a) gc__buffer_release(b->a);
    if (b->b) gc__buffer_release(b->b);
    if (b->c) gc__buffer_release(b->c);
    gc_free(b->ha);
    gc_free(b->hb);
    gc_free(b->hc0);
    gc_free(b->out);
    gc_free(b->ref);
    memset(b, 0, sizeof *b);
}

/* Whether the guard after an input buffer survived. */
static bool guard_ok(struct gc_tune_bench *b, cl_mem m, size_t n)
{
    float g[GUARD];
    if (clEnqueueReadBuffer(b->dev->queue, m, CL_TRUE, n * sizeof(float), sizeof g, g, 0, NULL,
                            NULL) != CL_SUCCESS)
        return false;
    for (int i = 0; i < GUARD; i++)
        if (memcmp(&g[i], &(float){GUARD_VALUE}, sizeof(float))) return false;
    return true;
}

/* Max |c - ref| over C into *err; false when an element is beyond the tolerance or NaN, or
 * anything outside the matrix (row gaps, guard) changed. */
static bool compare(const struct gc_tune_bench *b, double *err)
{
    const struct gc_gemm_desc *d = &b->d;
    double tol_a = ATOL * (d->k > 300 ? sqrt((double)d->k / 300.0) : 1.0);
    bool ok = true;
    size_t sc = d->batch > 1 && d->stride_c ? (size_t)d->stride_c : 0;
    *err = 0;
    for (size_t i = 0; i < b->nc + GUARD; i++) {
        size_t q = sc ? i % sc : i, item = sc ? i / sc : 0;
        bool inside = i < b->nc && item < (size_t)d->batch && q / (size_t)d->ldc < (size_t)d->m &&
                      q % (size_t)d->ldc < (size_t)d->n;
        if (!inside) {
            if (memcmp(&b->out[i], &b->hc0[i], sizeof(float))) ok = false;
            continue;
        }
        double e = fabs((double)b->out[i] - b->ref[i]);
        if (!(e <= tol_a + RTOL * fabs(b->ref[i]))) ok = false;
        if (isnan(e) || e > *err) *err = isnan(e) ? INFINITY : e;
    }
    return ok;
}

enum gc_tune_outcome gc__tune_bench_build(struct gc_tune_bench *b, const struct gc_gemm_config *cfg)
{
    if (cfg->impl == GC_GEMM_CLBLAST) return GC_TUNE_BEST; /* CLBlast builds inside its first call */
    if (cfg->impl == GC_GEMM_OWN_THIN) {
        /* gemm_thin's kernel, its layout options and its work-group size follow the shape (a
         * 1x1x1 product would build another one): one run of the shape itself builds and
         * compiles what the verification runs. C is uploaded afresh there. */
        gc_status s = gc__gemm(b->dev, &b->d, b->a, 0, b->b, 0, b->c, 0, cfg);
        if (s == GC_OK && clFinish(b->dev->queue) != CL_SUCCESS) s = GC_CL;
        return s == GC_OK ? GC_TUNE_BEST : s == GC_CL_BUILD ? GC_TUNE_BUILD_FAILED : GC_TUNE_FAILED;
    }
    /* The program and kernel gc__gemm's run_own asks for (host/ops/gemm.c): it then finds them
     * built in the device's table. */
    char opts[512];
    gc__gemm_build_options(cfg, b->d.ta, b->d.tb, opts, sizeof opts);
    cl_kernel k;
    const char *name = cfg->impl == GC_GEMM_OWN_CPU ? "gemm_cpu" : "gemm_tiled";
    gc_status s = gc__kernel_get(b->dev, "gemm", opts, name, &k);
    if (s == GC_CL_BUILD) return GC_TUNE_BUILD_FAILED;
    /* PoCL and rusticl compile a kernel for the device at its first launch (seconds on
     * llvmpipe): a 1x1x1 product of the same kernel (same work-group size) does that here,
     * so the verification run that follows is a run only. C is uploaded afresh there. */
    struct gc_gemm_desc one = {.ta = b->d.ta, .tb = b->d.tb, .m = 1, .n = 1, .k = 1, .lda = 1, .ldb = 1,
                               .ldc = 1, .batch = 1, .alpha = 1, .beta = 0};
    if (s == GC_OK) s = gc__gemm(b->dev, &one, b->a, 0, b->b, 0, b->c, 0, cfg);
    if (s == GC_OK && clFinish(b->dev->queue) != CL_SUCCESS) s = GC_CL;
    return s == GC_OK ? GC_TUNE_BEST : s == GC_CL_BUILD ? GC_TUNE_BUILD_FAILED : GC_TUNE_FAILED;
}

enum gc_tune_outcome gc__tune_bench_verify(struct gc_tune_bench *b, const struct gc_gemm_config *cfg,
                                           double *err)
{
    *err = INFINITY;
    if (upload(b, b->c, b->hc0, b->nc + GUARD) != GC_OK) return GC_TUNE_FAILED;
    if (gc__tune_test_before_verify) gc__tune_test_before_verify(cfg);
    gc_status s = gc__gemm(b->dev, &b->d, b->a, 0, b->b, 0, b->c, 0, cfg);
    if (s == GC_CL_BUILD) return GC_TUNE_BUILD_FAILED;
    if (s != GC_OK || clFinish(b->dev->queue) != CL_SUCCESS) return GC_TUNE_FAILED;
    if (clEnqueueReadBuffer(b->dev->queue, b->c, CL_TRUE, 0, sizeof(float) * (b->nc + GUARD), b->out,
                            0, NULL, NULL) != CL_SUCCESS)
        return GC_TUNE_FAILED;
    if (gc__tune_test_corrupt) gc__tune_test_corrupt(cfg, b->out, b->nc);
    bool ok = compare(b, err);
    if (!guard_ok(b, b->a, b->na) || !guard_ok(b, b->b, b->nb)) ok = false;
    return ok ? GC_TUNE_BEST : GC_TUNE_WRONG;
}

static gc_status run_reps(struct gc_tune_bench *b, const struct gc_gemm_config *cfg, int reps,
                          double *seconds)
{
    double t0 = gc__tune_clock();
    for (int r = 0; r < reps; r++) {
        gc_status s = gc__gemm(b->dev, &b->d, b->a, 0, b->b, 0, b->c, 0, cfg);
        if (s != GC_OK) return s;
    }
    GC_CL_CHECK(b->dev, clFinish(b->dev->queue), "tune: timing a GEMM");
    *seconds = (gc__tune_clock() - t0) / reps;
    return GC_OK;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, c = *(const double *)y;
    return (a > c) - (a < c);
}

gc_status gc__tune_bench_time(struct gc_tune_bench *b, const struct gc_gemm_config *cfg,
                              int samples, double *median, double *min)
{
    double t1 = 0, t[64];
    if (samples > 64) samples = 64;
    gc_status s = run_reps(b, cfg, 1, &t1); /* warm-up, and the size of a sample */
    int reps = t1 > 0 ? (int)ceil(SAMPLE_S / t1) : 1;
    if (reps > 200) reps = 200;
    for (int i = 0; i < samples && s == GC_OK; i++) s = run_reps(b, cfg, reps, &t[i]);
    if (s != GC_OK) return s;
    qsort(t, (size_t)samples, sizeof t[0], cmp_double);
    *median = samples % 2 ? t[samples / 2] : 0.5 * (t[samples / 2 - 1] + t[samples / 2]);
    *min = t[0];
    return GC_OK;
}
