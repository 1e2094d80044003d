/* SPDX-License-Identifier: MIT */
/* gc-bench-conv: every conv / convT layer of the benchmark workloads (../shared/spec/
 * workloads.md: dcgan32 and wgangp32, which share their layers, at batch 64; cyclegan64 and
 * cyclegan128 at batch 1), each pass timed on both GEMM paths of the conv family:
 *   fwd   the layer itself (conv2d, or conv_transpose2d for ConvT);
 *   dgrad its input gradient (conv_transpose2d of dy for a conv, conv2d for a ConvT);
 *   wgrad its weight gradient (conv2d_bwd_weight).
 * Each pass is a one-op graph built with the public API (gc_input, gc_conv2d, ...), planned
 * once (gc_plan_create) and replayed (gc_plan_run); time = median over rounds of a batch of
 * runs between gc_device_finish calls, so im2col / col2im and the GEMM are all counted.
 * The path is chosen with GANCL_GEMM_IMPL (read by gc__gemm_default_config on every GEMM):
 * "own" = gan-cl's gemm_cpu kernel, "clblast" = CLBlast. Both paths' outputs are compared
 * (max |own - clblast| / max |clblast|). GFLOP/s counts 2*N*OC*OH*OW*C*KH*KW per pass.
 * "GEMM ms" times the own GEMM of the pass alone (gc__gemm with the descriptor
 * host/ops/conv.c builds, on scratch buffers): the rest of the op's time is im2col / col2im /
 * layout copies.
 *
 *   gc-bench-conv [--device SEL] [--rounds R] [--target-ms T] [--only dcgan32|cyclegan64|...]
 *                 [--impl own|clblast|both]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl/clrt.h"
#include "gancl/conv.h"
#include "gancl/device.h"
#include "gancl/graph.h"
#include "gancl/status.h"
#include "ops/gemm.h"

struct layer {
    const char *wl, *name;
    bool convt;
    int n, c, h, w;   /* input of the layer (after any reflection padding) */
    int oc, k, s, p, op;
    int count;        /* instances of this exact layer in one network pass */
};

/* cyclegan at size S: G (ResNet 6 blocks, ngf 64) and D (PatchGAN n_layers 3). */
#define CYCLEGAN(WL, S)                                                                          \
    {WL, "G c7s1-64 conv7 3->64", false, 1, 3, (S) + 6, (S) + 6, 64, 7, 1, 0, 0, 1},             \
    {WL, "G d128 conv3/2 64->128", false, 1, 64, (S), (S), 128, 3, 2, 1, 0, 1},                  \
    {WL, "G d256 conv3/2 128->256", false, 1, 128, (S) / 2, (S) / 2, 256, 3, 2, 1, 0, 1},        \
    {WL, "G res conv3 256->256", false, 1, 256, (S) / 4 + 2, (S) / 4 + 2, 256, 3, 1, 0, 0, 12},  \
    {WL, "G u128 convT3/2 256->128", true, 1, 256, (S) / 4, (S) / 4, 128, 3, 2, 1, 1, 1},        \
    {WL, "G u64 convT3/2 128->64", true, 1, 128, (S) / 2, (S) / 2, 64, 3, 2, 1, 1, 1},           \
    {WL, "G c7s1-3 conv7 64->3", false, 1, 64, (S) + 6, (S) + 6, 3, 7, 1, 0, 0, 1},              \
    {WL, "D conv4/2 3->64", false, 1, 3, (S), (S), 64, 4, 2, 1, 0, 1},                           \
    {WL, "D conv4/2 64->128", false, 1, 64, (S) / 2, (S) / 2, 128, 4, 2, 1, 0, 1},               \
    {WL, "D conv4/2 128->256", false, 1, 128, (S) / 4, (S) / 4, 256, 4, 2, 1, 0, 1},             \
    {WL, "D conv4/1 256->512", false, 1, 256, (S) / 8, (S) / 8, 512, 4, 1, 1, 0, 1},             \
    {WL, "D conv4/1 512->1", false, 1, 512, (S) / 8 - 1, (S) / 8 - 1, 1, 4, 1, 1, 0, 1}

static const struct layer layers[] = {
    {"dcgan32", "G convT4/1 100->256", true, 64, 100, 1, 1, 256, 4, 1, 0, 0, 1},
    {"dcgan32", "G convT4/2 256->128", true, 64, 256, 4, 4, 128, 4, 2, 1, 0, 1},
    {"dcgan32", "G convT4/2 128->64", true, 64, 128, 8, 8, 64, 4, 2, 1, 0, 1},
    {"dcgan32", "G convT4/2 64->1", true, 64, 64, 16, 16, 1, 4, 2, 1, 0, 1},
    {"dcgan32", "D conv4/2 1->64", false, 64, 1, 32, 32, 64, 4, 2, 1, 0, 1},
    {"dcgan32", "D conv4/2 64->128", false, 64, 64, 16, 16, 128, 4, 2, 1, 0, 1},
    {"dcgan32", "D conv4/2 128->256", false, 64, 128, 8, 8, 256, 4, 2, 1, 0, 1},
    {"dcgan32", "D conv4/1 256->1", false, 64, 256, 4, 4, 1, 4, 1, 0, 0, 1},
    CYCLEGAN("cyclegan64", 64),
    CYCLEGAN("cyclegan128", 128),
};
#define N_LAYERS ((int)(sizeof layers / sizeof layers[0]))

static const char *const pass_names[3] = {"fwd", "dgrad", "wgrad"};
static const char *const impl_names[2] = {"own", "clblast"};

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

static void fill(float *x, int64_t n, unsigned seed)
{
    unsigned r = seed * 2654435761u + 1;
    for (int64_t i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        x[i] = (float)(r >> 9) / 8388608.0f - 0.5f;
    }
}

/* Output size of the layer. */
static void out_hw(const struct layer *l, int *oh, int *ow)
{
    if (l->convt) {
        *oh = (l->h - 1) * l->s - 2 * l->p + l->k + l->op;
        *ow = (l->w - 1) * l->s - 2 * l->p + l->k + l->op;
    } else {
        *oh = (l->h + 2 * l->p - l->k) / l->s + 1;
        *ow = (l->w + 2 * l->p - l->k) / l->s + 1;
    }
}

/* The GEMM the pass runs (per batch item for fwd / dgrad; one GEMM for wgrad), as gan-cl's
 * conv ops lay it out (host/ops/conv.c). */
static void gemm_shape(const struct layer *l, int pass, long long *m, long long *n, long long *k,
                       int *batch, int *kind)
{
    int oh, ow;
    out_hw(l, &oh, &ow);
    long long kk = (long long)l->k * l->k, hw = (long long)l->h * l->w, ohw = (long long)oh * ow;
    /* A conv's passes, with (C, HW) its input and (OC, OHW) its output. For a ConvT the
     * conv it transposes has input = the ConvT's output and output = the ConvT's input. */
    long long ci = l->convt ? l->oc : l->c, co = l->convt ? l->c : l->oc;
    long long in_hw = l->convt ? ohw : hw, out_hw_ = l->convt ? hw : ohw;
    bool conv_fwd = l->convt ? pass == 1 : pass == 0;
    bool conv_dgrad = l->convt ? pass == 0 : pass == 1;
    *batch = l->n;
    /* kind 0: y = W (co, ci*kk) . patches^T (tb); 1: cols = W^T . x (ta), then col2im;
     * 2: dW (co, ci*kk) = dy (co, N*out_hw) . patches (N*out_hw, ci*kk). A conv's dgrad is
     * the convT of dy, whose cols are (ci*kk, out_hw); a ConvT's fwd is (co*kk, hw). */
    if (conv_fwd) {
        *m = co, *n = out_hw_, *k = ci * kk, *kind = 0;
    } else if (conv_dgrad) {
        *m = ci * kk, *n = out_hw_, *k = co, *kind = 1;
    } else {
        *m = co, *n = ci * kk, *k = (long long)l->n * out_hw_, *kind = 2;
        *batch = 1;
    }
    (void)in_hw;
}

struct run {
    struct gc_graph *g;
    struct gc_plan *plan;
    struct gc_tensor *in[2], *out;
    float *host_in[2];
    float *result[2]; /* per impl */
    int64_t out_n;
};

static struct gc_tensor *input4(struct gc_graph *g, const char *name, int a, int b, int c, int d)
{
    int64_t sh[4] = {a, b, c, d};
    return gc_input(g, name, 4, sh);
}

static gc_status build(struct gc_device *dev, const struct layer *l, int pass, struct run *r)
{
    memset(r, 0, sizeof *r);
    gc_status s = gc_graph_create(dev, &r->g);
    if (s != GC_OK) return s;
    int oh, ow;
    out_hw(l, &oh, &ow);
    struct gc_conv_geom geom = gc_conv_geom(l->s, l->p);
    struct gc_tensor *x = input4(r->g, "x", l->n, l->c, l->h, l->w);
    struct gc_tensor *dy = input4(r->g, "dy", l->n, l->oc, oh, ow);
    struct gc_tensor *w = l->convt ? input4(r->g, "w", l->c, l->oc, l->k, l->k)
                                   : input4(r->g, "w", l->oc, l->c, l->k, l->k);
    if (pass == 0) {
        if (l->convt) geom.out_pad[0] = geom.out_pad[1] = l->op;
        r->out = l->convt ? gc_conv_transpose2d(r->g, x, w, geom) : gc_conv2d(r->g, x, w, geom);
        r->in[0] = x;
        r->in[1] = w;
    } else if (pass == 1) {
        if (!l->convt) { /* the transposed conv back to the input's exact size */
            geom.out_pad[0] = l->h - ((oh - 1) * l->s - 2 * l->p + l->k);
            geom.out_pad[1] = l->w - ((ow - 1) * l->s - 2 * l->p + l->k);
        }
        r->out = l->convt ? gc_conv2d(r->g, dy, w, geom) : gc_conv_transpose2d(r->g, dy, w, geom);
        r->in[0] = dy;
        r->in[1] = w;
    } else {
        r->out = l->convt ? gc_conv2d_bwd_weight(r->g, x, dy, l->k, l->k, geom)
                          : gc_conv2d_bwd_weight(r->g, dy, x, l->k, l->k, geom);
        r->in[0] = x;
        r->in[1] = dy;
    }
    if ((s = gc_graph_status(r->g)) != GC_OK) return s;
    if ((s = gc_plan_create(r->g, 1, &r->out, &r->plan)) != GC_OK) return s;
    for (int i = 0; i < 2; i++) {
        int64_t n = gc_tensor_numel(r->in[i]);
        r->host_in[i] = malloc((size_t)n * sizeof(float));
        fill(r->host_in[i], n, (unsigned)(i + 1 + 10 * pass));
        if ((s = gc_plan_write(r->plan, r->in[i], r->host_in[i])) != GC_OK) return s;
    }
    r->out_n = gc_tensor_numel(r->out);
    return GC_OK;
}

static void destroy(struct run *r)
{
    if (r->plan) gc_plan_destroy(r->plan);
    if (r->g) gc_graph_destroy(r->g);
    for (int i = 0; i < 2; i++) {
        free(r->host_in[i]);
        free(r->result[i]);
    }
}

/* Median seconds of the own GEMM alone (as host/ops/conv.c calls it); -1 on failure. */
static double time_gemm(struct gc_device *dev, long long m, long long n, long long k, int batch,
                        int kind, int rounds, double target)
{
    struct gc_gemm_desc d = {.ta = kind == 1, .tb = kind == 0, .m = m, .n = n, .k = k,
                             .lda = kind == 1 ? m : k, .ldb = kind == 0 ? k : n, .ldc = n,
                             .batch = batch, .stride_a = 0, .stride_b = k * n,
                             .stride_c = m * n, .alpha = 1, .beta = 0};
    cl_mem a = NULL, b = NULL, c = NULL;
    double t = -1;
    if (gc__buffer_create(dev, (size_t)(m * k) * 4, &a) == GC_OK &&
        gc__buffer_create(dev, (size_t)(k * n * batch) * 4, &b) == GC_OK &&
        gc__buffer_create(dev, (size_t)(m * n * batch) * 4, &c) == GC_OK) {
        float zero = 0;
        clEnqueueFillBuffer(dev->queue, a, &zero, 4, 0, (size_t)(m * k) * 4, 0, NULL, NULL);
        clEnqueueFillBuffer(dev->queue, b, &zero, 4, 0, (size_t)(k * n * batch) * 4, 0, NULL, NULL);
        struct gc_gemm_config cfg;
        gc__gemm_default_config(&dev->info, &d, &cfg);
        cfg.impl = GC_GEMM_OWN_CPU;
        if (gc__gemm(dev, &d, a, 0, b, 0, c, 0, &cfg) == GC_OK && gc_device_finish(dev) == GC_OK) {
            double t0 = now();
            gc__gemm(dev, &d, a, 0, b, 0, c, 0, &cfg);
            gc_device_finish(dev);
            double one = now() - t0;
            int reps = one >= target ? 1 : (int)(target / (one > 1e-6 ? one : 1e-6)) + 1;
            double ts[64];
            if (rounds > 64) rounds = 64;
            for (int rd = 0; rd < rounds; rd++) {
                t0 = now();
                for (int i = 0; i < reps; i++) gc__gemm(dev, &d, a, 0, b, 0, c, 0, &cfg);
                gc_device_finish(dev);
                ts[rd] = (now() - t0) / reps;
            }
            qsort(ts, (size_t)rounds, sizeof(double), cmp_double);
            t = ts[rounds / 2];
        }
    }
    if (a) gc__buffer_release(a);
    if (b) gc__buffer_release(b);
    if (c) gc__buffer_release(c);
    return t;
}

/* Median seconds per run; -1 on failure (message on stderr). */
static double time_impl(struct gc_device *dev, struct run *r, int impl, int rounds,
                        double target)
{
    setenv("GANCL_GEMM_IMPL", impl_names[impl], 1);
    double t0 = now();
    if (gc_plan_run(r->plan) != GC_OK || gc_device_finish(dev) != GC_OK) { /* warm-up, compile */
        fprintf(stderr, "%s: %s\n", impl_names[impl], gc_last_error());
        return -1;
    }
    r->result[impl] = malloc((size_t)r->out_n * sizeof(float));
    if (gc_plan_read(r->plan, r->out, r->result[impl]) != GC_OK) return -1;
    t0 = now();
    gc_plan_run(r->plan);
    gc_device_finish(dev);
    double one = now() - t0;
    int reps = one >= target ? 1 : (int)(target / (one > 1e-6 ? one : 1e-6)) + 1;
    double ts[64];
    if (rounds > 64) rounds = 64;
    for (int rd = 0; rd < rounds; rd++) {
        t0 = now();
        for (int i = 0; i < reps; i++) gc_plan_run(r->plan);
        gc_device_finish(dev);
        ts[rd] = (now() - t0) / reps;
    }
    qsort(ts, (size_t)rounds, sizeof(double), cmp_double);
    return ts[rounds / 2];
}

int main(int argc, char **argv)
{
    const char *sel = "pocl", *only = NULL;
    int rounds = 5;
    double target = 0.1;
    bool use[2] = {true, true};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) sel = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--target-ms") && i + 1 < argc) target = atof(argv[++i]) / 1e3;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--impl") && i + 1 < argc) {
            i++;
            use[0] = strcmp(argv[i], "clblast") != 0;
            use[1] = strcmp(argv[i], "own") != 0;
        } else {
            fprintf(stderr,
                    "usage: %s [--device SEL] [--rounds R] [--target-ms T] [--only WORKLOAD] "
                    "[--impl own|clblast|both]\n",
                    argv[0]);
            return 2;
        }
    }
    if (rounds < 1) rounds = 1;
    struct gc_device *dev;
    char note[512] = "";
    if (gc_device_open(sel, NULL, &dev, note, sizeof note) != GC_OK) {
        fprintf(stderr, "device: %s\n", gc_last_error());
        return 1;
    }
    const struct gc_device_info *info = gc_device_get_info(dev);
    printf("device: %s; POCL_MAX_PTHREAD_COUNT=%s; median of %d rounds of >= %.0f ms; ms per "
           "call and GFLOP/s (2*N*OC*OH*OW*C*KH*KW per pass)\n\n",
           info->name, getenv("POCL_MAX_PTHREAD_COUNT") ? getenv("POCL_MAX_PTHREAD_COUNT") : "unset",
           rounds, target * 1e3);
    printf("| workload | layer | x | GEMM M N K (xbatch) | pass | GFLOP | own ms | own GF/s | "
           "own GEMM ms | GEMM share | CLBlast ms | CLBlast GF/s | CLB/own time | max rel diff |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    int failures = 0;
    /* Per workload, one network pass (each layer times its count): ms per impl per pass. */
    const char *cur = NULL;
    double tot[2][3] = {{0}}, tot_gemm[3] = {0};
    double tot_flop[3] = {0};
    for (int li = 0; li <= N_LAYERS; li++) {
        const struct layer *l = li < N_LAYERS ? &layers[li] : NULL;
        if (cur && (!l || strcmp(l->wl, cur))) {
            for (int p = 0; p < 3; p++)
                printf("| %s | **all layers x count** | | | %s | %.2f | %.1f | %.1f | %.1f | %.0f%% | "
                       "%.1f | %.1f | %.2f | |\n",
                       cur, pass_names[p], tot_flop[p] * 1e-9, tot[0][p] * 1e3,
                       tot[0][p] > 0 ? tot_flop[p] / tot[0][p] * 1e-9 : 0, tot_gemm[p] * 1e3,
                       tot[0][p] > 0 ? 100 * tot_gemm[p] / tot[0][p] : 0, tot[1][p] * 1e3,
                       tot[1][p] > 0 ? tot_flop[p] / tot[1][p] * 1e-9 : 0,
                       tot[0][p] > 0 ? tot[1][p] / tot[0][p] : 0);
            memset(tot, 0, sizeof tot);
            memset(tot_gemm, 0, sizeof tot_gemm);
            memset(tot_flop, 0, sizeof tot_flop);
            fflush(stdout);
        }
        if (!l) break;
        cur = l->wl;
        if (only && strcmp(only, l->wl)) {
            cur = NULL;
            continue;
        }
        int oh, ow;
        out_hw(l, &oh, &ow);
        double flop = 2.0 * l->n * (double)(l->convt ? l->c : l->oc) *
                      (double)(l->convt ? l->h * l->w : oh * ow) *
                      (double)(l->convt ? l->oc : l->c) * l->k * l->k;
        for (int pass = 0; pass < 3; pass++) {
            struct run r;
            double t[2] = {-1, -1};
            if (build(dev, l, pass, &r) != GC_OK) {
                fprintf(stderr, "%s %s %s: %s\n", l->wl, l->name, pass_names[pass], gc_last_error());
                failures++;
                destroy(&r);
                continue;
            }
            for (int im = 0; im < 2; im++)
                if (use[im]) {
                    t[im] = time_impl(dev, &r, im, rounds, target);
                    if (t[im] < 0) failures++;
                }
            char diff[32] = "-";
            if (r.result[0] && r.result[1]) {
                double md = 0, mx = 0;
                for (int64_t i = 0; i < r.out_n; i++) {
                    double d = fabs((double)r.result[0][i] - r.result[1][i]);
                    if (!(d <= md)) md = d;
                    if (fabs(r.result[1][i]) > mx) mx = fabs(r.result[1][i]);
                }
                double rel = md / (mx > 0 ? mx : 1);
                snprintf(diff, sizeof diff, "%.1e", rel);
                if (!(rel < 1e-4)) {
                    fprintf(stderr, "%s %s %s: own and CLBlast differ (%.3g)\n", l->wl, l->name,
                            pass_names[pass], rel);
                    failures++;
                }
            }
            long long gm, gn, gk;
            int gb, kind;
            gemm_shape(l, pass, &gm, &gn, &gk, &gb, &kind);
            double tg = use[0] ? time_gemm(dev, gm, gn, gk, gb, kind, rounds, target) : -1;
            char gcell[2][24] = {"n/a", "n/a"};
            if (tg > 0) {
                snprintf(gcell[0], sizeof gcell[0], "%.2f", tg * 1e3);
                if (t[0] > 0) snprintf(gcell[1], sizeof gcell[1], "%.0f%%", 100 * tg / t[0]);
                tot_gemm[pass] += tg * l->count;
            }
            char shape[64], xs[48];
            snprintf(shape, sizeof shape, "%lld %lld %lld%s", gm, gn, gk, "");
            if (gb > 1) snprintf(shape + strlen(shape), sizeof shape - strlen(shape), " x%d", gb);
            snprintf(xs, sizeof xs, "%dx%dx%dx%d%s", l->n, l->c, l->h, l->w,
                     l->count > 1 ? "" : "");
            char name[96];
            snprintf(name, sizeof name, "%s%s", l->name, l->count > 1 ? " (x12)" : "");
            char cell[4][24];
            for (int im = 0; im < 2; im++) {
                if (t[im] > 0) {
                    snprintf(cell[2 * im], sizeof cell[0], "%.2f", t[im] * 1e3);
                    snprintf(cell[2 * im + 1], sizeof cell[0], "%.1f", flop / t[im] * 1e-9);
                    tot[im][pass] += t[im] * l->count;
                } else {
                    snprintf(cell[2 * im], sizeof cell[0], "n/a");
                    snprintf(cell[2 * im + 1], sizeof cell[0], "n/a");
                }
            }
            tot_flop[pass] += flop * l->count;
            char ratio[16] = "-";
            if (t[0] > 0 && t[1] > 0) snprintf(ratio, sizeof ratio, "%.2f", t[1] / t[0]);
            printf("| %s | %s | %s | %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                   l->wl, name, xs, shape, pass_names[pass], flop * 1e-9, cell[0], cell[1],
                   gcell[0], gcell[1], cell[2], cell[3], ratio, diff);
            fflush(stdout);
            destroy(&r);
        }
    }
    printf("\nwgangp32 (and wgan32) use dcgan32's layers exactly (no BN in the critic changes no "
           "conv): see the dcgan32 rows.\n");
    gc_device_destroy(dev);
    if (failures) fprintf(stderr, "%d failures\n", failures);
    return failures ? 1 : 0;
}
