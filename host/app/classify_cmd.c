/* SPDX-License-Identifier: MIT */
/* `gan-cl classify train|test`: trains the fmnist feature network of `gan-cl
 * eval` (include/gancl/classifier.h) on Fashion-MNIST's 60k training images
 * with Adam and cross-entropy, reporting accuracy on the 10k test images
 * after each epoch; `test` reports the accuracy of a weights file. Batches
 * are a seeded permutation per epoch (gc_app_permutation), so a run is
 * reproducible on a given device. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "gancl/alloc.h"
#include "gancl/classifier.h"
#include "gancl/idx.h"
#include "run_common.h"

struct clf_opts {
    const char *data, *out, *weights, *device;
    long epochs, batch;
    double lr;
    uint64_t seed;
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: gan-cl classify train|test [options]\n\n"
        "Trains (or tests) the Fashion-MNIST classifier whose penultimate layer gives\n"
        "the features of `gan-cl eval` (scores labelled \"(fmnist)\").\n\n"
        "  --data DIR      Fashion-MNIST directory (default: the system's)\n"
        "  --epochs N      training epochs (default 8; lr / 10 for the last 2)\n"
        "  --batch N       batch size (default 64)\n"
        "  --lr X          Adam learning rate (default 0.001)\n"
        "  --seed S        initialisation and shuffling seed (default 1)\n"
        "  --out FILE      train: weights to write (default fmnist_classifier.safetensors)\n"
        "  --weights FILE  test: weights to read (default models/fmnist_classifier.safetensors)\n"
        "  --device SEL    OpenCL device (default: best GPU, else CPU)\n");
}

static int parse(int argc, char **argv, struct clf_opts *o)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'D'},    {"epochs", required_argument, NULL, 'e'},
        {"batch", required_argument, NULL, 'b'},   {"lr", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},    {"out", required_argument, NULL, 'o'},
        {"weights", required_argument, NULL, 'w'}, {"device", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    optind = 2; /* argv[0] "classify", argv[1] train|test */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'D':
            o->data = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'w':
            o->weights = optarg;
            break;
        case 'd':
            o->device = optarg;
            break;
        case 'e':
            o->epochs = strtol(optarg, &end, 10);
            break;
        case 'b':
            o->batch = strtol(optarg, &end, 10);
            break;
        case 'l':
            o->lr = strtod(optarg, &end);
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
        if (end && (*end || o->epochs < 1 || o->batch < 1 || o->batch > 4096 || !(o->lr > 0))) {
            fprintf(stderr, "gan-cl classify: invalid value '%s'\n", optarg);
            return GC_EXIT_USAGE;
        }
    }
    return GC_EXIT_OK;
}

/* Test-set accuracy of net (any batch size) on ds. */
static gc_status accuracy(struct gc_classifier *net, const struct gc_fmnist *ds, float *x,
                          double *acc)
{
    int64_t b = gc_classifier_batch(net), right = 0;
    float logits[GC_CLF_CLASSES * 1024];
    gc_status s = b <= 1024 ? GC_OK : gc_error(GC_INVALID_ARG, "accuracy: batch > 1024");
    for (int64_t i = 0; i < ds->n && s == GC_OK; i += b) {
        int64_t k = ds->n - i < b ? ds->n - i : b;
        gc_fmnist_to_float(x, ds, i, k, 2);
        s = gc_classifier_run(net, x, k, NULL, logits);
        for (int64_t j = 0; j < k && s == GC_OK; j++) {
            int best = 0;
            for (int c = 1; c < GC_CLF_CLASSES; c++)
                if (logits[j * GC_CLF_CLASSES + c] > logits[j * GC_CLF_CLASSES + best]) best = c;
            right += best == ds->labels[i + j];
        }
    }
    if (s == GC_OK) *acc = (double)right / (double)ds->n;
    return s;
}

static gc_status train(const struct clf_opts *o, struct gc_device *dev)
{
    struct gc_fmnist tr = {0}, te = {0};
    struct gc_classifier *net = NULL, *ev = NULL;
    const int64_t img = GC_CLF_SIZE * GC_CLF_SIZE, b = o->batch, eb = 500;
    float *x = NULL, *t = NULL, *ex = NULL;
    int64_t *order = NULL;
    gc_status s = gc_fmnist_load(&tr, o->data, GC_FMNIST_TRAIN, -1);
    if (s == GC_OK) s = gc_fmnist_load(&te, o->data, GC_FMNIST_TEST, -1);
    if (s == GC_OK) s = gc_classifier_create(dev, (int)b, true, (float)o->lr, o->seed, &net);
    if (s == GC_OK) s = gc_classifier_create(dev, (int)eb, false, 0, 0, &ev);
    if (s == GC_OK) {
        x = gc_malloc(sizeof(float) * (size_t)(b * img));
        t = gc_malloc(sizeof(float) * (size_t)(b * GC_CLF_CLASSES));
        ex = gc_malloc(sizeof(float) * (size_t)(eb * img));
        order = gc_malloc(sizeof(int64_t) * (size_t)tr.n);
        if (!x || !t || !ex || !order) s = gc_error(GC_NOMEM, "classify: out of host memory");
    }
    double t0 = gc_app_now();
    for (long e = 0; e < o->epochs && s == GC_OK; e++) {
        if (e == o->epochs - 2 && o->epochs > 2) gc_classifier_lr(net, (float)o->lr / 10);
        gc_app_permutation(order, tr.n, o->seed * 1000003u + (uint64_t)e);
        double sum = 0;
        int64_t steps = 0;
        for (int64_t i = 0; i + b <= tr.n && s == GC_OK; i += b, steps++) {
            memset(t, 0, sizeof(float) * (size_t)(b * GC_CLF_CLASSES));
            for (int64_t j = 0; j < b; j++) {
                gc_fmnist_to_float(x + j * img, &tr, order[i + j], 1, 2);
                t[j * GC_CLF_CLASSES + tr.labels[order[i + j]]] = 1.0f;
            }
            float loss = 0;
            s = gc_classifier_train_step(net, x, t, steps % 50 == 0 ? &loss : NULL);
            if (steps % 50 == 0) sum += loss;
        }
        double acc = 0;
        if (s == GC_OK) s = gc_classifier_copy(ev, net);
        if (s == GC_OK) s = accuracy(ev, &te, ex, &acc);
        if (s == GC_OK)
            printf("epoch %ld: loss %.4f (every 50th batch) test accuracy %.2f%% (%.0f s)\n", e + 1,
                   sum / (double)((steps + 49) / 50), 100 * acc, gc_app_now() - t0);
        fflush(stdout);
    }
    const char *out = o->out ? o->out : "fmnist_classifier.safetensors";
    if (s == GC_OK) s = gc_classifier_save(net, out);
    if (s == GC_OK) printf("wrote %s\n", out);
    gc_free(x), gc_free(t), gc_free(ex), gc_free(order);
    gc_classifier_destroy(net);
    gc_classifier_destroy(ev);
    gc_fmnist_free(&tr);
    gc_fmnist_free(&te);
    return s;
}

static gc_status test(const struct clf_opts *o, struct gc_device *dev)
{
    struct gc_fmnist te = {0};
    struct gc_classifier *ev = NULL;
    float *ex = NULL;
    char path[4096];
    gc_status s = gc_app_model_path(o->weights, path, sizeof path);
    if (s == GC_OK) s = gc_fmnist_load(&te, o->data, GC_FMNIST_TEST, -1);
    if (s == GC_OK) s = gc_classifier_create(dev, 500, false, 0, 0, &ev);
    if (s == GC_OK) s = gc_classifier_load(ev, path);
    if (s == GC_OK) ex = gc_malloc(sizeof(float) * 500 * GC_CLF_SIZE * GC_CLF_SIZE);
    if (s == GC_OK && !ex) s = gc_error(GC_NOMEM, "classify: out of host memory");
    double acc = 0;
    if (s == GC_OK) s = accuracy(ev, &te, ex, &acc);
    if (s == GC_OK)
        printf("%s: test accuracy %.2f%% on %lld images\n", path, 100 * acc, (long long)te.n);
    gc_free(ex);
    gc_classifier_destroy(ev);
    gc_fmnist_free(&te);
    return s;
}

int gc_cmd_classify(int argc, char **argv)
{
    struct clf_opts o = {.epochs = 8, .batch = 64, .lr = 1e-3, .seed = 1};
    if (argc < 2 || (strcmp(argv[1], "train") != 0 && strcmp(argv[1], "test") != 0)) {
        bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        usage(help ? stdout : stderr);
        return help ? GC_EXIT_OK : GC_EXIT_USAGE;
    }
    int rc = parse(argc, argv, &o);
    if (rc != GC_EXIT_OK) return rc < 0 ? GC_EXIT_OK : rc;
    struct gc_device *dev = NULL;
    char note[512];
    gc_status s = gc_device_open(o.device, NULL, &dev, note, sizeof note);
    if (s == GC_OK) gc_app_tune_load(dev);
    if (s == GC_OK) s = strcmp(argv[1], "train") == 0 ? train(&o, dev) : test(&o, dev);
    gc_device_destroy(dev);
    return s == GC_OK ? GC_EXIT_OK : gc_app_fail(s);
}
