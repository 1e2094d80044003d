/* SPDX-License-Identifier: MIT */
/* Fashion-MNIST: loading a split from its four IDX files, class names and
 * filtering, and the conversion to the float input of DCGAN-style models
 * (zero padding 28 -> 32, scaling to [-1, 1] as torchvision does). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gancl/alloc.h"
#include "gancl/idx.h"

static const char *const class_names[GC_FMNIST_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* Name keys with case and separators removed, so "Ankle boot", "ankle-boot"
 * and "ankle_boot" all read "ankleboot". */
static const struct {
    const char *key;
    int cls;
} class_keys[] = {
    {"tshirttop", 0}, {"tshirt", 0}, {"top", 0},      {"trouser", 1}, {"trousers", 1},
    {"pullover", 2},  {"dress", 3},  {"coat", 4},     {"sandal", 5},  {"shirt", 6},
    {"sneaker", 7},   {"bag", 8},    {"ankleboot", 9}};

const char *gc_fmnist_class_name(int cls)
{
    return cls >= 0 && cls < GC_FMNIST_CLASSES ? class_names[cls] : NULL;
}

gc_status gc_fmnist_class_parse(const char *text, int *cls)
{
    if (!text || !*text) return gc_error(GC_INVALID_ARG, "empty Fashion-MNIST class");
    if (isdigit((unsigned char)text[0]) && text[1] == '\0') {
        *cls = text[0] - '0';
        return GC_OK;
    }
    char key[32];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '-' || *p == '_' || *p == ' ' || *p == '/') continue;
        if (n + 1 >= sizeof key) break;
        key[n++] = (char)tolower((unsigned char)*p);
    }
    key[n] = '\0';
    for (size_t i = 0; i < sizeof class_keys / sizeof class_keys[0]; i++) {
        if (strcmp(key, class_keys[i].key) == 0) {
            *cls = class_keys[i].cls;
            return GC_OK;
        }
    }
    return gc_error(GC_INVALID_ARG,
                    "unknown Fashion-MNIST class '%s' (use 0..9 or a name such as sneaker, "
                    "ankle-boot, t-shirt, trouser, pullover, dress, coat, sandal, shirt, bag)",
                    text);
}

/* dir/stem.gz if it exists, else dir/stem. */
static gc_status find_file(char *path, size_t cap, const char *dir, const char *stem)
{
    struct stat st;
    int n = snprintf(path, cap, "%s/%s.gz", dir, stem);
    if (n < 0 || (size_t)n >= cap) return gc_error(GC_INVALID_ARG, "%s: path too long", dir);
    if (stat(path, &st) == 0) return GC_OK;
    snprintf(path, cap, "%s/%s", dir, stem);
    if (stat(path, &st) == 0) return GC_OK;
    return gc_error(GC_NOT_FOUND, "%s/%s[.gz]: not found (is dataset-fashion-mnist installed?)",
                    dir, stem);
}

static gc_status load_pair(struct gc_idx *img, struct gc_idx *lab, const char *dir,
                           enum gc_fmnist_split split)
{
    const char *prefix = split == GC_FMNIST_TRAIN ? "train" : "t10k";
    char stem[64], ipath[4096], lpath[4096];
    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", prefix);
    gc_status s = find_file(ipath, sizeof ipath, dir, stem);
    if (s != GC_OK) return s;
    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", prefix);
    if ((s = find_file(lpath, sizeof lpath, dir, stem)) != GC_OK) return s;
    if ((s = gc_idx_read(img, ipath, 3)) != GC_OK) return s;
    if ((s = gc_idx_read(lab, lpath, 1)) != GC_OK) {
        gc_idx_free(img);
        return s;
    }
    if (img->dims[0] != lab->dims[0] || img->dims[1] != GC_FMNIST_SIZE ||
        img->dims[2] != GC_FMNIST_SIZE) {
        s = gc_error(GC_FORMAT, "%s: %lldx%lldx%lld images do not match %lld labels in %s", ipath,
                     (long long)img->dims[0], (long long)img->dims[1], (long long)img->dims[2],
                     (long long)lab->dims[0], lpath);
    }
    for (size_t i = 0; s == GC_OK && i < lab->size; i++)
        if (lab->data[i] >= GC_FMNIST_CLASSES)
            s = gc_error(GC_FORMAT, "%s: label %d at index %zu is not a class 0..9", lpath,
                         lab->data[i], i);
    if (s != GC_OK) {
        gc_idx_free(img);
        gc_idx_free(lab);
    }
    return s;
}

gc_status gc_fmnist_load(struct gc_fmnist *out, const char *dir, enum gc_fmnist_split split,
                         int class_filter)
{
    if (class_filter < -1 || class_filter >= GC_FMNIST_CLASSES)
        return gc_error(GC_INVALID_ARG, "Fashion-MNIST class %d outside 0..9", class_filter);
    struct gc_idx img, lab;
    const char *env = getenv("GANCL_FMNIST_DIR"); /* data copied elsewhere (clusters, containers) */
    if (!dir) dir = env && *env ? env : GC_FMNIST_DEFAULT_DIR;
    gc_status s = load_pair(&img, &lab, dir, split);
    if (s != GC_OK) return s;
    const size_t px = GC_FMNIST_SIZE * GC_FMNIST_SIZE;
    int64_t n = 0;
    if (class_filter < 0) {
        n = (int64_t)lab.size;
    } else {
        /* Compact the kept images to the front, in file order. */
        for (size_t i = 0; i < lab.size; i++) {
            if (lab.data[i] != class_filter) continue;
            if ((size_t)n != i) memmove(img.data + (size_t)n * px, img.data + i * px, px);
            lab.data[n++] = lab.data[i];
        }
        /* Give back the memory of the dropped classes (keeping it on failure is harmless). */
        uint8_t *shrunk = n ? gc_realloc(img.data, (size_t)n * px) : NULL;
        if (shrunk) img.data = shrunk;
    }
    *out = (struct gc_fmnist){.n = n, .h = GC_FMNIST_SIZE, .w = GC_FMNIST_SIZE,
                              .images = img.data, .labels = lab.data};
    return GC_OK;
}

void gc_fmnist_free(struct gc_fmnist *ds)
{
    if (!ds) return;
    gc_free(ds->images);
    gc_free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

void gc_fmnist_to_float(float *out, const struct gc_fmnist *ds, int64_t first, int64_t count,
                        int pad)
{
    GC_ASSERT(ds && first >= 0 && count >= 0 && first + count <= ds->n && pad >= 0);
    const int h = ds->h, w = ds->w, oh = h + 2 * pad, ow = w + 2 * pad;
    /* torchvision: ToTensor() = v / 255, Normalize(0.5, 0.5) = (x - 0.5) / 0.5,
     * evaluated in the same float order so values match bit for bit. */
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = ((float)v / 255.0f - 0.5f) / 0.5f;
    for (int64_t i = 0; i < count; i++) {
        const uint8_t *src = ds->images + (size_t)(first + i) * (size_t)(h * w);
        float *dst = out + (size_t)i * (size_t)(oh * ow);
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sy = y - pad, sx = x - pad;
                int inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                dst[y * ow + x] = lut[inside ? src[sy * w + sx] : 0];
            }
        }
    }
}
