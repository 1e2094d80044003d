/* SPDX-License-Identifier: MIT */
/* Convolution references (see conv_ref.h): one loop nest visits every
 * (output, tap) pair; forward, transposed and both VJPs all use it. */
#include "ref/conv_ref.h"

#include <stdlib.h>
#include <string.h>

struct dims {
    int n, c, h, w, oc, kh, kw, oh, ow;
    struct gc_ref_conv g;
};

/* For each (b, o, oy, ox, ci, ky, kx) whose input tap (iy, ix) is inside the
 * image, calls visit with the flat indices of y (N,OC,OH,OW), x (N,C,H,W)
 * and w (OC,C,KH,KW). */
typedef void (*visit_fn)(int64_t yi, int64_t xi, int64_t wi, void *u);

static void each_tap(const struct dims *d, visit_fn visit, void *u)
{
    for (int b = 0; b < d->n; b++)
        for (int o = 0; o < d->oc; o++)
            for (int oy = 0; oy < d->oh; oy++)
                for (int ox = 0; ox < d->ow; ox++)
                    for (int ci = 0; ci < d->c; ci++)
                        for (int ky = 0; ky < d->kh; ky++)
                            for (int kx = 0; kx < d->kw; kx++) {
                                int iy = oy * d->g.stride[0] - d->g.pad[0] + ky * d->g.dil[0];
                                int ix = ox * d->g.stride[1] - d->g.pad[1] + kx * d->g.dil[1];
                                if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) continue;
                                int64_t yi = (((int64_t)b * d->oc + o) * d->oh + oy) * d->ow + ox;
                                int64_t xi = (((int64_t)b * d->c + ci) * d->h + iy) * d->w + ix;
                                int64_t wi = (((int64_t)o * d->c + ci) * d->kh + ky) * d->kw + kx;
                                visit(yi, xi, wi, u);
                            }
}

/* acc[out] += a[ia] * b[ib] where (out, ia, ib) is a permutation of (y, x, w). */
struct acc {
    double *out;
    const float *a, *b;
    int which; /* 0: out=y (x*w)  1: out=x (y*w)  2: out=w (y*x) */
};

static void acc_visit(int64_t yi, int64_t xi, int64_t wi, void *u)
{
    struct acc *s = u;
    switch (s->which) {
    case 0: s->out[yi] += (double)s->a[xi] * s->b[wi]; break;
    case 1: s->out[xi] += (double)s->a[yi] * s->b[wi]; break;
    default: s->out[wi] += (double)s->a[yi] * s->b[xi]; break;
    }
}

static void run(const struct dims *d, int which, const float *a, const float *b, int64_t n_out,
                float *out)
{
    double *acc = calloc((size_t)n_out, sizeof *acc);
    struct acc s = {acc, a, b, which};
    each_tap(d, acc_visit, &s);
    for (int64_t i = 0; i < n_out; i++) out[i] = (float)acc[i];
    free(acc);
}

void gc_ref_conv2d(const float *x, const float *w, int n, int c, int h, int wd, int oc, int kh,
                   int kw, struct gc_ref_conv g, int oh, int ow, float *y)
{
    struct dims d = {n, c, h, wd, oc, kh, kw, oh, ow, g};
    run(&d, 0, x, w, (int64_t)n * oc * oh * ow, y);
}

void gc_ref_conv2d_vjp(const float *x, const float *w, const float *dy, int n, int c, int h,
                       int wd, int oc, int kh, int kw, struct gc_ref_conv g, int oh, int ow,
                       float *dx, float *dw)
{
    struct dims d = {n, c, h, wd, oc, kh, kw, oh, ow, g};
    if (dx) run(&d, 1, dy, w, (int64_t)n * c * h * wd, dx);
    if (dw) run(&d, 2, dy, x, (int64_t)oc * c * kh * kw, dw);
}

/* Transposed conv = the conv whose output is the transposed conv's input:
 * conv dims with C = OC_t, OC = IC_t, (H, W) = output, (OH, OW) = input.
 * The weight (IC, OC, KH, KW) is exactly conv's (OC_conv, C_conv, KH, KW). */
void gc_ref_conv_transpose2d(const float *x, const float *w, int n, int ic, int h, int wd, int oc,
                             int kh, int kw, struct gc_ref_conv g, int oh, int ow, float *y)
{
    struct dims d = {n, oc, oh, ow, ic, kh, kw, h, wd, g};
    run(&d, 1, x, w, (int64_t)n * oc * oh * ow, y);
}

void gc_ref_conv_transpose2d_vjp(const float *x, const float *w, const float *dy, int n, int ic,
                                 int h, int wd, int oc, int kh, int kw, struct gc_ref_conv g,
                                 int oh, int ow, float *dx, float *dw)
{
    struct dims d = {n, oc, oh, ow, ic, kh, kw, h, wd, g};
    if (dx) run(&d, 0, dy, w, (int64_t)n * ic * h * wd, dx);
    if (dw) run(&d, 2, x, dy, (int64_t)ic * oc * kh * kw, dw);
}
