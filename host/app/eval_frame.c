/* SPDX-License-Identifier: MIT */
/* The fmnist classifier's input frame from folders, training items and
 * generated images (rules in eval_frame.h). Pixel work goes through the
 * dataset layer's transforms, so a folder of saved PNGs and the images
 * they were saved from give the same frame. */
#include "eval_frame.h"

#include <string.h>

#include "gancl/alloc.h"
#include "gancl/classifier.h"
#include "gancl/idx.h"
#include "gancl/image.h"

#define IMG (GC_CLF_SIZE * GC_CLF_SIZE)

bool gc_app_data_is_fmnist(const char *spec)
{
    return strcmp(spec, "fashion-mnist") == 0 || strncmp(spec, "fashion-mnist:", 14) == 0;
}

/* The transform of a folder whose first image is w x h (see eval_frame.h). */
static void folder_transform(struct gc_transform *t, int w, int h)
{
    gc_transform_default(t);
    t->channels = 1;
    t->no_flip = true;
    /* 28x28 -> 28x28 is no resize and a crop at (0, 0): the image as is, padded */
    bool fm = w == GC_FMNIST_SIZE && h == GC_FMNIST_SIZE;
    t->preprocess = GC_PRE_RESIZE_CENTER_CROP;
    t->crop_size = fm ? GC_FMNIST_SIZE : GC_CLF_SIZE;
    t->pad = fm ? (GC_CLF_SIZE - GC_FMNIST_SIZE) / 2 : 0;
}

static gc_status open_folder(const char *dir, struct gc_dataset **out)
{
    struct gc_dataset_opts o = {.spec = dir, .layout = GC_LAYOUT_SINGLE};
    *out = NULL;
    folder_transform(&o.transform, 0, 0);
    gc_status s = gc_dataset_open(out, &o); /* lists the folder, checks the first image */
    struct gc_image first = {0};
    if (s == GC_OK) s = gc_image_load(&first, gc_dataset_path(*out, 0, 0), 1, 0);
    if (s == GC_OK && first.w == GC_FMNIST_SIZE && first.h == GC_FMNIST_SIZE) {
        gc_dataset_destroy(*out);
        *out = NULL;
        folder_transform(&o.transform, first.w, first.h);
        s = gc_dataset_open(out, &o);
    }
    gc_image_free(&first);
    if (s != GC_OK) {
        gc_dataset_destroy(*out);
        *out = NULL;
    }
    return s;
}

gc_status gc_app_frame_folder(const char *dir, int64_t n, uint64_t seed, float **out, int64_t *got)
{
    struct gc_dataset *ds = NULL;
    gc_status s = open_folder(dir, &ds);
    if (s != GC_OK) return s;
    int64_t size = gc_dataset_size(ds), k = n < size ? n : size;
    int64_t *order = gc_malloc(sizeof(int64_t) * (size_t)size);
    float *x = gc_malloc(sizeof(float) * (size_t)(k * IMG));
    if (!order || !x) s = gc_error(GC_NOMEM, "%s: out of host memory", dir);
    if (s == GC_OK) {
        if (k < size) gc_dataset_permutation(order, size, seed);
        for (int64_t i = 0; i < k && s == GC_OK; i++)
            s = gc_dataset_get(ds, k < size ? order[i] : i, 0, 0, x + i * IMG, NULL);
    }
    if (s == GC_OK) {
        *out = x, *got = k;
    } else {
        gc_free(x);
    }
    gc_free(order);
    gc_dataset_destroy(ds);
    return s;
}

/* out (32, 32) = the centre of plane (size, size). */
static void centre(float *out, const float *plane, int size)
{
    int off = (size - GC_CLF_SIZE) / 2;
    for (int r = 0; r < GC_CLF_SIZE; r++)
        memcpy(out + r * GC_CLF_SIZE, plane + (int64_t)(r + off) * size + off,
               sizeof(float) * GC_CLF_SIZE);
}

/* One image (c, size, size) through 8 bits (gc_image_make_grid's rounding),
 * grey, then the frame; scratch holds size * size floats. */
static gc_status via_bytes(const float *x, int c, int size, bool fmnist, float *scratch, float *out)
{
    struct gc_image rgb = {0}, grey = {0};
    gc_status s = gc_image_make_grid(&rgb, x, 1, c, size, size, 1, 0);
    if (s == GC_OK) s = gc_image_convert(&grey, &rgb, 1);
    struct gc_transform t;
    folder_transform(&t, size, size);
    if (fmnist) t.crop_size = size, t.pad = 0; /* as is: the centre crop below keeps the padding */
    if (s == GC_OK) s = gc_transform_image(&t, &grey, fmnist ? scratch : out, "generated image");
    if (s == GC_OK && fmnist) centre(out, scratch, size);
    gc_image_free(&rgb);
    gc_image_free(&grey);
    return s;
}

gc_status gc_app_frame_images(const float *x, int64_t n, int c, int size, bool fmnist, float *out)
{
    if ((c != 1 && c != 3) || (fmnist && size < GC_CLF_SIZE) || size < 1)
        return gc_error(GC_UNSUPPORTED, "%d-channel %dx%d images: the fmnist features take 1 or 3 "
                                        "channels%s",
                        c, size, size, fmnist ? " and Fashion-MNIST models of >= 32 pixels" : "");
    const int64_t per = (int64_t)c * size * size;
    if (fmnist && c == 1) { /* floats as generated: no rounding to 8 bits */
        for (int64_t i = 0; i < n; i++) centre(out + i * IMG, x + i * per, size);
        return GC_OK;
    }
    float *scratch = gc_malloc(sizeof(float) * (size_t)size * (size_t)size);
    gc_status s = scratch ? GC_OK : gc_error(GC_NOMEM, "eval: out of host memory");
    for (int64_t i = 0; i < n && s == GC_OK; i++)
        s = via_bytes(x + i * per, c, size, fmnist, scratch, out + i * IMG);
    gc_free(scratch);
    return s;
}
