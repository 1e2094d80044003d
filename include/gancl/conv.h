/* SPDX-License-Identifier: MIT */
/* The convolution family, PyTorch semantics: conv2d (Conv2d), its weight
 * gradient, and conv_transpose2d (ConvTranspose2d). Their backwards are
 * expressed in each other, so a critic's input gradient can be
 * differentiated again with respect to its weights (WGAN-GP, R1).
 * Bias is added separately (gc_bias_add). groups = 1. */
#ifndef GANCL_CONV_H
#define GANCL_CONV_H

#include "gancl/graph.h"

struct gc_conv_geom {
    int stride[2];     /* (h, w) */
    int pad[2];        /* zero padding (h, w) */
    int dilation[2];   /* (h, w); 0 is read as 1 */
    int out_pad[2];    /* conv_transpose2d only: output_padding (h, w) */
};

/* Square helper: stride s, padding p, dilation 1, no output padding. */
struct gc_conv_geom gc_conv_geom(int stride, int pad);

/* x: (N, C, H, W), w: (OC, C, KH, KW) -> (N, OC, OH, OW),
 * OH = (H + 2 pad - dil (KH - 1) - 1) / stride + 1 */
struct gc_tensor *gc_conv2d(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *w,
                            struct gc_conv_geom geom);
/* x: (N, IC, H, W), w: (IC, OC, KH, KW) -> (N, OC, OH, OW),
 * OH = (H - 1) stride - 2 pad + dil (KH - 1) + out_pad + 1 */
struct gc_tensor *gc_conv_transpose2d(struct gc_graph *g, struct gc_tensor *x,
                                      struct gc_tensor *w, struct gc_conv_geom geom);
/* The weight gradient of conv2d(x, w) given dy: (OC, C, KH, KW). */
struct gc_tensor *gc_conv2d_bwd_weight(struct gc_graph *g, struct gc_tensor *dy,
                                       struct gc_tensor *x, int kh, int kw,
                                       struct gc_conv_geom geom);

#endif
