/* SPDX-License-Identifier: MIT */
/* `gan-cl train`: the training loop of the DCGAN family on Fashion-MNIST —
 * options, run folder (options.txt, log.csv, samples/, checkpoints/,
 * index.html), progress line, Ctrl-C saves a checkpoint, --resume continues
 * bit for bit (data order, random streams, optimizer state all restored). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cl/cache.h"
#include "gancl/alloc.h"
#include "gancl/gan.h"
#include "gancl/idx.h"
#include "gancl/image.h"
#include "eval_frame.h"
#include "train_run.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gan-cl train [--model NAME] [options]\n\n"
            "  --model NAME        %s (default dcgan32)\n"
            "  --data SPEC         fashion-mnist, fashion-mnist:CLASS (name or 0-9), or a\n"
            "                      folder of .png/.jpg (recursive; Resize + CenterCrop to the\n"
            "                      model's size, bilinear, as PyTorch's DCGAN example)\n"
            "                      (default fashion-mnist; files from %s)\n"
            "  --nc N              image channels: 1 or 3 (default 1 for fashion-mnist,\n"
            "                      3 for a folder; grey images are repeated, colour made grey)\n"
            "  --dataroot SPEC     alias of --data\n"
            "  --device SEL        OpenCL device (see `gan-cl devices`; default: best GPU, else CPU)\n"
            "  --steps N           generator updates to run (default 3000)\n"
            "  --epochs N          run until N passes over the data instead\n"
            "  --batch N           batch size (default: the preset's, 64)\n"
            "  --lr X              learning rate (default: the preset's)\n"
            "  --beta1 X --beta2 X Adam betas (default: the preset's)\n"
            "  --n_critic N        critic updates per generator update (preset)\n"
            "  --lambda_gp X       WGAN-GP penalty weight (default 10)\n"
            "  --clip X            WGAN weight clipping (default 0.01)\n"
            "  --nz N --ngf N --ndf N  latent size and widths (default 100, 64, 64)\n"
            "  --seed S            random seed (default 0: runs are reproducible)\n"
            "  --run DIR           run folder (default runs/MODEL-YYYYmmdd-HHMMSS)\n"
            "  --resume DIR        continue the run in DIR from checkpoints/latest.safetensors\n"
            "  --sample-every N    sample grid every N steps (default 250)\n"
            "  --checkpoint-every N  checkpoint every N steps (default 500; latest is kept)\n"
            "  --log-every N       log.csv line every N steps (default 10)\n"
            "  --eval-every N      FID (fmnist) every N steps into log.csv, the progress line\n"
            "                      and index.html (default 0: off)\n"
            "  --eval-n N          images per FID side (default %d; real features computed once)\n\n"
            "CycleGAN: gan-cl train --model cyclegan64 --help\n",
            gc_gan_preset_names(), GC_FMNIST_DEFAULT_DIR, GC_TRAIN_EVAL_N);
}

enum opt_id {
    O_MODEL = 256, O_DATA, O_DEVICE, O_STEPS, O_EPOCHS, O_BATCH, O_LR, O_BETA1, O_BETA2,
    O_NCRITIC, O_LAMBDA, O_CLIP, O_NZ, O_NGF, O_NDF, O_SEED, O_RUN, O_RESUME, O_SAMPLE,
    O_CKPT, O_LOG, O_EVAL_EVERY, O_EVAL_N, O_NC, O_HELP
};

static const struct option long_opts[] = {
    {"model", required_argument, NULL, O_MODEL},     {"data", required_argument, NULL, O_DATA},
    {"dataroot", required_argument, NULL, O_DATA},   {"device", required_argument, NULL, O_DEVICE},
    {"steps", required_argument, NULL, O_STEPS},     {"epochs", required_argument, NULL, O_EPOCHS},
    {"batch", required_argument, NULL, O_BATCH},     {"batch_size", required_argument, NULL, O_BATCH},
    {"lr", required_argument, NULL, O_LR},           {"beta1", required_argument, NULL, O_BETA1},
    {"beta2", required_argument, NULL, O_BETA2},     {"n_critic", required_argument, NULL, O_NCRITIC},
    {"lambda_gp", required_argument, NULL, O_LAMBDA}, {"clip", required_argument, NULL, O_CLIP},
    {"nz", required_argument, NULL, O_NZ},           {"ngf", required_argument, NULL, O_NGF},
    {"ndf", required_argument, NULL, O_NDF},         {"seed", required_argument, NULL, O_SEED},
    {"run", required_argument, NULL, O_RUN},         {"resume", required_argument, NULL, O_RESUME},
    {"sample-every", required_argument, NULL, O_SAMPLE},
    {"checkpoint-every", required_argument, NULL, O_CKPT},
    {"log-every", required_argument, NULL, O_LOG},   {"help", no_argument, NULL, O_HELP},
    {"eval-every", required_argument, NULL, O_EVAL_EVERY},
    {"eval-n", required_argument, NULL, O_EVAL_N},   {"nc", required_argument, NULL, O_NC},
    {NULL, 0, NULL, 0}};

static bool parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool parse_float(const char *s, float *out)
{
    char *end;
    float v = strtof(s, &end);
    if (end == s || *end) return false;
    *out = v;
    return true;
}

/* First pass: --model and --resume decide the base configuration. */
static int base_config(int argc, char **argv, struct gc_train_opts *o)
{
    const char *model = "dcgan32";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[i + 1];
        else if (strncmp(argv[i], "--model=", 8) == 0) model = argv[i] + 8;
        if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc) o->resume = argv[i + 1];
        else if (strncmp(argv[i], "--resume=", 9) == 0) o->resume = argv[i] + 9;
    }
    gc_status s = gc_gan_preset(model, &o->cfg);
    if (s != GC_OK) return gc_app_fail(GC_INVALID_ARG);
    return GC_EXIT_OK;
}

static int bad_value(const char *opt, const char *v)
{
    fprintf(stderr, "gan-cl train: invalid value '%s' for --%s\n", v, opt);
    return GC_EXIT_USAGE;
}

static int apply_option(int c, const char *v, struct gc_train_opts *o)
{
    long n;
    float f;
    switch (c) {
    case O_MODEL: case O_RESUME: return GC_EXIT_OK; /* handled by base_config */
    case O_DATA: o->data = v; return GC_EXIT_OK;
    case O_DEVICE: o->device = v; return GC_EXIT_OK;
    case O_RUN: o->run_dir = v; return GC_EXIT_OK;
    case O_STEPS: if (!parse_int(v, 1, 100000000, &n)) return bad_value("steps", v); o->steps = n; return 0;
    case O_EPOCHS: if (!parse_int(v, 1, 1000000, &n)) return bad_value("epochs", v); o->epochs = n; return 0;
    case O_BATCH: if (!parse_int(v, 1, 65536, &n)) return bad_value("batch", v); o->cfg.batch = (int)n; return 0;
    case O_NCRITIC: if (!parse_int(v, 1, 1000, &n)) return bad_value("n_critic", v); o->cfg.n_critic = (int)n; return 0;
    case O_NZ: if (!parse_int(v, 1, 4096, &n)) return bad_value("nz", v); o->cfg.nz = (int)n; return 0;
    case O_NGF: if (!parse_int(v, 1, 4096, &n)) return bad_value("ngf", v); o->cfg.ngf = (int)n; return 0;
    case O_NDF: if (!parse_int(v, 1, 4096, &n)) return bad_value("ndf", v); o->cfg.ndf = (int)n; return 0;
    case O_SEED: if (!parse_int(v, 0, 2147483647, &n)) return bad_value("seed", v); o->cfg.seed = (uint64_t)n; return 0;
    case O_SAMPLE: if (!parse_int(v, 1, 100000000, &n)) return bad_value("sample-every", v); o->sample_every = n; return 0;
    case O_CKPT: if (!parse_int(v, 1, 100000000, &n)) return bad_value("checkpoint-every", v); o->ckpt_every = n; return 0;
    case O_LOG: if (!parse_int(v, 1, 100000000, &n)) return bad_value("log-every", v); o->log_every = n; return 0;
    case O_EVAL_EVERY: if (!parse_int(v, 0, 100000000, &n)) return bad_value("eval-every", v); o->eval_every = n; return 0;
    case O_EVAL_N: if (!parse_int(v, 10, 1000000, &n)) return bad_value("eval-n", v); o->eval_n = n; return 0;
    case O_NC: if (!parse_int(v, 1, 3, &n) || n == 2) return bad_value("nc", v); o->nc = (int)n; return 0;
    case O_LR: if (!parse_float(v, &f) || f <= 0) return bad_value("lr", v); o->cfg.lr = f; return 0;
    case O_BETA1: if (!parse_float(v, &f)) return bad_value("beta1", v); o->cfg.beta1 = f; return 0;
    case O_BETA2: if (!parse_float(v, &f)) return bad_value("beta2", v); o->cfg.beta2 = f; return 0;
    case O_LAMBDA: if (!parse_float(v, &f)) return bad_value("lambda_gp", v); o->cfg.gp_lambda = f; return 0;
    case O_CLIP: if (!parse_float(v, &f) || f <= 0) return bad_value("clip", v); o->cfg.clip = f; return 0;
    default: return GC_EXIT_USAGE;
    }
}

/* --model cyclegan* (either spelling) selects the CycleGAN command, whose
 * options and --help are its own. */
static bool wants_cyclegan(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *m = NULL;
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) m = argv[i + 1];
        else if (strncmp(argv[i], "--model=", 8) == 0) m = argv[i] + 8;
        if (m && strncmp(m, "cyclegan", 8) == 0) return true;
    }
    return false;
}

int gc_cmd_train(int argc, char **argv)
{
    struct gc_train_opts o = {.data = "fashion-mnist", .steps = 3000, .sample_every = 250,
                              .ckpt_every = 500, .log_every = 10, .eval_n = GC_TRAIN_EVAL_N};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (wants_cyclegan(argc, argv)) {
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        return gc_train_cyclegan(argc, argv, &interrupted);
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return GC_EXIT_OK;
        }
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = base_config(argc, argv, &o);
    if (rc != GC_EXIT_OK) return rc;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (c == '?') {
            usage(stderr);
            return GC_EXIT_USAGE;
        }
        rc = apply_option(c, optarg, &o);
        if (rc != GC_EXIT_OK) return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "gan-cl train: unexpected argument '%s'\n", argv[optind]);
        return GC_EXIT_USAGE;
    }
    o.cfg.channels = o.nc ? o.nc : gc_app_data_is_fmnist(o.data) ? 1 : 3;
    o.interrupted = &interrupted;
    return gc_train_run(&o);
}
