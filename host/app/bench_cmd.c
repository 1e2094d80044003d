/* SPDX-License-Identifier: MIT */
/* `gan-cl bench`: times training steps of one workload of shared/spec/workloads.md
 * (dcgan32, wgan32, wgangp32 at batch 64; cyclegan64, cyclegan128 at batch 1) as the
 * training loops run them, and reports the median, minimum and maximum step time and the
 * GFLOP/s implied by the op descriptors' flop counts. tools/bench_torch.py prints the
 * same JSON line for PyTorch; tools/bench runs both and tabulates.
 *
 * A step is one training-log line: n_critic critic updates then one generator update
 * (GANs), or gc_cyclegan_step (CycleGAN); each is closed by gc_device_finish and timed
 * alone. Real data are random images in [-1, 1] made once on the host; the step still
 * uploads them (gc_gan_d_step / gc_cyclegan_step write the real batch each call, as
 * training does), and CycleGAN's image pool reads each fake back to the host: both are
 * part of a real step, so they are measured. Flops count the planned ops only (the
 * optimizer and clipping passes, a few flops per parameter, are left out). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "gancl/alloc.h"
#include "gancl/cyclegan.h"
#include "gancl/gan.h"
#include "gancl/graph.h"
#include "run_common.h"

#define MAX_PLANS 3
#define MAX_OPS 96
#define HELP_SHOWN (-1) /* parse_args: --help printed, exit 0 */

struct bench_opts {
    const char *model, *device;
    long steps, warmup;
    bool json, profile, no_tuning;
};

/* One workload, built: either a GAN or a CycleGAN, its fixed real data and its plans. */
struct workload {
    struct gc_device *dev;
    struct gc_gan *gan;
    struct gc_cyclegan *cg;
    float *real; /* n_real batches (GAN) or the pair a, b (CycleGAN) */
    int64_t batch_elems;
    int n_critic, batch;
    const char *tuning; /* JSON "tuning": "record" | "none" (no record applies) | "off" */
    struct gc_plan *plans[MAX_PLANS];
    int runs[MAX_PLANS]; /* runs of each plan per step */
    int n_plans;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gan-cl bench --model NAME [options]\n\n"
               "  --model NAME   dcgan32 | wgan32 | wgangp32 | cyclegan64 | cyclegan128\n"
               "  --steps N      timed steps (default 20)\n"
               "  --warmup N     untimed steps first (default 3)\n"
               "  --device SEL   OpenCL device (see `gan-cl devices`; default: best GPU, else CPU)\n"
               "  --json         one JSON line on stdout (what tools/bench collects)\n"
               "  --profile      open the device with profiling and print the device time per\n"
               "                 op kind of one more step (to stderr; a profiled run's step\n"
               "                 times are not the reference ones)\n"
               "  --no-tuning    leave the device's tuning record unloaded: the built-in GEMM\n"
               "                 defaults (the untuned step, to compare with a plain run)\n\n"
               "A step: n_critic critic updates and one generator update (CycleGAN: one\n"
               "generator update and both discriminator updates), closed by a device finish.\n");
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
    enum { O_MODEL = 256, O_STEPS, O_WARMUP, O_DEVICE, O_JSON, O_PROFILE, O_NO_TUNING, O_HELP };
    static const struct option lo[] = {
        {"model", required_argument, NULL, O_MODEL},   {"steps", required_argument, NULL, O_STEPS},
        {"warmup", required_argument, NULL, O_WARMUP}, {"device", required_argument, NULL, O_DEVICE},
        {"json", no_argument, NULL, O_JSON},           {"profile", no_argument, NULL, O_PROFILE},
        {"no-tuning", no_argument, NULL, O_NO_TUNING}, {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    *o = (struct bench_opts){.steps = 20, .warmup = 3};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case O_MODEL: o->model = optarg; break;
        case O_STEPS: ok = parse_long(optarg, 1, 100000, &o->steps); break;
        case O_WARMUP: ok = parse_long(optarg, 0, 100000, &o->warmup); break;
        case O_DEVICE: o->device = optarg; break;
        case O_JSON: o->json = true; break;
        case O_PROFILE: o->profile = true; break;
        case O_NO_TUNING: o->no_tuning = true; break;
        case O_HELP: usage(stdout); return HELP_SHOWN;
        default: usage(stderr); return GC_EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "gan-cl bench: invalid value '%s'\n", optarg);
            return GC_EXIT_USAGE;
        }
    }
    static const char *const models[] = {"dcgan32", "wgan32", "wgangp32", "cyclegan64",
                                         "cyclegan128"};
    bool known = false;
    for (size_t i = 0; o->model && i < sizeof models / sizeof models[0]; i++)
        known |= strcmp(o->model, models[i]) == 0;
    if (o->model && !known) {
        fprintf(stderr, "gan-cl bench: unknown workload '%s' (dcgan32, wgan32, wgangp32, "
                        "cyclegan64, cyclegan128)\n", o->model);
        return GC_EXIT_USAGE;
    }
    if (optind < argc || !o->model) {
        fprintf(stderr, "gan-cl bench: %s\n", optind < argc ? "unexpected argument" : "--model is required");
        usage(stderr);
        return GC_EXIT_USAGE;
    }
    return GC_EXIT_OK;
}

/* n images in [-1, 1], fixed by the seed. */
static float *random_images(int64_t n, uint64_t seed)
{
    float *x = gc_malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; x && i < n; i++)
        x[i] = (float)((double)(gc_app_mix(&seed) >> 11) * 0x1p-52 - 1.0);
    return x;
}

static gc_status build_gan(struct workload *w, const char *model)
{
    struct gc_gan_config cfg;
    gc_status s = gc_gan_preset(model, &cfg);
    if (s == GC_OK) s = gc_gan_create(w->dev, &cfg, &w->gan);
    if (s != GC_OK) return s;
    w->n_critic = cfg.n_critic;
    w->batch = cfg.batch;
    w->batch_elems = (int64_t)cfg.batch * cfg.channels * cfg.image_size * cfg.image_size;
    /* A fresh real batch for each critic update of a step, as the spec asks. */
    w->real = random_images(w->batch_elems * cfg.n_critic, 1);
    if (!w->real) return gc_error(GC_NOMEM, "bench: out of host memory");
    gc_gan_phase_plans(w->gan, &w->plans[0], &w->plans[1]);
    w->runs[0] = cfg.n_critic;
    w->runs[1] = 1;
    w->n_plans = 2;
    return GC_OK;
}

static gc_status build_cyclegan(struct workload *w, const char *model)
{
    struct gc_cyclegan_config cfg;
    gc_status s = gc_cyclegan_preset(model, &cfg);
    if (s == GC_OK) s = gc_cyclegan_create(w->dev, &cfg, &w->cg);
    if (s != GC_OK) return s;
    w->n_critic = 1;
    w->batch = 1;
    w->batch_elems = (int64_t)cfg.input_nc * cfg.size * cfg.size;
    w->real = random_images(w->batch_elems * 2, 1);
    if (!w->real) return gc_error(GC_NOMEM, "bench: out of host memory");
    gc_cyclegan_step_plans(w->cg, w->plans);
    w->runs[0] = w->runs[1] = w->runs[2] = 1;
    w->n_plans = 3;
    return GC_OK;
}

static gc_status step(struct workload *w)
{
    gc_status s = GC_OK;
    if (w->cg) {
        s = gc_cyclegan_step(w->cg, w->real, w->real + w->batch_elems);
    } else {
        for (int i = 0; i < w->n_critic && s == GC_OK; i++)
            s = gc_gan_d_step(w->gan, w->real + (size_t)i * (size_t)w->batch_elems);
        if (s == GC_OK) s = gc_gan_g_step(w->gan);
    }
    return s == GC_OK ? gc_device_finish(w->dev) : s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double step_flops(const struct workload *w)
{
    double f = 0;
    for (int i = 0; i < w->n_plans; i++) f += w->runs[i] * gc_plan_flops(w->plans[i]);
    return f;
}

/* Device time per op kind over one step, summed over the plans (each plan's latest run,
 * times its runs per step). Ops that hand their GEMM to gc__gemm leave no event for it,
 * so the GEMM of a convolution is outside these figures: the rest of the step is. */
static gc_status print_profile(struct workload *w, double step_s)
{
    struct gc_op_time all[MAX_OPS], one[MAX_OPS];
    int n_all = 0;
    double total = 0;
    for (int p = 0; p < w->n_plans; p++) {
        int n = 0;
        gc_status s = gc_plan_profile(w->plans[p], one, MAX_OPS, &n);
        if (s != GC_OK) return s;
        for (int i = 0; i < n; i++) {
            int k = 0;
            while (k < n_all && strcmp(all[k].op, one[i].op) != 0) k++;
            if (k == n_all) {
                if (n_all == MAX_OPS) continue;
                all[n_all++] = (struct gc_op_time){one[i].op, 0, 0};
            }
            all[k].calls += one[i].calls * w->runs[p];
            all[k].ms += one[i].ms * w->runs[p];
            total += one[i].ms * w->runs[p];
        }
    }
    for (int i = 1; i < n_all; i++) /* by time, largest first */
        for (int j = i; j > 0 && all[j].ms > all[j - 1].ms; j--) {
            struct gc_op_time t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    fprintf(stderr, "profile of one step (profiling queue, %.1f ms wall): %.1f ms in events\n",
            step_s * 1e3, total);
    fprintf(stderr, "  %-22s %6s %10s %6s\n", "op", "calls", "ms", "%wall");
    for (int i = 0; i < n_all; i++)
        fprintf(stderr, "  %-22s %6lld %10.2f %5.1f%%\n", all[i].op, (long long)all[i].calls,
                all[i].ms, 100.0 * all[i].ms / (step_s * 1e3));
    return GC_OK;
}

static void report(const struct bench_opts *o, const struct workload *w, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    double gflop = step_flops(w) * 1e-9;
    const struct gc_device_info *info = gc_device_get_info(w->dev);
    if (o->json) {
        printf("{\"impl\": \"gan-cl\", \"model\": \"%s\", \"device\": \"%s\", \"platform\": \"%s\", "
               "\"batch\": %d, \"n_critic\": %d, \"steps\": %d, \"warmup\": %ld, "
               "\"median_s\": %.6f, \"min_s\": %.6f, \"max_s\": %.6f, \"gflop_per_step\": %.4f, "
               "\"gflops\": %.2f, \"tuning\": \"%s\", \"version\": \"%s\"}\n",
               o->model, info->name, info->platform_name, w->batch, w->n_critic, n, o->warmup,
               med, t[0], t[n - 1], gflop, gflop / med, w->tuning, GC_VERSION);
    } else {
        printf("%s on %s (%s): batch %d, %d steps after %ld warm-up, GEMM tuning %s\n", o->model,
               info->name, info->platform_name, w->batch, n, o->warmup, w->tuning);
        printf("  step: median %.4f s, min %.4f s, max %.4f s\n", med, t[0], t[n - 1]);
        printf("  %.3f GFLOP per step, %.2f GFLOP/s at the median\n", gflop, gflop / med);
    }
    fflush(stdout);
}

static gc_status run(const struct bench_opts *o, struct workload *w)
{
    struct gc_device_open_options dopt = {.profiling = o->profile};
    char note[512] = "";
    gc_status s = gc_device_open(o->device, &dopt, &w->dev, note, sizeof note);
    if (s != GC_OK) return s;
    if (*note) fprintf(stderr, "gan-cl: %s\n", note);
    if (o->no_tuning) {
        fprintf(stderr, "gan-cl: tuning record not loaded (--no-tuning): built-in GEMM defaults\n");
        w->tuning = "off";
    } else {
        w->tuning = gc_app_tune_load(w->dev) == GC_OK ? "record" : "none";
    }
    bool is_gan = strncmp(o->model, "cyclegan", 8) != 0;
    s = is_gan ? build_gan(w, o->model) : build_cyclegan(w, o->model);
    if (s != GC_OK) return s;
    for (long i = 0; i < o->warmup && s == GC_OK; i++) s = step(w); /* also builds the kernels */
    double *t = gc_calloc((size_t)o->steps, sizeof *t);
    if (s == GC_OK && !t) s = gc_error(GC_NOMEM, "bench: out of host memory");
    for (long i = 0; i < o->steps && s == GC_OK; i++) {
        double t0 = gc_app_now();
        s = step(w);
        t[i] = gc_app_now() - t0;
    }
    if (s == GC_OK) report(o, w, t, (int)o->steps);
    if (s == GC_OK && o->profile) {
        double t0 = gc_app_now();
        s = step(w);
        if (s == GC_OK) s = print_profile(w, gc_app_now() - t0);
    }
    gc_free(t);
    return s;
}

int gc_cmd_bench(int argc, char **argv)
{
    struct bench_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != GC_EXIT_OK) return rc == HELP_SHOWN ? GC_EXIT_OK : rc;
    struct workload w = {0};
    gc_status s = run(&o, &w);
    gc_gan_destroy(w.gan);
    gc_cyclegan_destroy(w.cg);
    gc_free(w.real);
    gc_device_destroy(w.dev);
    return s == GC_OK ? GC_EXIT_OK : gc_app_fail(s);
}
