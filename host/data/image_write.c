/* SPDX-License-Identifier: MIT */
/* Writing images: 8-bit PNG through libpng into an atomically renamed temp
 * file, and torchvision-style sample grids. */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "fileio.h"
#include "gancl/alloc.h"
#include "gancl/image.h"

struct png_wctx {
    char msg[256];
    png_bytep *rows;
};

static void on_error(png_structp png, png_const_charp msg)
{
    struct png_wctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static png_voidp on_malloc(png_structp png, png_alloc_size_t n)
{
    (void)png;
    return gc_malloc(n);
}

static void on_free(png_structp png, png_voidp p)
{
    (void)png;
    gc_free(p);
}

static int write_run(struct png_wctx *c, png_structp png, png_infop info, FILE *f,
                     const struct gc_image *img)
{
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (setjmp(png_jmpbuf(png))) return 1;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)img->w, (png_uint_32)img->h, 8, types[img->c],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)img->w * (size_t)img->c;
    for (int y = 0; y < img->h; y++) c->rows[y] = img->data + (size_t)y * stride;
    png_write_image(png, c->rows);
    png_write_end(png, NULL);
    return 0;
}

gc_status gc_image_write_png(const char *path, const struct gc_image *img)
{
    if (!img || !img->data || img->c < 1 || img->c > 4 || img->w < 1 || img->h < 1)
        return gc_error(GC_INVALID_ARG, "%s: not a writable image", path);
    struct png_wctx c = {.rows = gc_malloc((size_t)img->h * sizeof(png_bytep))};
    if (!c.rows) return gc_error(GC_NOMEM, "%s: out of memory", path);
    png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning,
                                                NULL, on_malloc, on_free);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        gc_free(c.rows);
        return gc_error(GC_NOMEM, "%s: cannot create a PNG encoder", path);
    }
    struct gc__atomic_file a;
    gc_status s = gc__atomic_open(&a, path);
    if (s == GC_OK) {
        int r = write_run(&c, png, info, a.f, img);
        if (r != 0) {
            s = gc_error(GC_IO, "%s: writing PNG: %s", path, c.msg);
            gc__atomic_abort(&a);
        } else {
            s = gc__atomic_commit(&a);
        }
    }
    png_destroy_write_struct(&png, &info);
    gc_free(c.rows);
    return s;
}

/* save_image(normalize=True, value_range=(-1, 1)), in torch's float order:
 * clamp, (v - low) / (high - low), * 255, + 0.5, clamp to [0, 255], truncate. */
static uint8_t to_byte(float v)
{
    if (isnan(v)) return 0;
    v = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
    float u = (v - -1.0f) / 2.0f * 255.0f + 0.5f;
    return (uint8_t)(u > 255.0f ? 255.0f : u);
}

gc_status gc_image_make_grid(struct gc_image *out, const float *x, int n, int c, int h, int w,
                             int nrow, int padding)
{
    if (!x || n < 1 || (c != 1 && c != 3) || h < 1 || w < 1 || nrow < 1 || padding < 0)
        return gc_error(GC_INVALID_ARG, "make_grid: bad shape (%d, %d, %d, %d), nrow %d", n, c, h,
                        w, nrow);
    /* torchvision: xmaps = min(nrow, n), ymaps = ceil(n / xmaps) */
    int64_t xm = nrow < n ? nrow : n, ym = (n + xm - 1) / xm;
    int64_t cw = w + padding, ch = h + padding;
    int64_t gw = xm * cw + padding, gh = ym * ch + padding;
    if (gw > INT32_MAX || gh > INT32_MAX || gw * gh > GC_IMAGE_MAX_PIXELS_DEFAULT)
        return gc_error(GC_LIMIT, "make_grid: %lldx%lld grid is too large", (long long)gw,
                        (long long)gh);
    uint8_t *g = gc_calloc((size_t)(gw * gh), (size_t)c); /* pad_value 0: black */
    if (!g) return gc_error(GC_NOMEM, "make_grid: out of memory");
    for (int k = 0; k < n; k++) {
        int64_t oy = (k / xm) * ch + padding, ox = (k % xm) * cw + padding;
        const float *img = x + (size_t)k * (size_t)c * (size_t)h * (size_t)w;
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++)
                for (int ci = 0; ci < c; ci++)
                    g[((oy + y) * gw + ox + xx) * c + ci] =
                        to_byte(img[((size_t)ci * (size_t)h + (size_t)y) * (size_t)w + (size_t)xx]);
    }
    *out = (struct gc_image){.w = (int)gw, .h = (int)gh, .c = c, .data = g};
    return GC_OK;
}

gc_status gc_image_save_grid(const char *path, const float *x, int n, int c, int h, int w,
                             int nrow, int padding)
{
    struct gc_image g;
    gc_status s = gc_image_make_grid(&g, x, n, c, h, w, nrow, padding);
    if (s != GC_OK) return gc_error_context(s, "%s", path);
    s = gc_image_write_png(path, &g);
    gc_image_free(&g);
    return s;
}
