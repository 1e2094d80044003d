/* SPDX-License-Identifier: MIT */
/* `gan-cl sample --checkpoint F [--n 64] [--z FILE] [--save-z FILE] --out grid.png`:
 * the architecture comes from the checkpoint; latents are drawn from Philox
 * (--seed) or read from a safetensors file ("z", shape (n, nz)). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "gancl/alloc.h"
#include "gancl/gan.h"
#include "gancl/image.h"
#include "gancl/philox.h"
#include "gancl/safetensors.h"

struct sample_opts {
    const char *checkpoint, *zin, *zout, *out, *device;
    long n, nrow;
    uint64_t seed;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gan-cl sample --checkpoint FILE --out grid.png [options]\n\n"
               "  --checkpoint FILE  a checkpoint written by gan-cl train\n"
               "  --out FILE         PNG grid to write\n"
               "  --n N              number of samples (default 64)\n"
               "  --nrow N           images per grid row (default 8)\n"
               "  --seed S           seed of the latents (default 0)\n"
               "  --z FILE           read latents from a safetensors file (tensor \"z\", (n, nz))\n"
               "  --save-z FILE      write the latents used to a safetensors file\n"
               "  --device SEL       OpenCL device (default: best GPU, else CPU)\n");
}

static int parse(int argc, char **argv, struct sample_opts *o)
{
    static const struct option opts[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"out", required_argument, NULL, 'o'},
        {"n", required_argument, NULL, 'n'},          {"nrow", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},       {"z", required_argument, NULL, 'z'},
        {"save-z", required_argument, NULL, 'Z'},     {"device", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'c': o->checkpoint = optarg; break;
        case 'o': o->out = optarg; break;
        case 'z': o->zin = optarg; break;
        case 'Z': o->zout = optarg; break;
        case 'd': o->device = optarg; break;
        case 'n': o->n = strtol(optarg, &end, 10); break;
        case 'r': o->nrow = strtol(optarg, &end, 10); break;
        case 's': o->seed = strtoull(optarg, &end, 10); break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return GC_EXIT_USAGE;
        }
        if (end && (*end || o->n < 1 || o->n > 100000 || o->nrow < 1)) {
            fprintf(stderr, "gan-cl sample: invalid number '%s'\n", optarg);
            return GC_EXIT_USAGE;
        }
    }
    if (!o->checkpoint || !o->out) {
        fprintf(stderr, "gan-cl sample: --checkpoint and --out are required\n");
        return GC_EXIT_USAGE;
    }
    return GC_EXIT_OK;
}

static gc_status latents(const struct sample_opts *o, int nz, float **z, long *n)
{
    if (!o->zin) {
        *z = gc_malloc(sizeof(float) * (size_t)(o->n * nz));
        if (!*z) return gc_error(GC_NOMEM, "latents: out of host memory");
        for (long i = 0; i < o->n * nz; i++) (*z)[i] = gc_philox_normal(o->seed, 77, 0, (uint64_t)i);
        *n = o->n;
        return GC_OK;
    }
    struct gc_safetensors *st;
    gc_status s = gc_safetensors_load(&st, o->zin);
    if (s != GC_OK) return s;
    const struct gc_st_tensor *t = gc_safetensors_find(st, "z");
    if (!t || t->ndim != 2 || t->shape[1] != nz || t->shape[0] < 1) {
        gc_safetensors_destroy(st);
        return gc_error(GC_FORMAT, "%s: needs a tensor \"z\" of shape (n, %d)", o->zin, nz);
    }
    *n = (long)t->shape[0];
    *z = gc_malloc(sizeof(float) * (size_t)(*n * nz));
    s = *z ? gc_safetensors_read_f32(st, "z", *z, 2, t->shape)
           : gc_error(GC_NOMEM, "latents: out of host memory");
    gc_safetensors_destroy(st);
    return s;
}

static gc_status run(const struct sample_opts *o)
{
    struct gc_gan_config cfg;
    gc_status s = gc_gan_config_read(o->checkpoint, &cfg);
    struct gc_device *dev = NULL;
    struct gc_gan *m = NULL;
    float *z = NULL, *x = NULL;
    long n = 0;
    char note[512];
    if (s == GC_OK) s = gc_device_open(o->device, NULL, &dev, note, sizeof note);
    if (s == GC_OK) gc_app_tune_load(dev);
    if (s == GC_OK) s = gc_gan_create(dev, &cfg, &m);
    if (s == GC_OK) s = gc_gan_load(m, o->checkpoint);
    if (s == GC_OK) s = latents(o, cfg.nz, &z, &n);
    int64_t per = (int64_t)cfg.channels * cfg.image_size * cfg.image_size;
    if (s == GC_OK) x = gc_malloc(sizeof(float) * (size_t)(n * per));
    if (s == GC_OK && !x) s = gc_error(GC_NOMEM, "samples: out of host memory");
    if (s == GC_OK) s = gc_gan_sample(m, z, (int)n, x);
    if (s == GC_OK)
        s = gc_image_save_grid(o->out, x, (int)n, cfg.channels, cfg.image_size, cfg.image_size,
                               (int)o->nrow, 2);
    if (s == GC_OK && o->zout) {
        struct gc_st_tensor t = {"z", GC_ST_F32, 2, {n, cfg.nz}, z, sizeof(float) * (size_t)(n * cfg.nz)};
        s = gc_safetensors_save(o->zout, &t, 1, NULL, 0);
    }
    if (s == GC_OK) printf("wrote %ld samples of %s to %s\n", n, cfg.model, o->out);
    gc_free(z);
    gc_free(x);
    gc_gan_destroy(m);
    gc_device_destroy(dev);
    return s;
}

int gc_cmd_sample(int argc, char **argv)
{
    struct sample_opts o = {.n = 64, .nrow = 8};
    int rc = parse(argc, argv, &o);
    if (rc != GC_EXIT_OK) return rc < 0 ? GC_EXIT_OK : rc;
    gc_status s = run(&o);
    return s == GC_OK ? GC_EXIT_OK : gc_app_fail(s);
}
