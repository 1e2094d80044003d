/* SPDX-License-Identifier: MIT */
/* `gan-cl eval --real fashion-mnist[:class]|DIR --fake CHECKPOINT|RUN_DIR|DIR|
 * fashion-mnist-test[:class] [--n 10000] [--features fmnist|inception:FILE] [--json]`:
 * features of n real and n generated images from the fmnist classifier
 * (include/gancl/classifier.h) or pytorch-fid's Inception-v3
 * (include/gancl/inception.h; eval_features.c picks), then FID, KID,
 * precision, recall, density, coverage and IS (host/eval/), every score
 * labelled with the network ("(fmnist)", "(inception)"). Real images are a
 * seeded sample of the Fashion-MNIST split or of an image folder; generated
 * ones come from seeded Philox latents through gc_gan_sample, or from a folder
 * of images. Every image is brought to the classifier's 32x32 [-1, 1] frame by
 * the rules of eval_frame.h (28x28 padded by 2, other sizes Resize +
 * CenterCrop to 32, colour to grey). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "eval_features.h"
#include "gancl/alloc.h"
#include "gancl/classifier.h"
#include "gancl/eval.h"
#include "gancl/gan.h"
#include "gancl/idx.h"
#include "gancl/philox.h"
#include "eval_frame.h"
#include "run_common.h"

#define IMG (GC_CLF_SIZE * GC_CLF_SIZE)

struct eval_opts {
    const char *real, *fake, *weights, *device, *data, *features;
    long n;
    uint64_t seed;
    int json;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gan-cl eval --fake CHECKPOINT|RUN_DIR|DIR [options]\n\n"
            "Scores a generator against real images with a feature network: fmnist\n"
            "(default; scores labelled \"(fmnist)\", they are not Inception scores) or\n"
            "pytorch-fid's Inception-v3 (labelled \"(inception)\").\n\n"
            "  --real SPEC      fashion-mnist[:class] (training set, default),\n"
            "                   fashion-mnist-test[:class], or a folder of images\n"
            "  --fake X         a gan-cl checkpoint, a run folder (its latest checkpoint),\n"
            "                   a folder of images, or a real-data SPEC as above\n"
            "                   Folders: .png/.jpg/.jpeg searched recursively, colour\n"
            "                   made grey (ITU-R 601 luminance); 28x28 images are padded\n"
            "                   by 2, others resized (shorter side, bilinear) and\n"
            "                   centre-cropped to 32x32; the first image decides.\n"
            "  --n N            samples of each side (default 10000; a smaller folder: all)\n"
            "  --seed S         seed of the real subset and of the latents (default 0)\n"
            "  --json           one JSON object instead of a table\n"
            "  --features NET   fmnist (default) or inception:FILE, FILE the safetensors\n"
            "                   tools/convert_fid_inception.py makes from pytorch-fid's .pth\n"
            "  --weights FILE   classifier weights (default models/fmnist_classifier.safetensors)\n"
            "  --data DIR       Fashion-MNIST directory (default: the system's)\n"
            "  --device SEL     OpenCL device (default: best GPU, else CPU)\n");
}

static int parse(int argc, char **argv, struct eval_opts *o)
{
    static const struct option opts[] = {
        {"real", required_argument, NULL, 'r'}, {"fake", required_argument, NULL, 'f'},
        {"n", required_argument, NULL, 'n'},    {"seed", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},       {"weights", required_argument, NULL, 'w'},
        {"data", required_argument, NULL, 'D'}, {"device", required_argument, NULL, 'd'},
        {"features", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'r':
            o->real = optarg;
            break;
        case 'f':
            o->fake = optarg;
            break;
        case 'w':
            o->weights = optarg;
            break;
        case 'F':
            o->features = optarg;
            break;
        case 'D':
            o->data = optarg;
            break;
        case 'd':
            o->device = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'n':
            o->n = strtol(optarg, &end, 10);
            break;
        case 's':
            o->seed = strtoull(optarg, &end, 10);
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return GC_EXIT_USAGE;
        }
        if (end && (*end || o->n < 10 || o->n > 1000000)) {
            fprintf(stderr, "gan-cl eval: invalid number '%s' (--n: 10 .. 1000000)\n", optarg);
            return GC_EXIT_USAGE;
        }
    }
    if (!o->fake) {
        fprintf(stderr, "gan-cl eval: --fake is required\n");
        usage(stderr);
        return GC_EXIT_USAGE;
    }
    return GC_EXIT_OK;
}

static bool readable(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

gc_status gc_app_model_path(const char *given, char *buf, size_t size)
{
    static const char name[] = "fmnist_classifier.safetensors";
    if (given) {
        snprintf(buf, size, "%s", given);
        return GC_OK;
    }
    const char *env = getenv("GANCL_MODELS");
    if (env && *env) {
        snprintf(buf, size, "%s/%s", env, name);
        if (readable(buf)) return GC_OK;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(buf, size, "%.3000s/../models/%s", exe, name);
        if (readable(buf)) return GC_OK;
    }
    snprintf(buf, size, "models/%s", name);
    if (readable(buf)) return GC_OK;
    return gc_error(GC_NOT_FOUND,
                    "%s not found in $GANCL_MODELS, next to the executable "
                    "(../models) or in ./models; pass --weights FILE",
                    name);
}

/* "fashion-mnist[-test][:class]" -> split and class (-1: all); false if not such a spec. */
static bool real_spec(const char *spec, enum gc_fmnist_split *split, int *cls, gc_status *s)
{
    const char *rest;
    if (strncmp(spec, "fashion-mnist-test", 18) == 0)
        *split = GC_FMNIST_TEST, rest = spec + 18;
    else if (strncmp(spec, "fashion-mnist", 13) == 0)
        *split = GC_FMNIST_TRAIN, rest = spec + 13;
    else
        return false;
    *cls = -1;
    *s = GC_OK;
    if (*rest == ':')
        *s = gc_fmnist_class_parse(rest + 1, cls);
    else if (*rest)
        *s = gc_error(GC_INVALID_ARG, "'%s': expected fashion-mnist[-test][:class]", spec);
    return true;
}

/* n images of a real split: a seeded sample without replacement (all of
 * them, in order, when n >= the split's size; *got says how many). */
static gc_status load_real(const struct eval_opts *o, const char *spec, uint64_t seed, float **out,
                           int64_t *got)
{
    enum gc_fmnist_split split;
    int cls;
    gc_status s;
    if (!real_spec(spec, &split, &cls, &s)) return gc_app_frame_folder(spec, o->n, seed, out, got);
    struct gc_fmnist ds = {0};
    if (s == GC_OK) s = gc_fmnist_load(&ds, o->data, split, cls);
    if (s != GC_OK) return s;
    int64_t n = o->n < ds.n ? o->n : ds.n;
    int64_t *order = gc_malloc(sizeof(int64_t) * (size_t)ds.n);
    float *x = gc_malloc(sizeof(float) * (size_t)(n * IMG));
    if (!order || !x) s = gc_error(GC_NOMEM, "eval: out of host memory");
    if (s == GC_OK) {
        if (n < ds.n) gc_app_permutation(order, ds.n, seed);
        for (int64_t i = 0; i < n; i++)
            gc_fmnist_to_float(x + i * IMG, &ds, n < ds.n ? order[i] : i, 1, 2);
        *out = x, *got = n;
    } else {
        gc_free(x);
    }
    gc_free(order);
    gc_fmnist_free(&ds);
    return s;
}

/* A run folder's latest checkpoint, or the file itself; false for a folder
 * without one (a folder of images). */
static bool checkpoint_path(const char *fake, char *buf, size_t size)
{
    struct stat st;
    if (stat(fake, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(buf, size, "%s/checkpoints/latest.safetensors", fake);
        if (!readable(buf)) snprintf(buf, size, "%s/latest.safetensors", fake);
        return readable(buf);
    }
    snprintf(buf, size, "%s", fake);
    return true;
}

/* n generated images in the classifier's frame (see the file comment). */
static gc_status generate(const struct eval_opts *o, struct gc_device *dev, const char *ckpt,
                          float **out, char *model, size_t msize)
{
    struct gc_gan_config cfg;
    struct gc_gan *m = NULL;
    char data[4096] = "";
    gc_status s = gc_gan_config_read(ckpt, &cfg);
    if (s == GC_OK) s = gc_gan_meta_read(ckpt, "train.data", data, sizeof data);
    /* checkpoints older than train.data all trained on Fashion-MNIST */
    bool fmnist = !*data || gc_app_data_is_fmnist(data);
    if (s == GC_OK) s = gc_gan_create(dev, &cfg, &m);
    if (s == GC_OK) s = gc_gan_load(m, ckpt);
    const int chunk = 500, sz = cfg.image_size;
    float *z = NULL, *g = NULL, *x = NULL;
    if (s == GC_OK) {
        z = gc_malloc(sizeof(float) * (size_t)chunk * (size_t)cfg.nz);
        g = gc_malloc(sizeof(float) * (size_t)chunk * (size_t)(cfg.channels * sz * sz));
        x = gc_malloc(sizeof(float) * (size_t)(o->n * IMG));
        if (!z || !g || !x) s = gc_error(GC_NOMEM, "eval: out of host memory");
    }
    for (int64_t i = 0; i < o->n && s == GC_OK; i += chunk) {
        int k = (int)(o->n - i < chunk ? o->n - i : chunk);
        for (int64_t j = 0; j < (int64_t)k * cfg.nz; j++)
            z[j] = gc_philox_normal(o->seed, 88, 0, (uint64_t)(i * cfg.nz + j));
        s = gc_gan_sample(m, z, k, g);
        if (s == GC_OK) {
            s = gc_app_frame_images(g, k, cfg.channels, sz, fmnist, x + i * IMG);
            if (s != GC_OK) s = gc_error_context(s, "%s", ckpt);
        }
    }
    if (s == GC_OK) snprintf(model, msize, "%s", cfg.model);
    if (s == GC_OK)
        *out = x;
    else
        gc_free(x);
    gc_free(z), gc_free(g);
    gc_gan_destroy(m);
    return s;
}

static void print_scores(const struct eval_opts *o, const char *net, const char *real,
                         const char *fake, const char *model, int64_t nr, int64_t nf,
                         const struct gc_eval_scores *r, double secs)
{
    if (o->json) {
        printf("{\"features\": \"%s\", \"real\": \"%s\", \"fake\": \"%s\", \"model\": \"%s\", "
               "\"n_real\": %lld, \"n_fake\": %lld, \"fid\": %.6f, \"kid_mean\": %.8f, "
               "\"kid_std\": %.8f, \"kid_subsets\": %d, \"kid_subset_size\": %lld, "
               "\"precision\": %.6f, \"recall\": %.6f, \"density\": %.6f, \"coverage\": %.6f, "
               "\"is_mean\": %.6f, \"is_std\": %.6f, \"seconds\": %.2f}\n",
               net, real, fake, model, (long long)nr, (long long)nf, r->fid, r->kid_mean, r->kid_std,
               r->kid_subsets, (long long)r->kid_subset_size, r->prdc.precision, r->prdc.recall,
               r->prdc.density, r->prdc.coverage, r->is_mean, r->is_std, secs);
        return;
    }
    printf("real %s (%lld) vs %s%s%s (%lld), %s features\n", real, (long long)nr, fake,
           *model ? " " : "", model, (long long)nf, net);
    char l[64];
#define ROW(what) (snprintf(l, sizeof l, what, net), l)
    printf("  %-26s%12.4f\n", ROW("FID (%s)"), r->fid);
    printf("  %-26s%12.6f +- %.6f  (%d subsets of %lld)\n", ROW("KID (%s)"), r->kid_mean,
           r->kid_std, r->kid_subsets, (long long)r->kid_subset_size);
    printf("  %-26s%12.4f\n", ROW("precision (%s, k=3)"), r->prdc.precision);
    printf("  %-26s%12.4f\n", ROW("recall (%s, k=3)"), r->prdc.recall);
    printf("  %-26s%12.4f\n", ROW("density (%s, k=5)"), r->prdc.density);
    printf("  %-26s%12.4f\n", ROW("coverage (%s, k=5)"), r->prdc.coverage);
    printf("  %-26s%12.4f +- %.4f\n", ROW("IS (%s, 10 splits)"), r->is_mean, r->is_std);
#undef ROW
    printf("  %.1f s\n", secs);
}

static gc_status run(const struct eval_opts *o)
{
    double t0 = gc_app_now();
    const char *real = o->real ? o->real : "fashion-mnist";
    struct gc_device *dev = NULL;
    struct gc_app_features net = {0};
    float *xr = NULL, *xf = NULL, *fr = NULL, *ff = NULL, *lf = NULL;
    int64_t nr = 0, nf = 0;
    char ckpt[4096], note[512], model[64] = "";
    enum gc_fmnist_split sp;
    int cls;
    gc_status s = gc_device_open(o->device, NULL, &dev, note, sizeof note);
    if (s == GC_OK) gc_app_tune_load(dev);
    if (s == GC_OK) s = gc_app_features_open(&net, o->features, o->weights, dev);
    if (s == GC_OK) s = load_real(o, real, o->seed * 2 + 1, &xr, &nr);
    gc_status rs;
    if (s == GC_OK && real_spec(o->fake, &sp, &cls, &rs)) {
        s = load_real(o, o->fake, o->seed * 2 + 2, &xf, &nf);
    } else if (s == GC_OK && !checkpoint_path(o->fake, ckpt, sizeof ckpt)) {
        s = gc_app_frame_folder(o->fake, o->n, o->seed * 2 + 2, &xf, &nf);
    } else if (s == GC_OK) {
        s = generate(o, dev, ckpt, &xf, model, sizeof model);
        nf = o->n;
    }
    if (s == GC_OK) {
        fr = gc_malloc(sizeof(float) * (size_t)(nr * net.dim));
        ff = gc_malloc(sizeof(float) * (size_t)(nf * net.dim));
        lf = gc_malloc(sizeof(float) * (size_t)(nf * net.classes));
        if (!fr || !ff || !lf) s = gc_error(GC_NOMEM, "eval: out of host memory");
    }
    if (s == GC_OK) s = gc_app_features_run(&net, xr, nr, 1, GC_CLF_SIZE, GC_CLF_SIZE, fr, NULL);
    if (s == GC_OK) s = gc_app_features_run(&net, xf, nf, 1, GC_CLF_SIZE, GC_CLF_SIZE, ff, lf);
    double t1 = gc_app_now();
    struct gc_eval_scores r;
    if (s == GC_OK) s = gc_eval_all(fr, nr, ff, nf, net.dim, lf, net.classes, &r);
    if (s == GC_OK) {
        if (!o->json)
            fprintf(stderr, "gan-cl eval: images and features %.1f s, metrics %.1f s\n", t1 - t0,
                    gc_app_now() - t1);
        print_scores(o, net.label, real, o->fake, model, nr, nf, &r, gc_app_now() - t0);
    }
    gc_free(xr), gc_free(xf), gc_free(fr), gc_free(ff), gc_free(lf);
    gc_app_features_close(&net);
    gc_device_destroy(dev);
    return s;
}

int gc_cmd_eval(int argc, char **argv)
{
    struct eval_opts o = {.n = 10000};
    int rc = parse(argc, argv, &o);
    if (rc != GC_EXIT_OK) return rc < 0 ? GC_EXIT_OK : rc;
    gc_status s = run(&o);
    return s == GC_OK ? GC_EXIT_OK : gc_app_fail(s);
}
