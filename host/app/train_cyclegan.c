/* SPDX-License-Identifier: MIT */
/* `gan-cl train --model cyclegan64|cyclegan128|cyclegan`: unpaired
 * translation between two domains. Options follow the reference
 * implementation's names (--netG, --n_epochs, --lambda_A, --dataroot,
 * --preprocess, ...). Data: a CycleGAN folder (trainA/ trainB/ testA/ testB/)
 * or two single-domain specs "A|B" such as two Fashion-MNIST classes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "gancl/alloc.h"
#include "gancl/cyclegan.h"
#include "gancl/dataset.h"
#include "gancl/image.h"
#include "gancl/safetensors.h"
#include "report.h"
#include "run_common.h"

struct cg_opts {
    struct gc_cyclegan_config cfg;
    const char *dataroot, *device, *run_dir, *resume;
    const char *preprocess;
    long max_size; /* --max_dataset_size; 0: all */
    int load_size; /* 0: the crop size scaled like the reference's 286 / 256 */
    bool no_flip, serial, b_to_a, root_given;
    long steps, sample_every, ckpt_every, log_every;
};

struct cg_loop {
    struct cg_opts *o;
    struct gc_device *dev;
    struct gc_cyclegan *m;
    struct gc_dataset *train, *test;
    int64_t *order;
    int64_t step, epoch, pos;
    float *xa, *xb;
    char dir[1024];
    FILE *log;
    double t_start, t_data, t_compute;
    int64_t step0; /* step at which this process started (rate display) */
    volatile sig_atomic_t *interrupted;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gan-cl train --model cyclegan64|cyclegan128|cyclegan [options]\n\n"
               "Presets: cyclegan64 / cyclegan128 (64 / 128 px, resnet_6blocks), cyclegan (256 px,\n"
               "resnet_9blocks: the reference defaults). Options as the reference names them:\n\n"
               "  --dataroot SPEC     a CycleGAN folder (trainA/ trainB/ testA/ testB/) or two\n"
               "                      domains 'A|B' (default fashion-mnist:sneaker|fashion-mnist:ankle-boot)\n"
               "  --preprocess P      resize_and_crop|crop|scale_width|scale_width_and_crop|none\n"
               "                      (default resize_and_crop; none for Fashion-MNIST)\n"
               "  --load_size N       resize target before cropping (default crop_size * 286/256)\n"
               "  --crop_size N       training image size (default: the preset's, 64/128/256)\n"
               "  --max_dataset_size N  use only the first N images of each domain (default: all)\n"
               "  --no_flip           no random horizontal flips (default: flip)\n"
               "  --direction AtoB|BtoA  (default AtoB)\n"
               "  --serial_batches    pair A[i] with B[i] instead of a random B (default: random)\n"
               "  --input_nc N --output_nc N  channels (default 3; use 1 for Fashion-MNIST)\n"
               "  --netG %s\n"
               "                      generator (default: the preset's resnet_6blocks / resnet_9blocks)\n"
               "  --ngf N --ndf N     widths of the first layers (default 64, 64)\n"
               "  --netD %s  discriminator (default basic: 70x70 PatchGAN)\n"
               "  --n_layers_D N      layers of --netD n_layers (default 3)\n"
               "  --norm %s  of G and D (default instance)\n"
               "  --no_dropout        no generator dropout (the reference CycleGAN default)\n"
               "  --use_dropout       generator dropout 0.5 (U-Net middle blocks, ResNet blocks)\n"
               "  --init_type %s  (default normal)\n"
               "  --init_gain X       scale of normal, xavier and orthogonal (default 0.02)\n"
               "  --gan_mode %s  (default lsgan)\n"
               "  --lambda_gp X       wgangp gradient penalty weight, applied to both D (default 10)\n"
               "  --n_epochs N --n_epochs_decay N  constant, then linearly decaying lr (100, 100)\n"
               "  --steps N           stop after N steps (default: all epochs)\n"
               "  --lr X --beta1 X    Adam (default 0.0002, 0.5; beta2 0.999)\n"
               "  --lambda_A X --lambda_B X --lambda_identity X  (default 10, 10, 0.5)\n"
               "  --pool_size N       image pool per discriminator (default 50)\n"
               "  --seed S            random seed (default 0: runs are reproducible)\n"
               "  --device SEL        OpenCL device (default: best GPU, else CPU)\n"
               "  --run DIR           run folder (default runs/MODEL-YYYYmmdd-HHMMSS)\n"
               "  --resume DIR        continue the run in DIR (its checkpoint's architecture)\n"
               "  --sample-every N --checkpoint-every N --log-every N  (default 500, 1000, 10)\n",
            gc_cyclegan_option_values("netG"), gc_cyclegan_option_values("netD"),
            gc_cyclegan_option_values("norm"), gc_cyclegan_option_values("init_type"),
            gc_cyclegan_option_values("gan_mode"));
}

enum { C_MODEL = 300, C_ROOT, C_PRE, C_LOAD, C_NOFLIP, C_DIR, C_SERIAL, C_NETG, C_NLD, C_NGF, C_NDF, C_INC, C_ONC, C_CROP, C_NE,
       C_NED, C_STEPS, C_LR, C_B1, C_LA, C_LB, C_LI, C_POOL, C_SEED, C_DEV, C_RUN, C_RES,
       C_SE, C_CE, C_LE, C_MAXDS, C_NETD, C_NORM, C_GANMODE, C_LGP, C_INIT, C_GAIN, C_NODROP,
       C_DROP, C_HELP };

static const struct option cg_long[] = {
    {"model", required_argument, NULL, C_MODEL}, {"dataroot", required_argument, NULL, C_ROOT},
    {"data", required_argument, NULL, C_ROOT}, {"preprocess", required_argument, NULL, C_PRE},
    {"load_size", required_argument, NULL, C_LOAD}, {"no_flip", no_argument, NULL, C_NOFLIP},
    {"direction", required_argument, NULL, C_DIR}, {"serial_batches", no_argument, NULL, C_SERIAL},
    {"netG", required_argument, NULL, C_NETG},
    {"n_layers_D", required_argument, NULL, C_NLD}, {"ngf", required_argument, NULL, C_NGF},
    {"ndf", required_argument, NULL, C_NDF}, {"input_nc", required_argument, NULL, C_INC},
    {"output_nc", required_argument, NULL, C_ONC}, {"crop_size", required_argument, NULL, C_CROP},
    {"n_epochs", required_argument, NULL, C_NE}, {"n_epochs_decay", required_argument, NULL, C_NED},
    {"steps", required_argument, NULL, C_STEPS}, {"lr", required_argument, NULL, C_LR},
    {"beta1", required_argument, NULL, C_B1}, {"lambda_A", required_argument, NULL, C_LA},
    {"lambda_B", required_argument, NULL, C_LB}, {"lambda_identity", required_argument, NULL, C_LI},
    {"pool_size", required_argument, NULL, C_POOL}, {"seed", required_argument, NULL, C_SEED},
    {"device", required_argument, NULL, C_DEV}, {"run", required_argument, NULL, C_RUN},
    {"resume", required_argument, NULL, C_RES}, {"sample-every", required_argument, NULL, C_SE},
    {"checkpoint-every", required_argument, NULL, C_CE}, {"log-every", required_argument, NULL, C_LE},
    {"max_dataset_size", required_argument, NULL, C_MAXDS},
    {"netD", required_argument, NULL, C_NETD}, {"norm", required_argument, NULL, C_NORM},
    {"gan_mode", required_argument, NULL, C_GANMODE}, {"lambda_gp", required_argument, NULL, C_LGP},
    {"init_type", required_argument, NULL, C_INIT}, {"init_gain", required_argument, NULL, C_GAIN},
    {"no_dropout", no_argument, NULL, C_NODROP}, {"use_dropout", no_argument, NULL, C_DROP},
    {"help", no_argument, NULL, C_HELP}, {NULL, 0, NULL, 0}};

static bool num(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool real(const char *s, float *out)
{
    char *end;
    *out = strtof(s, &end);
    return end != s && !*end;
}

static int set_int(const char *name, const char *v, long lo, long hi, int *dst)
{
    long n;
    if (!num(v, lo, hi, &n)) {
        fprintf(stderr, "gan-cl train: invalid value '%s' for --%s\n", v, name);
        return GC_EXIT_USAGE;
    }
    *dst = (int)n;
    return GC_EXIT_OK;
}

static int set_float(const char *name, const char *v, float *dst)
{
    if (!real(v, dst)) {
        fprintf(stderr, "gan-cl train: invalid value '%s' for --%s\n", v, name);
        return GC_EXIT_USAGE;
    }
    return GC_EXIT_OK;
}

/* --netG and the other named choices: their value index, or a usage error
 * listing the choices. */
static int set_choice(const char *option, const char *v, int *dst)
{
    int e = gc_cyclegan_option_parse(option, v);
    if (e < 0) {
        fprintf(stderr, "gan-cl train: --%s %s: choose one of %s\n", option, v,
                gc_cyclegan_option_values(option));
        return GC_EXIT_USAGE;
    }
    *dst = e;
    return GC_EXIT_OK;
}

static int apply_model_option(int c, const char *v, struct gc_cyclegan_config *g)
{
    int e = 0, rc = GC_EXIT_USAGE;
    switch (c) {
    case C_NETG: rc = set_choice("netG", v, &e); if (!rc) g->netG = (enum gc_cg_netg)e; return rc;
    case C_NETD: rc = set_choice("netD", v, &e); if (!rc) g->netD = (enum gc_cg_netd)e; return rc;
    case C_NORM: rc = set_choice("norm", v, &e); if (!rc) g->norm = (enum gc_cg_norm)e; return rc;
    case C_GANMODE:
        rc = set_choice("gan_mode", v, &e);
        if (!rc) g->gan_mode = (enum gc_cg_gan_mode)e;
        return rc;
    case C_INIT:
        rc = set_choice("init_type", v, &e);
        if (!rc) g->init_type = (enum gc_cg_init)e;
        return rc;
    case C_GAIN: return set_float("init_gain", v, &g->init_gain);
    case C_LGP: return set_float("lambda_gp", v, &g->lambda_gp);
    case C_NODROP: g->use_dropout = false; return GC_EXIT_OK;
    case C_DROP: g->use_dropout = true; return GC_EXIT_OK;
    default: return -1;
    }
}

static int apply(int c, const char *v, struct cg_opts *o)
{
    struct gc_cyclegan_config *g = &o->cfg;
    int tmp = 0, rc = apply_model_option(c, v, g);
    if (rc >= 0) return rc;
    switch (c) {
    case C_MODEL: case C_RES: return GC_EXIT_OK;
    case C_ROOT: o->dataroot = v, o->root_given = true; return GC_EXIT_OK;
    case C_PRE: o->preprocess = v; return GC_EXIT_OK;
    case C_LOAD: return set_int("load_size", v, 16, 8192, &o->load_size);
    case C_NOFLIP: o->no_flip = true; return GC_EXIT_OK;
    case C_SERIAL: o->serial = true; return GC_EXIT_OK;
    case C_DIR:
        if (strcmp(v, "AtoB") && strcmp(v, "BtoA")) {
            fprintf(stderr, "gan-cl train: --direction AtoB or BtoA\n");
            return GC_EXIT_USAGE;
        }
        o->b_to_a = strcmp(v, "BtoA") == 0;
        return GC_EXIT_OK;
    case C_DEV: o->device = v; return GC_EXIT_OK;
    case C_RUN: o->run_dir = v; return GC_EXIT_OK;
    case C_NLD: return set_int("n_layers_D", v, 1, 6, &g->n_layers_D);
    case C_NGF: return set_int("ngf", v, 1, 1024, &g->ngf);
    case C_NDF: return set_int("ndf", v, 1, 1024, &g->ndf);
    case C_INC: return set_int("input_nc", v, 1, 4, &g->input_nc);
    case C_ONC: return set_int("output_nc", v, 1, 4, &g->output_nc);
    case C_CROP: return set_int("crop_size", v, 16, 4096, &g->size);
    case C_NE: return set_int("n_epochs", v, 0, 100000, &g->n_epochs);
    case C_NED: return set_int("n_epochs_decay", v, 0, 100000, &g->n_epochs_decay);
    case C_POOL: return set_int("pool_size", v, 0, 10000, &g->pool_size);
    case C_STEPS: rc = set_int("steps", v, 1, 2000000000, &tmp); o->steps = tmp; return rc;
    case C_SE: rc = set_int("sample-every", v, 1, 2000000000, &tmp); o->sample_every = tmp; return rc;
    case C_CE: rc = set_int("checkpoint-every", v, 1, 2000000000, &tmp); o->ckpt_every = tmp; return rc;
    case C_MAXDS: rc = set_int("max_dataset_size", v, 1, 2000000000, &tmp); o->max_size = tmp; return rc;
    case C_LE: rc = set_int("log-every", v, 1, 2000000000, &tmp); o->log_every = tmp; return rc;
    case C_SEED: rc = set_int("seed", v, 0, 2147483647, &tmp); g->seed = (uint64_t)tmp; return rc;
    case C_LR: return set_float("lr", v, &g->lr);
    case C_B1: return set_float("beta1", v, &g->beta1);
    case C_LA: return set_float("lambda_A", v, &g->lambda_A);
    case C_LB: return set_float("lambda_B", v, &g->lambda_B);
    case C_LI: return set_float("lambda_identity", v, &g->lambda_identity);
    default: usage(stderr); return GC_EXIT_USAGE;
    }
}

static bool is_fmnist(const char *spec)
{
    return strncmp(spec, "fashion-mnist", 13) == 0;
}

/* Fashion-MNIST (28 px) is padded to the crop size; folders follow the
 * reference's get_transform. */
static gc_status open_data(const struct cg_opts *o, const char *phase, struct gc_dataset **ds)
{
    const struct gc_cyclegan_config *c = &o->cfg;
    struct gc_dataset_opts d = {.spec = o->dataroot, .phase = phase, .serial = o->serial,
                                .b_to_a = o->b_to_a,
                                .max_size = strcmp(phase, "train") == 0 ? o->max_size : 0};
    gc_transform_default(&d.transform);
    d.transform.crop_size = c->size;
    d.transform.load_size = o->load_size ? o->load_size : (c->size * 286 + 128) / 256;
    d.transform.no_flip = o->no_flip || strcmp(phase, "test") == 0;
    d.transform.channels = c->input_nc;
    gc_status s = GC_OK;
    if (o->preprocess) s = gc_preprocess_parse(o->preprocess, &d.transform.preprocess);
    if (s == GC_OK && is_fmnist(o->dataroot) && !o->preprocess) {
        if (c->size < 28)
            return gc_error(GC_INVALID_ARG, "--crop_size %d is smaller than Fashion-MNIST's 28 px",
                            c->size);
        d.transform.preprocess = GC_PRE_NONE;
        d.transform.pad = (c->size - 28) / 2;
    }
    if (s == GC_OK) s = gc_dataset_open(ds, &d);
    if (s == GC_OK && gc_dataset_domains(*ds) != 2)
        s = gc_error(GC_INVALID_ARG, "%s: CycleGAN needs two domains (trainA/ trainB/ or 'A|B')",
                     o->dataroot);
    return s;
}

static void start_epoch(struct cg_loop *L)
{
    gc_dataset_permutation(L->order, gc_dataset_size(L->train),
                           L->o->cfg.seed * 1000003u + (uint64_t)L->epoch);
    gc_cyclegan_set_lr(L->m, gc_cyclegan_lr(&L->o->cfg, (int)L->epoch));
}

/* The next pair in the epoch's seeded order (B drawn by the dataset). */
static gc_status next_pair(struct cg_loop *L)
{
    double t0 = gc_app_now();
    if (L->pos >= gc_dataset_size(L->train)) {
        L->epoch++;
        L->pos = 0;
        start_epoch(L);
    }
    gc_status s = gc_dataset_get(L->train, L->order[L->pos], L->o->cfg.seed, L->epoch, L->xa,
                                 L->xb);
    L->pos++;
    L->t_data += gc_app_now() - t0;
    return s;
}

static gc_status save(struct cg_loop *L, bool copy)
{
    char path[1200], v[4][32];
    snprintf(v[0], sizeof v[0], "%" PRId64, L->step);
    snprintf(v[1], sizeof v[1], "%" PRId64, L->epoch);
    snprintf(v[2], sizeof v[2], "%" PRId64, L->pos);
    snprintf(v[3], sizeof v[3], "%ld", L->o->max_size);
    const char *keys[5] = {"train.step", "train.epoch", "train.pos", "train.dataroot",
                           "train.max_dataset_size"};
    const char *vals[5] = {v[0], v[1], v[2], L->o->dataroot, v[3]};
    snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", L->dir);
    gc_status s = gc_cyclegan_save(L->m, path, 5, keys, vals);
    if (s == GC_OK && copy) {
        snprintf(path, sizeof path, "%s/checkpoints/step_%06" PRId64 ".safetensors", L->dir,
                 L->step);
        s = gc_cyclegan_save(L->m, path, 5, keys, vals);
    }
    return s;
}

static gc_status meta_i64(const char *path, const char *key, int64_t *out)
{
    struct gc_safetensors *st;
    gc_status s = gc_safetensors_load(&st, path);
    if (s != GC_OK) return s;
    const char *v = gc_safetensors_meta_get(st, key);
    char *end = NULL;
    if (v) *out = strtoll(v, &end, 10);
    s = v && *v && !*end ? GC_OK : gc_error(GC_FORMAT, "%s: no %s", path, key);
    gc_safetensors_destroy(st);
    return s;
}

static gc_status meta_text(const char *path, const char *key, char *buf, size_t size)
{
    struct gc_safetensors *st;
    gc_status s = gc_safetensors_load(&st, path);
    if (s != GC_OK) return s;
    const char *v = gc_safetensors_meta_get(st, key);
    snprintf(buf, size, "%s", v ? v : "");
    gc_safetensors_destroy(st);
    return v ? GC_OK : gc_error(GC_FORMAT, "%s: no %s", path, key);
}

static gc_status resume(struct cg_loop *L)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/checkpoints/latest.safetensors", L->dir);
    gc_status s = gc_cyclegan_load(L->m, path);
    if (s == GC_OK) s = meta_i64(path, "train.step", &L->step);
    if (s == GC_OK) s = meta_i64(path, "train.epoch", &L->epoch);
    if (s == GC_OK) s = meta_i64(path, "train.pos", &L->pos);
    return s;
}

/* Rows: 8 test images of A, G_A of them, 8 of B, G_B of them. */
static gc_status samples(struct cg_loop *L)
{
    const struct gc_cyclegan_config *c = &L->o->cfg;
    int nc = c->input_nc > c->output_nc ? c->input_nc : c->output_nc;
    int64_t per = (int64_t)nc * c->size * c->size, n = gc_dataset_size(L->test);
    float *grid = gc_calloc((size_t)(32 * per), sizeof(float));
    float *tmp = gc_malloc(sizeof(float) * (size_t)per);
    gc_status s = grid && tmp ? GC_OK : gc_error(GC_NOMEM, "samples: out of host memory");
    for (int i = 0; i < 8 && s == GC_OK; i++) {
        s = gc_dataset_get(L->test, i % n, c->seed, 0, grid + i * per, grid + (16 + i) * per);
        if (s == GC_OK) s = gc_cyclegan_translate(L->m, true, grid + i * per, grid + (8 + i) * per);
        if (s == GC_OK) s = gc_cyclegan_translate(L->m, false, grid + (16 + i) * per, tmp);
        if (s == GC_OK) memcpy(grid + (24 + i) * per, tmp, sizeof(float) * (size_t)per);
    }
    char p[1200];
    snprintf(p, sizeof p, "%s/samples/step_%06" PRId64 ".png", L->dir, L->step);
    if (s == GC_OK && c->input_nc == c->output_nc)
        s = gc_image_save_grid(p, grid, 32, nc, c->size, c->size, 8, 2);
    if (s == GC_OK) gc_report_write(L->dir, c->model);
    gc_free(grid);
    gc_free(tmp);
    return s;
}

static gc_status log_step(struct cg_loop *L, bool tty)
{
    struct gc_cyclegan_losses l;
    gc_status s = gc_cyclegan_losses(L->m, &l);
    if (s != GC_OK) return s;
    float lr = gc_cyclegan_lr(&L->o->cfg, (int)L->epoch);
    fprintf(L->log,
            "%" PRId64 ",%" PRId64 ",%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%g,%.3f,%.3f\n",
            L->step, L->epoch, l.D_A, l.G_A, l.cycle_A, l.idt_A, l.D_B, l.G_B, l.cycle_B, l.idt_B,
            l.gp_A, l.gp_B, lr, L->t_data, L->t_compute);
    fflush(L->log);
    double el = gc_app_now() - L->t_start;
    fprintf(stderr, "%sstep %" PRId64 "  epoch %" PRId64 "  %.2f steps/s  D_A %.3f G_A %.3f "
                    "cyc_A %.3f  D_B %.3f G_B %.3f cyc_B %.3f%s",
            tty ? "\r" : "", L->step, L->epoch, el > 0 ? (double)(L->step - L->step0) / el : 0, l.D_A, l.G_A,
            l.cycle_A, l.D_B, l.G_B, l.cycle_B, tty ? "   " : "\n");
    if (!isfinite(l.cycle_A) || !isfinite(l.D_A) || !isfinite(l.D_B) || !isfinite(l.G_A))
        return gc_error(GC_FORMAT, "training diverged: NaN loss at step %" PRId64, L->step);
    return GC_OK;
}

static gc_status loop(struct cg_loop *L)
{
    const struct gc_cyclegan_config *c = &L->o->cfg;
    int64_t total = (int64_t)(c->n_epochs + c->n_epochs_decay) * gc_dataset_size(L->train);
    if (L->o->steps > 0 && L->o->steps < total) total = L->o->steps;
    bool tty = isatty(STDERR_FILENO);
    gc_status s = GC_OK;
    L->t_start = gc_app_now();
    L->step0 = L->step;
    while (s == GC_OK && L->step < total && !*L->interrupted) {
        s = next_pair(L);
        double t0 = gc_app_now();
        if (s == GC_OK) s = gc_cyclegan_step(L->m, L->xa, L->xb);
        L->t_compute += gc_app_now() - t0;
        L->step++;
        if (s == GC_OK && (L->step % L->o->log_every == 0 || L->step == total))
            s = log_step(L, tty && !*L->interrupted);
        if (s == GC_OK && (L->step % L->o->sample_every == 0 || L->step == total))
            s = samples(L);
        if (s == GC_OK && L->step % L->o->ckpt_every == 0) s = save(L, true);
    }
    if (tty) fputc('\n', stderr);
    return s;
}

static int parse(int argc, char **argv, struct cg_opts *o)
{
    const char *model = "cyclegan64";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return -1;
        }
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[i + 1];
        else if (strncmp(argv[i], "--model=", 8) == 0) model = argv[i] + 8;
        if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc) o->resume = argv[i + 1];
    }
    gc_status s = gc_cyclegan_preset(model, &o->cfg);
    if (s != GC_OK) return gc_app_fail(GC_INVALID_ARG);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", cg_long, NULL)) != -1) {
        int rc = apply(c, optarg, o);
        if (rc != GC_EXIT_OK) return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "gan-cl train: unexpected argument '%s'\n", argv[optind]);
        return GC_EXIT_USAGE;
    }
    return GC_EXIT_OK;
}

static gc_status setup(struct cg_loop *L)
{
    struct cg_opts *o = L->o;
    char note[512];
    gc_status s = open_data(o, "train", &L->train);
    if (s == GC_OK) s = open_data(o, "test", &L->test);
    if (s == GC_OK) L->order = gc_calloc((size_t)gc_dataset_size(L->train), sizeof *L->order);
    if (s == GC_OK && !L->order) s = gc_error(GC_NOMEM, "cyclegan: out of host memory");
    if (s == GC_OK) s = gc_device_open(o->device, NULL, &L->dev, note, sizeof note);
    if (s != GC_OK) return s;
    if (*note) fprintf(stderr, "gan-cl: %s\n", note);
    gc_app_tune_load(L->dev);
    int nc = o->cfg.input_nc > o->cfg.output_nc ? o->cfg.input_nc : o->cfg.output_nc;
    size_t per = (size_t)nc * (size_t)o->cfg.size * (size_t)o->cfg.size;
    L->xa = gc_malloc(sizeof(float) * per);
    L->xb = gc_malloc(sizeof(float) * per);
    if (!L->xa || !L->xb) return gc_error(GC_NOMEM, "cyclegan: out of host memory");
    s = gc_cyclegan_create(L->dev, &o->cfg, &L->m);
    if (s != GC_OK) return s;
    fprintf(stderr, "gan-cl: device %s; planned device memory %.1f MiB\n",
            gc_device_get_info(L->dev)->name, gc_cyclegan_device_bytes(L->m) / 1048576.0);
    return gc_app_make_run_dirs(L->dir);
}

static void teardown(struct cg_loop *L)
{
    if (L->log) fclose(L->log);
    gc_cyclegan_destroy(L->m);
    gc_device_destroy(L->dev);
    gc_dataset_destroy(L->train);
    gc_dataset_destroy(L->test);
    gc_free(L->order);
    gc_free(L->xa);
    gc_free(L->xb);
}

/* options.txt: every option with its value; " *" marks one that differs
 * from the preset's default (the reference's "[default: ...]" column). */
static void write_options(const struct cg_loop *L)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/options.txt", L->dir);
    FILE *f = fopen(p, "w");
    if (!f) return;
    const struct cg_opts *o = L->o;
    const struct gc_cyclegan_config *c = &o->cfg;
    struct gc_cyclegan_config d;
    gc_cyclegan_preset(c->model, &d);
#define MARK(differs) ((differs) ? " *" : "")
#define NUM(fmt, name, v, dv) fprintf(f, "%-18s " fmt "%s\n", name, v, MARK((v) != (dv)))
#define STR(name, v, dv) fprintf(f, "%-18s %s%s\n", name, v, MARK(strcmp(v, dv) != 0))
#define CHOICE(name, field) \
    STR(#field, gc_cyclegan_option_name(name, (int)c->field), gc_cyclegan_option_name(name, (int)d.field))
    fprintf(f, "%-18s %s\n", "model", c->model);
    STR("dataroot", o->dataroot, "fashion-mnist:sneaker|fashion-mnist:ankle-boot");
    fprintf(f, "%-18s %s\n", "device", gc_device_get_info(L->dev)->name);
    STR("preprocess", o->preprocess ? o->preprocess : "(default)", "(default)");
    NUM("%d", "load_size", o->load_size, 0);
    NUM("%d", "crop_size", c->size, d.size);
    NUM("%ld", "max_dataset_size", o->max_size, 0L);
    NUM("%d", "no_flip", (int)o->no_flip, 0);
    STR("direction", o->b_to_a ? "BtoA" : "AtoB", "AtoB");
    NUM("%d", "serial_batches", (int)o->serial, 0);
    NUM("%d", "input_nc", c->input_nc, d.input_nc);
    NUM("%d", "output_nc", c->output_nc, d.output_nc);
    CHOICE("netG", netG);
    NUM("%d", "ngf", c->ngf, d.ngf);
    NUM("%d", "ndf", c->ndf, d.ndf);
    CHOICE("netD", netD);
    NUM("%d", "n_layers_D", c->n_layers_D, d.n_layers_D);
    CHOICE("norm", norm);
    NUM("%d", "use_dropout", (int)c->use_dropout, (int)d.use_dropout);
    CHOICE("init_type", init_type);
    NUM("%g", "init_gain", c->init_gain, d.init_gain);
    CHOICE("gan_mode", gan_mode);
    NUM("%g", "lambda_gp", c->lambda_gp, d.lambda_gp);
    NUM("%d", "n_epochs", c->n_epochs, d.n_epochs);
    NUM("%d", "n_epochs_decay", c->n_epochs_decay, d.n_epochs_decay);
    NUM("%ld", "steps", o->steps, 0L);
    NUM("%g", "lr", c->lr, d.lr);
    NUM("%g", "beta1", c->beta1, d.beta1);
    NUM("%g", "lambda_A", c->lambda_A, d.lambda_A);
    NUM("%g", "lambda_B", c->lambda_B, d.lambda_B);
    NUM("%g", "lambda_identity", c->lambda_identity, d.lambda_identity);
    NUM("%d", "pool_size", c->pool_size, d.pool_size);
    NUM("%" PRIu64, "seed", c->seed, d.seed);
    NUM("%ld", "sample-every", o->sample_every, 500L);
    NUM("%ld", "checkpoint-every", o->ckpt_every, 1000L);
    NUM("%ld", "log-every", o->log_every, 10L);
#undef CHOICE
#undef STR
#undef NUM
#undef MARK
    fclose(f);
}

static gc_status open_log(struct cg_loop *L, bool append)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/log.csv", L->dir);
    L->log = fopen(p, append ? "a" : "w");
    if (!L->log) return gc_error(GC_IO, "%s: cannot open for writing", p);
    if (!append)
        fprintf(L->log, "step,epoch,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B,gp_A,gp_B,lr,"
                        "data_s,compute_s\n");
    return GC_OK;
}

int gc_train_cyclegan(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    struct cg_opts o = {.dataroot = "fashion-mnist:sneaker|fashion-mnist:ankle-boot",
                        .sample_every = 500, .ckpt_every = 1000, .log_every = 10};
    int rc = parse(argc, argv, &o);
    if (rc != GC_EXIT_OK) return rc < 0 ? GC_EXIT_OK : rc;
    struct cg_loop L = {.o = &o, .interrupted = interrupted};
    gc_app_run_dir(o.cfg.model, o.run_dir, o.resume, L.dir, sizeof L.dir);
    char ck[1200];
    snprintf(ck, sizeof ck, "%s/checkpoints/latest.safetensors", L.dir);
    gc_status s = o.resume ? gc_cyclegan_config_read(ck, &o.cfg) : GC_OK;
    static char saved_root[1024];
    if (s == GC_OK && o.resume && !o.root_given) { /* the checkpoint's data unless overridden */
        s = meta_text(ck, "train.dataroot", saved_root, sizeof saved_root);
        o.dataroot = saved_root;
    }
    int64_t saved_max = 0; /* the epoch length must not change on resume */
    if (s == GC_OK && o.resume && meta_i64(ck, "train.max_dataset_size", &saved_max) == GC_OK)
        o.max_size = saved_max;
    if (s == GC_OK) s = setup(&L);
    if (s == GC_OK && o.resume) s = resume(&L);
    if (s == GC_OK && !o.resume) write_options(&L);
    if (s == GC_OK) s = open_log(&L, o.resume != NULL);
    if (s == GC_OK) {
        start_epoch(&L);
        fprintf(stderr, "gan-cl: training %s on %s in %s from step %" PRId64 "\n", o.cfg.model,
                o.dataroot, L.dir, L.step);
        s = loop(&L);
        if (s == GC_OK) s = save(&L, false);
    }
    rc = GC_EXIT_OK;
    if (s != GC_OK) rc = gc_app_fail(s);
    else if (*interrupted) {
        fprintf(stderr, "gan-cl: interrupted at step %" PRId64 "; checkpoint saved. Resume with:\n"
                        "  gan-cl train --resume %s --model %s\n", L.step, L.dir, o.cfg.model);
        rc = GC_EXIT_INTERRUPTED;
    } else {
        fprintf(stderr, "gan-cl: done: %" PRId64 " steps; samples in %s/samples\n", L.step, L.dir);
    }
    teardown(&L);
    return rc;
}
