/* SPDX-License-Identifier: MIT */
/* `gan-cl tune`: per-device tuning of the GEMM configs a model uses (host/tune), its report
 * table, record export/import; and gc_app_tune_load, the one line train/bench/sample print
 * when they load their device's record. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "gancl/device.h"
#include "gancl/tune.h"

#define HELP_SHOWN (-1)

struct tune_args {
    const char *device, *out, *import;
    struct gc_tune_options o;
    bool tune;       /* false: only --out / --import */
    double watchdog; /* the watchdog's floor, s; 0: --no-watchdog (in-process, unsupervised) */
};

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

gc_status gc_app_tune_load(struct gc_device *dev)
{
    char line[1536];
    gc_status s = gc_tune_load(dev, line, sizeof line);
    fprintf(stderr, "gan-cl: %s\n", line);
    return s;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gan-cl tune --device SEL [options]\n\n"
            "Measures gan-cl's GEMM configurations (own kernels' tile sizes, CLBlast) on every\n"
            "GEMM shape of the model's training step, and the tunables of its other kernels\n"
            "(element-wise, reductions, norms, im2col/col2im, optimizer; at most 15%% of the\n"
            "budget) on every shape they run, verifying each against a reference, and\n"
            "writes the winners to the device's tuning record, which train, bench and sample\n"
            "load by themselves. An interrupted tune resumes where it stopped.\n\n"
            "  --device SEL     OpenCL device (see `gan-cl devices`)\n"
            "  --model NAME     dcgan32 | wgan32 | wgangp32 | cyclegan64 | cyclegan128\n"
            "                   (default: all of them)\n"
            "  --budget SEC     wall-clock budget of the whole tune (default 600)\n"
            "  --max-evals N    candidates measured per shape at most (default: no limit)\n"
            "  --clblast WHEN   yes | no | only | auto (default: auto = GPUs, or CPUs when a\n"
            "                   shape's share of the budget covers CLBlast's slow build); CLBlast\n"
            "                   candidates are its defaults and its own Xgemm / XgemmDirect\n"
            "                   parameter sets (one program build each); only = CLBlast's sets\n"
            "                   alone beside the default\n"
            "  --no-step        skip timing the training step untuned vs tuned at the end\n"
            "  --watchdog SEC   the tune runs in a child process; a candidate whose run or\n"
            "                   timing takes longer than max(SEC, 100x the default's time of\n"
            "                   the shape) (its build: 300 s) is killed with it, recorded as\n"
            "                   hung and never run again, and a new child resumes; one that\n"
            "                   crashes the child is recorded as crashed (default 30)\n"
            "  --no-watchdog    tune in this process, unsupervised\n"
            "  --out FILE       also copy the device's record to FILE\n"
            "  --import FILE    merge a record from another machine first (without --model:\n"
            "                   only import)\n"
            "  --verbose        print every rejected candidate\n");
}

static bool parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct tune_args *a)
{
    enum { O_DEVICE = 256, O_MODEL, O_BUDGET, O_EVALS, O_CLBLAST, O_NOSTEP, O_OUT, O_IMPORT, O_VERBOSE, O_HELP,
           O_WATCHDOG, O_NOWATCHDOG };
    static const struct option lo[] = {
        {"device", required_argument, NULL, O_DEVICE}, {"model", required_argument, NULL, O_MODEL},
        {"budget", required_argument, NULL, O_BUDGET}, {"max-evals", required_argument, NULL, O_EVALS},
        {"clblast", required_argument, NULL, O_CLBLAST}, {"no-step", no_argument, NULL, O_NOSTEP},
        {"out", required_argument, NULL, O_OUT},       {"import", required_argument, NULL, O_IMPORT},
        {"verbose", no_argument, NULL, O_VERBOSE},     {"help", no_argument, NULL, O_HELP},
        {"watchdog", required_argument, NULL, O_WATCHDOG}, {"no-watchdog", no_argument, NULL, O_NOWATCHDOG},
        {NULL, 0, NULL, 0}};
    *a = (struct tune_args){.o = {.budget_s = 600, .clblast = -1, .step_timing = true}, .watchdog = 30};
    bool model = false, only_io = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        double v = 0;
        bool ok = true;
        switch (c) {
        case O_DEVICE: a->device = optarg; break;
        case O_MODEL: a->o.model = optarg, model = true; break;
        case O_BUDGET: ok = parse_num(optarg, 1, 1e6, &a->o.budget_s); break;
        case O_EVALS: ok = parse_num(optarg, 1, 1e6, &v), a->o.max_evals = (int)v; break;
        case O_CLBLAST:
            a->o.clblast = !strcmp(optarg, "yes") ? 1 : !strcmp(optarg, "no") ? 0 : !strcmp(optarg, "only") ? 2 : -1;
            ok = a->o.clblast != -1 || !strcmp(optarg, "auto");
            break;
        case O_NOSTEP: a->o.step_timing = false; break;
        case O_OUT: a->out = optarg; break;
        case O_IMPORT: a->import = optarg, only_io = true; break;
        case O_VERBOSE: a->o.user = (void *)1; break;
        case O_WATCHDOG: ok = parse_num(optarg, 0.1, 1e6, &a->watchdog); break;
        case O_NOWATCHDOG: a->watchdog = 0; break;
        case O_HELP: usage(stdout); return HELP_SHOWN;
        default: usage(stderr); return GC_EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "gan-cl tune: invalid value '%s'\n", optarg);
            return GC_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gan-cl tune: unexpected argument '%s'\n", argv[optind]);
        return GC_EXIT_USAGE;
    }
    a->tune = model || !only_io;
    return GC_EXIT_OK;
}

static void progress(const char *line, void *user)
{
    if (!user && strncmp(line, "  rejected", 10) == 0) return;
    fprintf(stderr, "gan-cl: %s\n", line);
}

static void report(const struct gc_tune_result *r)
{
    /* "clblast" rows: CLBlast alone, its defaults ("default ms") vs its best parameter set. */
    printf("%-7s %-24s %11s %11s %8s %9s %9s  %s\n", "kernel", "shape", "default ms", "tuned ms",
           "speedup", "GFLOP/s", "(default)", "parameters");
    for (int i = 0; i < r->n_rows; i++) {
        const struct gc_tune_row *w = &r->rows[i];
        if (w->flops <= 0) { /* gan-cl's own non-GEMM kernels: the shape key names the op */
            printf("%-7s %-24s %11.4f %11.4f %7.2fx %9s %9s  %s%s\n", "kernel", w->shape,
                   w->default_s * 1e3, w->tuned_s * 1e3, w->default_s / w->tuned_s, "-", "-",
                   w->params, w->resumed ? " (record)" : "");
            continue;
        }
        printf("%-7s %-24s %11.3f %11.3f %7.2fx %9.1f %9.1f  %s%s\n", w->kernel, w->shape,
               w->default_s * 1e3, w->tuned_s * 1e3, w->default_s / w->tuned_s,
               w->flops / w->tuned_s * 1e-9, w->flops / w->default_s * 1e-9, w->params,
               w->resumed ? " (record)" : "");
    }
    for (int i = 0; i < r->n_steps; i++)
        printf("step %-12s untuned %.4f s, tuned %.4f s (%.2fx)\n", r->steps[i].model,
               r->steps[i].default_s, r->steps[i].tuned_s, r->steps[i].default_s / r->steps[i].tuned_s);
    printf("record %s (%.0f s, of which %.1f s on non-GEMM kernels)\n", r->record_path,
           r->elapsed_s, r->op_s);
}

/* restarts: tuning processes that ran before this one (the watchdog's); the import was done. */
static gc_status run(struct tune_args *a, struct gc_device *dev, int restarts)
{
    const struct gc_device_info *info = gc_device_get_info(dev);
    gc_status s = GC_OK;
    if (a->import && restarts == 0) {
        int n = 0;
        s = gc_tune_import(info, a->import, &n);
        if (s == GC_OK) fprintf(stderr, "gan-cl: imported %d entries from %s\n", n, a->import);
    }
    if (s == GC_OK && a->tune) {
        struct gc_tune_result r;
        a->o.interrupted = &interrupted;
        a->o.progress = progress;
        fprintf(stderr, "gan-cl: tuning %s on %s, budget %.0f s\n", a->o.model ? a->o.model : "all models",
                info->name, a->o.budget_s);
        s = gc_tune_run(dev, &a->o, &r);
        if (s == GC_OK || s == GC_INTERRUPTED) report(&r);
        gc_tune_result_free(&r);
    }
    if (s == GC_OK && a->out) {
        s = gc_tune_export(info, a->out);
        if (s == GC_OK) fprintf(stderr, "gan-cl: record written to %s\n", a->out);
    }
    return s;
}

static void watchdog_say(const char *line, void *user)
{
    (void)user;
    fprintf(stderr, "gan-cl tune: %s\n", line);
}

/* With the watchdog, the parent waits here for the tuning processes (it opens no device:
 * drivers are not fork-safe) and returns their exit status; each child returns true and tunes. */
static bool supervised(const struct tune_args *a, int *rc, int *restarts)
{
    *restarts = 0;
    if (!a->tune || a->watchdog <= 0) return true;
    struct gc_tune_watchdog w = {.floor_s = a->watchdog, .say = watchdog_say};
    struct gc_tune_supervision sup;
    gc_status s = gc_tune_supervise(&w, &sup);
    if (s != GC_OK) *rc = gc_app_fail(s);
    else *rc = sup.exit_code;
    *restarts = sup.restarts;
    return s == GC_OK && sup.child;
}

int gc_cmd_tune(int argc, char **argv)
{
    struct tune_args a;
    int rc = parse_args(argc, argv, &a), restarts;
    if (rc != GC_EXIT_OK) return rc == HELP_SHOWN ? GC_EXIT_OK : rc;
    if (!supervised(&a, &rc, &restarts)) return rc;
    struct gc_device *dev = NULL;
    char note[512] = "";
    gc_status s = gc_device_open(a.device, NULL, &dev, note, sizeof note);
    if (s != GC_OK) return gc_app_fail(s);
    if (*note) fprintf(stderr, "gan-cl: %s\n", note);
    signal(SIGINT, on_sigint);
    s = run(&a, dev, restarts);
    signal(SIGINT, SIG_DFL);
    gc_tune_unload(dev);
    gc_device_destroy(dev);
    return s == GC_OK ? GC_EXIT_OK : gc_app_fail(s);
}
