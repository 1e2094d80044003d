/* SPDX-License-Identifier: MIT */
/* gc-profile-step: device time per op kind for each phase of a workload's training step
 * (dcgan32, wgan32, wgangp32: the critic update and the generator update; cyclegan64,
 * cyclegan128: both generators, D_A, D_B), from gc_plan_profile on a profiling queue.
 * A step's time in a plan is the span between the markers the executor puts around it, so
 * everything the step enqueues is counted (im2col/col2im and the GEMM of a convolution alike).
 * Each phase runs alone between device finishes: its wall time is printed next to the sum of
 * its ops, which shows what the profile leaves out (host gaps, markers).
 *
 *   gc-profile-step [--model NAME] [--device SEL] [--warmup N] [--runs N]
 *
 * --runs N profiles N runs of each phase and prints the per-op median (default 3). The step
 * time of a profiled queue is not the reference one: use gan-cl bench / train for that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gancl/alloc.h"
#include "gancl/cyclegan.h"
#include "gancl/device.h"
#include "gancl/gan.h"
#include "gancl/graph.h"
#include "gancl/status.h"

#define MAX_OPS 64
#define MAX_RUNS 15

struct work {
    struct gc_device *dev;
    struct gc_gan *gan;
    struct gc_cyclegan *cg;
    struct gc_plan *plans[3];
    const char *names[3];
    int n_plans;
    int64_t image_elems; /* one real batch */
    float *real;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *images(int64_t n)
{
    float *x = gc_malloc(sizeof(float) * (size_t)n);
    uint64_t s = 0x9E3779B97F4A7C15u;
    for (int64_t i = 0; x && i < n; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        x[i] = (float)((double)(s >> 11) * 0x1p-52 - 1.0);
    }
    return x;
}

static gc_status build(struct work *w, const char *model)
{
    if (strncmp(model, "cyclegan", 8) == 0) {
        struct gc_cyclegan_config cfg;
        gc_status s = gc_cyclegan_preset(model, &cfg);
        if (s == GC_OK) s = gc_cyclegan_create(w->dev, &cfg, &w->cg);
        if (s != GC_OK) return s;
        w->image_elems = (int64_t)cfg.input_nc * cfg.size * cfg.size;
        gc_cyclegan_step_plans(w->cg, w->plans);
        w->names[0] = "generators";
        w->names[1] = "D_A";
        w->names[2] = "D_B";
        w->n_plans = 3;
    } else {
        struct gc_gan_config cfg;
        gc_status s = gc_gan_preset(model, &cfg);
        if (s == GC_OK) s = gc_gan_create(w->dev, &cfg, &w->gan);
        if (s != GC_OK) return s;
        w->image_elems = (int64_t)cfg.batch * cfg.channels * cfg.image_size * cfg.image_size;
        gc_gan_phase_plans(w->gan, &w->plans[0], &w->plans[1]);
        w->names[0] = "critic (D) update";
        w->names[1] = "generator (G) update";
        w->n_plans = 2;
    }
    w->real = images(2 * w->image_elems);
    return w->real ? GC_OK : gc_error(GC_NOMEM, "profile_step: out of host memory");
}

/* Runs phase p once (the model's own step function, so inputs are written as in training). */
static gc_status run_phase(struct work *w, int p)
{
    gc_status s;
    if (w->cg) /* the CycleGAN step runs all three plans; profile reads each plan's last run */
        s = gc_cyclegan_step(w->cg, w->real, w->real + w->image_elems);
    else
        s = p == 0 ? gc_gan_d_step(w->gan, w->real) : gc_gan_g_step(w->gan);
    return s == GC_OK ? gc_device_finish(w->dev) : s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct row {
    const char *op;
    int64_t calls;
    double ms[MAX_RUNS];
};

static gc_status profile_phase(struct work *w, int p, int runs)
{
    struct row rows[MAX_OPS];
    int n_rows = 0;
    double wall[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        gc_status s = run_phase(w, p);
        wall[r] = (now() - t0) * 1e3;
        struct gc_op_time t[MAX_OPS];
        int n = 0;
        if (s == GC_OK) s = gc_plan_profile(w->plans[p], t, MAX_OPS, &n);
        if (s != GC_OK) return s;
        for (int i = 0; i < n; i++) {
            int k = 0;
            while (k < n_rows && strcmp(rows[k].op, t[i].op) != 0)
                k++;
            if (k == n_rows) {
                if (n_rows == MAX_OPS) continue;
                memset(&rows[n_rows], 0, sizeof rows[n_rows]);
                rows[n_rows++].op = t[i].op;
            }
            rows[k].calls = t[i].calls;
            rows[k].ms[r] = t[i].ms;
        }
    }
    double med[MAX_OPS], total = 0;
    for (int k = 0; k < n_rows; k++) {
        qsort(rows[k].ms, (size_t)runs, sizeof(double), cmp_double);
        med[k] = rows[k].ms[runs / 2];
        total += med[k];
    }
    for (int i = 1; i < n_rows; i++) /* by time, largest first */
        for (int j = i; j > 0 && med[j] > med[j - 1]; j--) {
            struct row tr = rows[j];
            double tm = med[j];
            rows[j] = rows[j - 1], med[j] = med[j - 1];
            rows[j - 1] = tr, med[j - 1] = tm;
        }
    qsort(wall, (size_t)runs, sizeof(double), cmp_double);
    printf("%s: %.1f ms in ops, %.1f ms wall (medians of %d runs%s)\n", w->names[p], total,
           wall[runs / 2], runs, w->cg ? "; wall = the whole CycleGAN step" : "");
    printf("  %-22s %6s %10s %9s %6s\n", "op", "calls", "ms", "ms/call", "%");
    for (int k = 0; k < n_rows; k++)
        printf("  %-22s %6lld %10.2f %9.3f %5.1f%%\n", rows[k].op, (long long)rows[k].calls, med[k],
               rows[k].calls ? med[k] / (double)rows[k].calls : 0.0,
               total > 0 ? 100.0 * med[k] / total : 0.0);
    return GC_OK;
}

static int usage(void)
{
    fprintf(stderr, "usage: gc-profile-step [--model dcgan32|wgan32|wgangp32|cyclegan64|"
                    "cyclegan128] [--device SEL] [--warmup N] [--runs N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *model = "dcgan32", *device = NULL;
    int warmup = 2, runs = 3;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--model") == 0)
            model = argv[++i];
        else if (strcmp(argv[i], "--device") == 0)
            device = argv[++i];
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = atoi(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[++i]);
        else
            return usage();
    }
    if (runs < 1 || runs > MAX_RUNS || warmup < 0) return usage();
    struct work w = {0};
    struct gc_device_open_options opt = {.profiling = true};
    char note[512] = "";
    gc_status s = gc_device_open(device, &opt, &w.dev, note, sizeof note);
    if (s == GC_OK && *note) fprintf(stderr, "gc-profile-step: %s\n", note);
    if (s == GC_OK) s = build(&w, model);
    if (s == GC_OK) {
        const struct gc_device_info *info = gc_device_get_info(w.dev);
        printf("%s on %s (%s)\n", model, info->name, info->platform_name);
    }
    for (int i = 0; i < warmup && s == GC_OK; i++) /* builds every kernel */
        for (int p = 0; p < w.n_plans && s == GC_OK; p++)
            s = run_phase(&w, p);
    for (int p = 0; p < w.n_plans && s == GC_OK; p++)
        s = profile_phase(&w, p, runs);
    if (s != GC_OK) fprintf(stderr, "gc-profile-step: %s\n", gc_last_error());
    gc_gan_destroy(w.gan);
    gc_cyclegan_destroy(w.cg);
    gc_free(w.real);
    gc_device_destroy(w.dev);
    return s == GC_OK ? 0 : 1;
}
