/* SPDX-License-Identifier: MIT */
/* Plain-C references of the convolution family (PyTorch Conv2d /
 * ConvTranspose2d semantics, groups 1), accumulating in double, written as
 * the defining sums over output positions — no im2col, nothing shared with
 * host/ops/conv.c. g: stride, pad, dilation (h, w); kernel size from w. */
#ifndef GANCL_TEST_CONV_REF_H
#define GANCL_TEST_CONV_REF_H

#include <stdint.h>

struct gc_ref_conv {
    int stride[2], pad[2], dil[2];
};

/* x (N, C, H, W), w (OC, C, KH, KW) -> y (N, OC, OH, OW) */
void gc_ref_conv2d(const float *x, const float *w, int n, int c, int h, int wd, int oc, int kh,
                   int kw, struct gc_ref_conv g, int oh, int ow, float *y);
/* VJP of sum(y * dy): dx (N, C, H, W), dw (OC, C, KH, KW); NULL skips. */
void gc_ref_conv2d_vjp(const float *x, const float *w, const float *dy, int n, int c, int h,
                       int wd, int oc, int kh, int kw, struct gc_ref_conv g, int oh, int ow,
                       float *dx, float *dw);
/* conv_transpose2d: x (N, IC, H, W), w (IC, OC, KH, KW) -> y (N, OC, OH, OW),
 * the adjoint of conv2d: y[b, o, iy*s - p + ky*d, ...] += x[b, i, iy, ix] w[i, o, ky, kx] */
void gc_ref_conv_transpose2d(const float *x, const float *w, int n, int ic, int h, int wd, int oc,
                             int kh, int kw, struct gc_ref_conv g, int oh, int ow, float *y);
void gc_ref_conv_transpose2d_vjp(const float *x, const float *w, const float *dy, int n, int ic,
                                 int h, int wd, int oc, int kh, int kw, struct gc_ref_conv g,
                                 int oh, int ow, float *dx, float *dw);

#endif
