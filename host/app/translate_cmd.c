/* SPDX-License-Identifier: MIT */
/* `gan-cl translate --checkpoint F [--direction AtoB|BtoA] --in FILE|DIR --out DIR [--raw]`:
 * runs one CycleGAN generator over images at their full resolution (square,
 * sides a multiple of 4 — of 128 / 256 for the U-Nets — as the reference's
 * 'none' preprocessing requires) in eval mode (batch norm's running
 * statistics, no dropout); the architecture comes from the checkpoint, which
 * may hold only that generator (tools/convert_cyclegan_pth.py). One model is
 * built per distinct image size. --raw also writes the float output
 * (NAME_fake.safetensors, tensor "fake" (C, H, W) in [-1, 1]) for comparisons
 * with the reference. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "app.h"
#include "cl/cache.h"
#include "gancl/alloc.h"
#include "gancl/cyclegan.h"
#include "gancl/image.h"
#include "gancl/safetensors.h"

struct tr_opts {
    const char *checkpoint, *in, *out, *device;
    bool a_to_b, raw;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gan-cl translate --checkpoint FILE --in FILE|DIR --out DIR "
               "[--direction AtoB|BtoA] [--device SEL] [--raw]\n\n"
               "  --direction   AtoB runs netG_A, BtoA netG_B (default AtoB)\n"
               "  --raw         also write NAME_fake.safetensors (the float output, tensor 'fake')\n"
               "  --device SEL  OpenCL device (default: best GPU, else CPU)\n");
}

static bool is_image(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
                   strcasecmp(dot, ".jpeg") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The input files, sorted (one file, or the images directly in a folder). */
static gc_status list_inputs(const char *in, char ***files, int *n)
{
    struct stat st;
    *files = NULL;
    *n = 0;
    if (stat(in, &st) != 0) return gc_error(GC_IO, "%s: no such file or folder", in);
    if (!S_ISDIR(st.st_mode)) {
        *files = gc_calloc(1, sizeof **files);
        if (*files && ((*files)[0] = gc_strdup(in))) *n = 1;
        return *n ? GC_OK : gc_error(GC_NOMEM, "out of host memory");
    }
    DIR *d = opendir(in);
    if (!d) return gc_error(GC_IO, "%s: cannot open folder", in);
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d))) {
        if (!is_image(e->d_name)) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **g = gc_realloc(*files, sizeof **files * (size_t)cap);
            if (!g) break;
            *files = g;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", in, e->d_name);
        (*files)[(*n)++] = gc_strdup(path);
    }
    closedir(d);
    if (*n == 0) return gc_error(GC_NOT_FOUND, "%s: no .png/.jpg/.jpeg images", in);
    qsort(*files, (size_t)*n, sizeof **files, cmp_str);
    return GC_OK;
}

static void to_float(const struct gc_image *img, float *x)
{
    int64_t hw = (int64_t)img->w * img->h;
    for (int c = 0; c < img->c; c++)
        for (int64_t i = 0; i < hw; i++) x[c * hw + i] = img->data[i * img->c + c] / 127.5f - 1.0f;
}

static void to_image(const float *y, struct gc_image *img)
{
    int64_t hw = (int64_t)img->w * img->h;
    for (int c = 0; c < img->c; c++)
        for (int64_t i = 0; i < hw; i++) {
            float v = (y[c * hw + i] + 1.0f) * 127.5f + 0.5f;
            img->data[i * img->c + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

/* Translates one file with a model built for its size (reused while sizes repeat). */
static gc_status one(const struct tr_opts *o, struct gc_cyclegan_config *cfg,
                     struct gc_device *dev, struct gc_cyclegan **m, const char *file)
{
    int nc_in = o->a_to_b ? cfg->input_nc : cfg->output_nc;
    int nc_out = o->a_to_b ? cfg->output_nc : cfg->input_nc;
    struct gc_image img = {0}, res = {0};
    gc_status s = gc_image_load(&img, file, nc_in, 0);
    if (s != GC_OK) return s;
    if (img.w != img.h || img.w % 4 || img.w < 16) {
        s = gc_error(GC_UNSUPPORTED, "%s: %dx%d; translate needs square images whose side "
                                     "is a multiple of 4 (>= 16)", file, img.w, img.h);
        gc_image_free(&img);
        return s;
    }
    if (!*m || cfg->size != img.w) {
        gc_cyclegan_destroy(*m);
        *m = NULL;
        cfg->size = img.w;
        s = gc_cyclegan_create(dev, cfg, m);
        if (s == GC_OK) s = gc_cyclegan_load_generator(*m, o->checkpoint, o->a_to_b);
    }
    float *x = gc_malloc(sizeof(float) * (size_t)img.w * img.h * (size_t)(nc_in > nc_out ? nc_in : nc_out));
    float *y = gc_malloc(sizeof(float) * (size_t)img.w * img.h * (size_t)nc_out);
    res = (struct gc_image){img.w, img.h, nc_out, gc_malloc((size_t)img.w * img.h * (size_t)nc_out)};
    if (s == GC_OK && (!x || !y || !res.data)) s = gc_error(GC_NOMEM, "out of host memory");
    if (s == GC_OK) {
        to_float(&img, x);
        s = gc_cyclegan_translate(*m, o->a_to_b, x, y);
    }
    char path[4200];
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    snprintf(path, sizeof path, "%s/%.*s_fake.png", o->out, (int)(strrchr(base, '.') - base), base);
    if (s == GC_OK) {
        to_image(y, &res);
        s = gc_image_write_png(path, &res);
    }
    if (s == GC_OK && o->raw) {
        snprintf(path, sizeof path, "%s/%.*s_fake.safetensors", o->out,
                 (int)(strrchr(base, '.') - base), base);
        struct gc_st_tensor t = {.name = "fake", .dtype = GC_ST_F32, .ndim = 3,
                                 .shape = {nc_out, img.h, img.w}, .data = y,
                                 .nbytes = sizeof(float) * (size_t)nc_out * img.h * img.w};
        s = gc_safetensors_save(path, &t, 1, NULL, 0);
    }
    gc_free(x);
    gc_free(y);
    gc_image_free(&img);
    gc_image_free(&res);
    return s;
}

static gc_status run(const struct tr_opts *o, int *done)
{
    struct gc_cyclegan_config cfg;
    struct gc_device *dev = NULL;
    struct gc_cyclegan *m = NULL;
    char **files = NULL, note[512];
    int n = 0;
    gc_status s = gc_cyclegan_config_read(o->checkpoint, &cfg);
    if (s == GC_OK) s = list_inputs(o->in, &files, &n);
    if (s == GC_OK) s = gc_mkdirs(o->out);
    if (s == GC_OK) s = gc_device_open(o->device, NULL, &dev, note, sizeof note);
    for (int i = 0; i < n && s == GC_OK; i++) {
        s = one(o, &cfg, dev, &m, files[i]);
        if (s == GC_OK) ++*done;
    }
    for (int i = 0; i < n; i++) gc_free(files[i]);
    gc_free(files);
    gc_cyclegan_destroy(m);
    gc_device_destroy(dev);
    return s;
}

int gc_cmd_translate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"in", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},        {"direction", required_argument, NULL, 'd'},
        {"device", required_argument, NULL, 'D'},     {"help", no_argument, NULL, 'h'},
        {"raw", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0}};
    struct tr_opts o = {.a_to_b = true};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o.checkpoint = optarg; break;
        case 'i': o.in = optarg; break;
        case 'o': o.out = optarg; break;
        case 'D': o.device = optarg; break;
        case 'r': o.raw = true; break;
        case 'd':
            if (strcmp(optarg, "AtoB") && strcmp(optarg, "BtoA")) {
                fprintf(stderr, "gan-cl translate: --direction AtoB or BtoA\n");
                return GC_EXIT_USAGE;
            }
            o.a_to_b = strcmp(optarg, "AtoB") == 0;
            break;
        case 'h': usage(stdout); return GC_EXIT_OK;
        default: usage(stderr); return GC_EXIT_USAGE;
        }
    }
    if (!o.checkpoint || !o.in || !o.out) {
        usage(stderr);
        return GC_EXIT_USAGE;
    }
    int done = 0;
    gc_status s = run(&o, &done);
    if (s != GC_OK) return gc_app_fail(s);
    printf("translated %d image%s into %s\n", done, done == 1 ? "" : "s", o.out);
    return GC_EXIT_OK;
}
