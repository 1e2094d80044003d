/* SPDX-License-Identifier: MIT */
/* The reference implementation's transforms on 8-bit images (data/
 * base_dataset.py: get_transform, __scale_width, __make_power_2, __crop,
 * __flip) and PIL's BICUBIC resampling (src/libImaging/Resample.c), which
 * torchvision's Resize uses on PIL images; plus PyTorch's DCGAN example's
 * Resize(size) + CenterCrop(size), with Resize's default BILINEAR filter
 * (same code, triangle kernel of support 1). PIL resamples 8-bit images in
 * fixed point: coefficients from the a = -0.5 cubic kernel, its support
 * widened by the scale when downscaling (antialiasing), normalised to sum 1
 * in double, then rounded to 22-bit integers; a horizontal pass first into
 * an 8-bit temporary of only the rows the vertical pass reads, then the
 * vertical pass; each output rounded (+ 2^21) and clamped. Following that
 * exactly gives PIL's pixels bit for bit (tests/test_dataset.c checks
 * against images made by tools/gen_transform_fixtures.py). */
#include "data/transform.h"

#include <math.h>
#include <string.h>

#include "gancl/alloc.h"

#define PRECISION_BITS (32 - 8 - 2) /* Resample.c */

static double bicubic(double x)
{
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double bilinear(double x)
{
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Resample.c's struct filter: the kernel and its support at scale 1. */
struct filter {
    double (*f)(double);
    double support;
};
static const struct filter f_bicubic = {bicubic, 2.0}, f_bilinear = {bilinear, 1.0};

/* precompute_coeffs + normalize_coeffs_8bpc for in -> out samples:
 * bounds[2 * o] = first input, bounds[2 * o + 1] = count; kk: out * ksize. */
static int coeffs(int in, int out, const struct filter *flt, int **bounds_out, int32_t **kk_out)
{
    double scale = (double)((float)in - 0.0f) / out, fscale = scale < 1.0 ? 1.0 : scale;
    double support = flt->support * fscale, ss = 1.0 / fscale;
    int ksize = (int)ceil(support) * 2 + 1;
    int *bounds = gc_malloc(sizeof(int) * 2 * (size_t)out);
    int32_t *kk = gc_calloc((size_t)out * (size_t)ksize, sizeof(int32_t));
    double *k = gc_malloc(sizeof(double) * (size_t)ksize);
    if (!bounds || !kk || !k) {
        gc_free(bounds);
        gc_free(kk);
        gc_free(k);
        return -1;
    }
    for (int xx = 0; xx < out; xx++) {
        double center = (xx + 0.5) * scale, ww = 0.0;
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > in) xmax = in;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            k[x] = flt->f((x + xmin - center + 0.5) * ss);
            ww += k[x];
        }
        for (int x = 0; x < xmax; x++) {
            double v = ww != 0.0 ? k[x] / ww : k[x];
            kk[(size_t)xx * (size_t)ksize + (size_t)x] =
                (int32_t)(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
        }
        bounds[2 * xx] = xmin;
        bounds[2 * xx + 1] = xmax;
    }
    gc_free(k);
    *bounds_out = bounds;
    *kk_out = kk;
    return ksize;
}

static uint8_t clip8(int32_t v)
{
    v >>= PRECISION_BITS; /* arithmetic shift: negative sums stay negative */
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* out: (rows, ow, c) from in rows [first, first + rows) of (ih, iw, c). */
static void pass_h(uint8_t *out, const uint8_t *in, int iw, int c, int first, int rows, int ow,
                   int ksize, const int *bounds, const int32_t *kk)
{
    for (int y = 0; y < rows; y++) {
        const uint8_t *row = in + (size_t)(y + first) * (size_t)iw * (size_t)c;
        for (int xx = 0; xx < ow; xx++) {
            const int32_t *k = kk + (size_t)xx * (size_t)ksize;
            int xmin = bounds[2 * xx], n = bounds[2 * xx + 1];
            for (int ch = 0; ch < c; ch++) {
                int32_t ss = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < n; x++) ss += row[(size_t)(x + xmin) * (size_t)c + (size_t)ch] * k[x];
                out[((size_t)y * (size_t)ow + (size_t)xx) * (size_t)c + (size_t)ch] = clip8(ss);
            }
        }
    }
}

/* out: (oh, w, c) from in (any rows, w, c); bounds already relative to in. */
static void pass_v(uint8_t *out, const uint8_t *in, int w, int c, int oh, int ksize,
                   const int *bounds, const int32_t *kk)
{
    size_t stride = (size_t)w * (size_t)c;
    for (int yy = 0; yy < oh; yy++) {
        const int32_t *k = kk + (size_t)yy * (size_t)ksize;
        int ymin = bounds[2 * yy], n = bounds[2 * yy + 1];
        for (size_t i = 0; i < stride; i++) {
            int32_t ss = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < n; y++) ss += in[(size_t)(y + ymin) * stride + i] * k[y];
            out[(size_t)yy * stride + i] = clip8(ss);
        }
    }
}

/* ImagingResample with `flt` (see the pass-order note below). */
static gc_status resample(struct gc_image *out, const struct gc_image *in, int ow, int oh,
                          const struct filter *flt)
{
    GC_ASSERT(in && in->data && in->c >= 1 && in->c <= 4 && ow > 0 && oh > 0);
    const int iw = in->w, ih = in->h, c = in->c;
    int *bh = NULL, *bv = NULL;
    int32_t *kh = NULL, *kv = NULL;
    uint8_t *tmp = NULL, *dst = gc_malloc((size_t)ow * (size_t)oh * (size_t)c);
    int ksh = coeffs(iw, ow, flt, &bh, &kh), ksv = coeffs(ih, oh, flt, &bv, &kv);
    if (!dst || ksh < 0 || ksv < 0) goto nomem;
    /* Image.resize returns a copy for the same size; the passes below would too. */
    bool need_h = ow != iw, need_v = oh != ih;
    const uint8_t *src = in->data;
    /* The pass order changes the rounding of the 8-bit temporary. Pillow <= 9
     * always went horizontal first; Pillow 13 goes vertical first at least
     * when the height shrinks and the width does not, and in some cases where
     * both shrink (its rule is not documented). 571 of 600 random resizes of
     * a noise image matched Pillow 13.0 bit for bit; the rest all shrink
     * both sides, where 0.25% of values differ (up to 17 levels on noise,
     * from the clamped 8-bit temporary). Equal-ratio resizes (the square
     * resize of resize_and_crop, scale_width) match. */
    if (need_h && need_v && oh < ih && ow >= iw) {
        if (!(tmp = gc_malloc((size_t)iw * (size_t)oh * (size_t)c))) goto nomem;
        pass_v(tmp, src, iw, c, oh, ksv, bv, kv);
        pass_h(dst, tmp, iw, c, 0, oh, ow, ksh, bh, kh);
        need_h = need_v = false;
        src = dst;
    }
    if (need_h) {
        int first = bv[0], last = bv[2 * oh - 2] + bv[2 * oh - 1];
        for (int i = 0; i < oh; i++) bv[2 * i] -= first;
        uint8_t *target = need_v ? (tmp = gc_malloc((size_t)ow * (size_t)(last - first) * (size_t)c)) : dst;
        if (!target) goto nomem;
        pass_h(target, src, iw, c, first, last - first, ow, ksh, bh, kh);
        src = target;
    }
    if (need_v) pass_v(dst, src, ow, c, oh, ksv, bv, kv);
    if (ow == iw && oh == ih) memcpy(dst, src, (size_t)ow * (size_t)oh * (size_t)c);
    gc_free(tmp);
    gc_free(bh);
    gc_free(bv);
    gc_free(kh);
    gc_free(kv);
    *out = (struct gc_image){.w = ow, .h = oh, .c = c, .data = dst};
    return GC_OK;
nomem:
    gc_free(dst);
    gc_free(tmp);
    gc_free(bh);
    gc_free(bv);
    gc_free(kh);
    gc_free(kv);
    return gc_error(GC_NOMEM, "resize %dx%d -> %dx%d: out of host memory", iw, ih, ow, oh);
}

gc_status gc__resize_bicubic(struct gc_image *out, const struct gc_image *in, int ow, int oh)
{
    return resample(out, in, ow, oh, &f_bicubic);
}

gc_status gc__resize_bilinear(struct gc_image *out, const struct gc_image *in, int ow, int oh)
{
    return resample(out, in, ow, oh, &f_bilinear);
}

static bool crops(enum gc_preprocess p)
{
    return p == GC_PRE_RESIZE_AND_CROP || p == GC_PRE_CROP || p == GC_PRE_SCALE_WIDTH_AND_CROP ||
           p == GC_PRE_RESIZE_CENTER_CROP;
}

/* torchvision's _compute_resized_output_size for Resize(size): the shorter
 * side becomes size, the longer int(size * long / short). */
static void short_side(int w, int h, int size, int *rw, int *rh)
{
    int sh = w <= h ? w : h, lo = w <= h ? h : w;
    int nl = (int)((double)((int64_t)size * lo) / (double)sh);
    *rw = w <= h ? size : nl;
    *rh = w <= h ? nl : size;
}

gc_status gc__xf_resized_size(const struct gc_transform *t, int w, int h, int *rw, int *rh,
                              const char *name)
{
    *rw = w;
    *rh = h;
    switch (t->preprocess) {
    case GC_PRE_RESIZE_AND_CROP:
        *rw = *rh = t->load_size;
        break;
    case GC_PRE_SCALE_WIDTH:
    case GC_PRE_SCALE_WIDTH_AND_CROP: /* __scale_width: int(max(load * oh / ow, crop)) */
        if (!(w == t->load_size && h >= t->crop_size)) {
            double v = (double)((int64_t)t->load_size * h) / (double)w;
            *rw = t->load_size;
            *rh = (int)(v > t->crop_size ? v : (double)t->crop_size);
        }
        break;
    case GC_PRE_NONE: /* __make_power_2(base=4): int(round(o / 4) * 4), round half to even */
        *rw = (int)nearbyint((double)w / 4.0) * 4;
        *rh = (int)nearbyint((double)h / 4.0) * 4;
        break;
    case GC_PRE_RESIZE_CENTER_CROP:
        short_side(w, h, t->crop_size, rw, rh);
        break;
    case GC_PRE_CROP:
        break;
    }
    if (*rw <= 0 || *rh <= 0)
        return gc_error(GC_INVALID_ARG, "%s: a %dx%d image becomes empty with --preprocess %s",
                        name ? name : "image", w, h, gc_preprocess_name(t->preprocess));
    return GC_OK;
}

gc_status gc__xf_out_size(const struct gc_transform *t, int w, int h, int *ow, int *oh,
                          const char *name)
{
    gc_status s = gc__xf_resized_size(t, w, h, ow, oh, name);
    if (s != GC_OK) return s;
    if (crops(t->preprocess)) {
        if (*ow < t->crop_size || *oh < t->crop_size)
            return gc_error(GC_INVALID_ARG,
                            "%s: %dx%d (%dx%d after resizing) is smaller than --crop_size %d",
                            name ? name : "image", w, h, *ow, *oh, t->crop_size);
        *ow = *oh = t->crop_size;
    }
    return GC_OK;
}

static int below(uint32_t r, int n) /* uniform in [0, n) by multiply-shift */
{
    return (int)(((uint64_t)r * (uint64_t)n) >> 32);
}

void gc__xf_draw(const struct gc_transform *t, int w, int h, const uint32_t r[4],
                 struct gc__xf_params *p)
{
    int rw = w, rh = h;
    p->crop_x = p->crop_y = 0;
    bool ok = crops(t->preprocess) && gc__xf_resized_size(t, w, h, &rw, &rh, NULL) == GC_OK;
    if (ok && t->preprocess == GC_PRE_RESIZE_CENTER_CROP) {
        /* CenterCrop: int(round((side - crop) / 2.0)), Python's round half to even */
        p->crop_x = (int)nearbyint((rw - t->crop_size) / 2.0);
        p->crop_y = (int)nearbyint((rh - t->crop_size) / 2.0);
    } else if (ok) {
        if (rw > t->crop_size) p->crop_x = below(r[0], rw - t->crop_size + 1);
        if (rh > t->crop_size) p->crop_y = below(r[1], rh - t->crop_size + 1);
    }
    p->flip = !t->no_flip && (r[2] >> 31);
}

gc_status gc__xf_apply(struct gc_image *out, const struct gc_image *in, const struct gc_transform *t,
                       const struct gc__xf_params *p, const char *name)
{
    int rw, rh, ow, oh;
    gc_status s = gc__xf_out_size(t, in->w, in->h, &ow, &oh, name);
    if (s == GC_OK) s = gc__xf_resized_size(t, in->w, in->h, &rw, &rh, name);
    if (s != GC_OK) return s;
    struct gc_image r = *in, res = {0};
    if (rw != in->w || rh != in->h) {
        s = t->preprocess == GC_PRE_RESIZE_CENTER_CROP ? gc__resize_bilinear(&res, in, rw, rh)
                                                       : gc__resize_bicubic(&res, in, rw, rh);
        if (s != GC_OK) return s;
        r = res;
    }
    int x0 = ow < rw ? p->crop_x : 0, y0 = oh < rh ? p->crop_y : 0, c = in->c;
    GC_ASSERT(x0 >= 0 && y0 >= 0 && x0 + ow <= rw && y0 + oh <= rh);
    uint8_t *dst = gc_malloc((size_t)ow * (size_t)oh * (size_t)c);
    if (!dst) {
        gc_image_free(&res);
        return gc_error(GC_NOMEM, "%s: out of host memory", name ? name : "image");
    }
    for (int y = 0; y < oh; y++) {
        const uint8_t *src = r.data + ((size_t)(y + y0) * (size_t)rw + (size_t)x0) * (size_t)c;
        uint8_t *d = dst + (size_t)y * (size_t)ow * (size_t)c;
        if (!p->flip) {
            memcpy(d, src, (size_t)ow * (size_t)c);
        } else {
            for (int x = 0; x < ow; x++)
                memcpy(d + (size_t)x * (size_t)c, src + (size_t)(ow - 1 - x) * (size_t)c, (size_t)c);
        }
    }
    gc_image_free(&res);
    *out = (struct gc_image){.w = ow, .h = oh, .c = c, .data = dst};
    return GC_OK;
}

void gc__xf_to_float(float *out, const struct gc_image *img, int pad)
{
    /* ToTensor() = v / 255, Normalize(0.5, 0.5) = (x - 0.5) / 0.5 in float, the
     * order torchvision evaluates (same table as gc_fmnist_to_float). */
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = ((float)v / 255.0f - 0.5f) / 0.5f;
    const int w = img->w, h = img->h, c = img->c, ow = w + 2 * pad, oh = h + 2 * pad;
    for (int k = 0; k < c; k++) {
        float *plane = out + (size_t)k * (size_t)ow * (size_t)oh;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sy = y - pad, sx = x - pad;
                bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                plane[(size_t)y * (size_t)ow + (size_t)x] =
                    lut[inside ? img->data[((size_t)sy * (size_t)w + (size_t)sx) * (size_t)c + (size_t)k] : 0];
            }
        }
    }
}
