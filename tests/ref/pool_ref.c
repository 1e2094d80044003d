/* SPDX-License-Identifier: MIT */
#include "ref/pool_ref.h"

#include <math.h>
#include <stdlib.h>

int64_t gc_pref_pooled(int64_t n, int k, int s, int p)
{
    return (n + 2 * p - k) / s + 1;
}

/* Flat in-plane index of the first maximum of window (oy, ox). */
static int64_t argmax(const float *plane, int64_t h, int64_t w, int64_t oy, int64_t ox, int k,
                      int s, int p)
{
    int64_t best = -1;
    double m = -INFINITY;
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++) {
            int64_t iy = oy * s - p + a, ix = ox * s - p + b;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            double v = plane[iy * w + ix];
            if (best < 0 || v > m) m = v, best = iy * w + ix;
        }
    return best;
}

void gc_pref_max_pool(const float *v, const float *x, const int64_t xs[4], int k, int s, int p,
                      float *y)
{
    int64_t h = xs[2], w = xs[3], oh = gc_pref_pooled(h, k, s, p), ow = gc_pref_pooled(w, k, s, p);
    for (int64_t pl = 0; pl < xs[0] * xs[1]; pl++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                y[(pl * oh + oy) * ow + ox] =
                    v[pl * h * w + argmax(x + pl * h * w, h, w, oy, ox, k, s, p)];
}

void gc_pref_max_pool_vjp(const float *dy, const float *x, const int64_t xs[4], int k, int s,
                          int p, float *dv)
{
    int64_t h = xs[2], w = xs[3], oh = gc_pref_pooled(h, k, s, p), ow = gc_pref_pooled(w, k, s, p);
    int64_t n = xs[0] * xs[1] * h * w;
    double *acc = calloc((size_t)n, sizeof *acc);
    for (int64_t pl = 0; pl < xs[0] * xs[1]; pl++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                acc[pl * h * w + argmax(x + pl * h * w, h, w, oy, ox, k, s, p)] +=
                    dy[(pl * oh + oy) * ow + ox];
    for (int64_t i = 0; i < n; i++) dv[i] = (float)acc[i];
    free(acc);
}

/* PyTorch's divisor: the window clipped to the padded input, or to the input. */
static double divisor(int64_t h, int64_t w, int64_t oy, int64_t ox, int k, int s, int p,
                      bool include_pad)
{
    int64_t n = 0;
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++) {
            int64_t iy = oy * s - p + a, ix = ox * s - p + b;
            bool in_pad = iy >= -p && iy < h + p && ix >= -p && ix < w + p;
            bool in_img = iy >= 0 && iy < h && ix >= 0 && ix < w;
            n += include_pad ? in_pad : in_img;
        }
    return (double)n;
}

/* The avg-pool weight of (iy, ix) in window (oy, ox): 1/divisor or 0. */
static void avg_pool(const float *in, float *out, const int64_t xs[4], int k, int s, int p,
                     bool include_pad, bool vjp)
{
    int64_t h = xs[2], w = xs[3], oh = gc_pref_pooled(h, k, s, p), ow = gc_pref_pooled(w, k, s, p);
    int64_t n = xs[0] * xs[1] * (vjp ? h * w : oh * ow);
    double *acc = calloc((size_t)n, sizeof *acc);
    for (int64_t pl = 0; pl < xs[0] * xs[1]; pl++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++) {
                double d = divisor(h, w, oy, ox, k, s, p, include_pad);
                int64_t o = (pl * oh + oy) * ow + ox;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++) {
                        int64_t iy = oy * s - p + a, ix = ox * s - p + b;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        int64_t i = pl * h * w + iy * w + ix;
                        if (vjp) acc[i] += in[o] / d;
                        else acc[o] += in[i] / d;
                    }
            }
    for (int64_t i = 0; i < n; i++) out[i] = (float)acc[i];
    free(acc);
}

void gc_pref_avg_pool(const float *x, const int64_t xs[4], int k, int s, int p, bool include_pad,
                      float *y)
{
    avg_pool(x, y, xs, k, s, p, include_pad, false);
}

void gc_pref_avg_pool_vjp(const float *dy, const int64_t xs[4], int k, int s, int p,
                          bool include_pad, float *dx)
{
    avg_pool(dy, dx, xs, k, s, p, include_pad, true);
}

/* Taps of output o along an axis n -> m: src = max((o + 0.5) n / m - 0.5, 0). */
static void taps(int64_t o, int64_t n, int64_t m, int64_t *i0, int64_t *i1, double *l1)
{
    double src = ((double)o + 0.5) * (double)n / (double)m - 0.5;
    if (src < 0) src = 0;
    *i0 = (int64_t)floor(src);
    *i1 = *i0 + 1 < n ? *i0 + 1 : *i0;
    *l1 = src - (double)*i0;
}

static void resize(const float *in, float *out, const int64_t xs[4], int oh, int ow, bool vjp)
{
    int64_t h = xs[2], w = xs[3];
    int64_t n = xs[0] * xs[1] * (vjp ? h * w : (int64_t)oh * ow);
    double *acc = calloc((size_t)n, sizeof *acc);
    for (int64_t pl = 0; pl < xs[0] * xs[1]; pl++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++) {
                int64_t ys[2], xx[2];
                double ly, lx;
                taps(oy, h, oh, &ys[0], &ys[1], &ly);
                taps(ox, w, ow, &xx[0], &xx[1], &lx);
                double wy[2] = {1 - ly, ly}, wx[2] = {1 - lx, lx};
                int64_t o = (pl * oh + oy) * ow + ox;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) {
                        int64_t i = pl * h * w + ys[a] * w + xx[b];
                        if (vjp) acc[i] += wy[a] * wx[b] * in[o];
                        else acc[o] += wy[a] * wx[b] * in[i];
                    }
            }
    for (int64_t i = 0; i < n; i++) out[i] = (float)acc[i];
    free(acc);
}

void gc_pref_resize(const float *x, const int64_t xs[4], int oh, int ow, float *y)
{
    resize(x, y, xs, oh, ow, false);
}

void gc_pref_resize_vjp(const float *dy, const int64_t xs[4], int oh, int ow, float *dx)
{
    resize(dy, dx, xs, oh, ow, true);
}
