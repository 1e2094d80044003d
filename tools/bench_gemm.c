/* SPDX-License-Identifier: MIT */
/* gc-bench-gemm: SGEMM GFLOP/s of gan-cl's own gemm_cpu (the device's default config, and
 * the best of a few candidate configs), CLBlast with its defaults, and OpenBLAS's cblas_sgemm (dlopen'ed libopenblas.so.0, so the
 * build does not depend on it; "n/a" when absent), interleaved in the same rounds so machine
 * noise hits all of them alike. Every result is verified against a sampled double-precision
 * reference before it is timed; the median of the rounds is reported.
 *
 *   gc-bench-gemm [--device SEL] [--rounds R] [--no-clblast] [--shapes all|small|square]
 *                 [--shape MxNxK[:MRxNRkKCvVW[mMCnNC]]]...
 *
 * --shape (repeatable) replaces the shape list; the optional config after ':' is that
 * shape's only candidate (e.g. the tuning record's choice), so "own best" is then the
 * tuned config timed against the default and OpenBLAS in the same rounds.
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
#include "ops/gemm.h"

typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111 };

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

/* Max relative error over 512 sampled outputs vs a double-accumulated reference. */
static double verify(const struct shape *s, const float *a, const float *b, const float *c)
{
    double worst = 0;
    unsigned r = 12345;
    for (int t = 0; t < 512; t++) {
        r = r * 1103515245u + 12345u;
        int i = (int)((r >> 8) % (unsigned)s->m);
        r = r * 1103515245u + 12345u;
        int j = (int)((r >> 8) % (unsigned)s->n);
        double acc = 0, mag = 0;
        for (int p = 0; p < s->k; p++) {
            acc += (double)a[(size_t)i * s->k + p] * b[(size_t)p * s->n + j];
            mag += fabs((double)a[(size_t)i * s->k + p] * b[(size_t)p * s->n + j]);
        }
        double e = fabs(c[(size_t)i * s->n + j] - acc) / (mag + 1e-30);
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
        double err = verify(s, x->a, x->b, x->c);
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

int main(int argc, char **argv)
{
    const char *sel = "pocl";
    int rounds = 7;
    bool clblast = true, small = false, square = false;
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
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) {
            i++;
            small = !strcmp(argv[i], "small");
            square = !strcmp(argv[i], "square");
        }
        else {
            fprintf(stderr, "usage: %s [--device SEL] [--rounds R] [--no-clblast] [--shapes all|small|square]\n",
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
