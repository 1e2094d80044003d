/* SPDX-License-Identifier: MIT */
/* Layer ops of the GAN workloads other than convolution: 2-D padding (zero,
 * reflection, replicate), normalisation (batch, instance, layer), nearest
 * upsampling and its adjoint sum pooling, and dropout. PyTorch semantics
 * throughout; every builder's gradient is made of ordinary ops, so each can
 * be differentiated again (WGAN-GP with a layer-normalised critic).
 *
 * Builders follow graph.h: NULL and a sticky graph error on bad arguments.
 * All image ops take x: (N, C, H, W). */
#ifndef GANCL_NN_OPS_H
#define GANCL_NN_OPS_H

#include "gancl/graph.h"

/* ---- padding (host/ops/pad.c) ------------------------------------------- */
enum gc_pad_mode {
    GC_PAD_ZERO,      /* nn.ZeroPad2d / F.pad(mode="constant", value=0) */
    GC_PAD_REFLECT,   /* nn.ReflectionPad2d: mirror without repeating the edge;
                       * each amount must be < the padded dimension */
    GC_PAD_REPLICATE, /* nn.ReplicationPad2d: repeat the edge */
};

/* x: (N, C, H, W) -> (N, C, top + H + bottom, left + W + right). Amounts in
 * F.pad's order (left, right, top, bottom), each >= 0. */
struct gc_tensor *gc_pad2d(struct gc_graph *g, struct gc_tensor *x, enum gc_pad_mode mode, int left,
                           int right, int top, int bottom);
/* The adjoint of gc_pad2d with the same arguments (its gradient): dy: (N, C,
 * OH, OW) -> (N, C, OH - top - bottom, OW - left - right), every input
 * position gathering the padded positions that copied it. Its own gradient
 * is gc_pad2d. */
struct gc_tensor *gc_pad2d_backward(struct gc_graph *g, struct gc_tensor *dy, enum gc_pad_mode mode,
                                    int left, int right, int top, int bottom);

/* ---- resampling (host/ops/pad.c) ---------------------------------------- */
/* nn.Upsample(scale_factor=s, mode="nearest"): (N, C, H, W) -> (N, C, sH, sW). */
struct gc_tensor *gc_upsample_nearest(struct gc_graph *g, struct gc_tensor *x, int scale);
/* Sum over non-overlapping k x k windows (the adjoint of upsampling):
 * (N, C, kH, kW) -> (N, C, H, W); H and W must be multiples of k. */
struct gc_tensor *gc_sum_pool(struct gc_graph *g, struct gc_tensor *x, int k);

/* ---- pooling and bilinear resizing (host/ops/pool.c) ---------------------- */
/* Square windows of k x k, stride s, padding p (1 <= k, s <= 64, 2p <= k);
 * output (H + 2p - k) / s + 1 per axis (PyTorch, ceil_mode=False).
 * F.max_pool2d(x, k, s, p): padding never wins; ties go to the first maximum
 * in row-major window order and NaN wins, as PyTorch's CPU kernel. Its
 * gradient routes dy to each window's argmax. */
struct gc_tensor *gc_max_pool2d(struct gc_graph *g, struct gc_tensor *x, int k, int stride,
                                int pad);
/* The op max_pool2d is made of: v (shape of x) read at the argmax of x's
 * windows, so gc_max_pool2d(x) = gc_max_pool2d_select(x, x). Differentiable
 * in v; x only selects (zero gradient). */
struct gc_tensor *gc_max_pool2d_select(struct gc_graph *g, struct gc_tensor *v,
                                       struct gc_tensor *x, int k, int stride, int pad);
/* Its adjoint in v: dy (pooled size) added at each window's argmax of x,
 * (N, C, H, W) like x. Its own gradient in dy is gc_max_pool2d_select. */
struct gc_tensor *gc_max_pool2d_backward(struct gc_graph *g, struct gc_tensor *dy,
                                         struct gc_tensor *x, int k, int stride, int pad);
/* F.avg_pool2d(x, k, s, p, count_include_pad=...): with false the divisor is
 * the number of input elements in the window (pytorch-fid's Inception), with
 * true the window clipped to the padded input (PyTorch's default). */
struct gc_tensor *gc_avg_pool2d(struct gc_graph *g, struct gc_tensor *x, int k, int stride, int pad,
                                bool count_include_pad);
/* The adjoint (gradient) of gc_avg_pool2d on an (h, w) input: dy (pooled
 * size) -> (N, C, h, w). Its own gradient is gc_avg_pool2d. */
struct gc_tensor *gc_avg_pool2d_backward(struct gc_graph *g, struct gc_tensor *dy, int h, int w,
                                         int k, int stride, int pad, bool count_include_pad);
/* F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False,
 * antialias=False): (N, C, H, W) -> (N, C, oh, ow), any sizes (up or down),
 * source coordinates in float as PyTorch's CPU kernel computes them. */
struct gc_tensor *gc_resize_bilinear(struct gc_graph *g, struct gc_tensor *x, int oh, int ow);
/* The adjoint (gradient) of gc_resize_bilinear back to (h, w): dy (N, C, OH,
 * OW) -> (N, C, h, w), the transposed interpolation weights. Its own gradient
 * is gc_resize_bilinear. */
struct gc_tensor *gc_resize_bilinear_backward(struct gc_graph *g, struct gc_tensor *dy, int h,
                                              int w);

/* ---- normalisation (host/ops/norm.c) ------------------------------------- */
/* Which elements share one mean/variance. */
enum gc_norm_kind {
    GC_NORM_BATCH,    /* over (N, H, W), one group per channel */
    GC_NORM_INSTANCE, /* over (H, W), one group per (sample, channel) */
    GC_NORM_LAYER,    /* over (C, H, W), one group per sample */
};

/* nn.BatchNorm2d in training mode: batch mean and biased batch variance.
 * gamma, beta: (C) or NULL (affine=False). running_mean, running_var: (C)
 * parameters (gc_param) or both NULL (track_running_stats=False). When
 * given, every run of a plan that computes the result also updates them in
 * place: r = (1 - momentum) r + momentum * batch value, with the UNBIASED
 * batch variance for running_var (PyTorch). Keep them in a group of their
 * own (e.g. "netG.buffers") that no optimizer steps; gc_param_group_read /
 * write then checkpoint them. PyTorch defaults: momentum 0.1, eps 1e-5.
 * Needs N*H*W >= 2. */
struct gc_tensor *gc_batch_norm(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *gamma,
                                struct gc_tensor *beta, struct gc_tensor *running_mean,
                                struct gc_tensor *running_var, float momentum, float eps);
/* nn.BatchNorm2d in eval mode: (x - running_mean) / sqrt(running_var + eps)
 * * gamma + beta (running stats read, never written). */
struct gc_tensor *gc_batch_norm_eval(struct gc_graph *g, struct gc_tensor *x,
                                     struct gc_tensor *gamma, struct gc_tensor *beta,
                                     struct gc_tensor *running_mean, struct gc_tensor *running_var,
                                     float eps);
/* nn.InstanceNorm2d (track_running_stats=False): gamma, beta (C) or NULL
 * (the default, affine=False). */
struct gc_tensor *gc_instance_norm(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *gamma,
                                   struct gc_tensor *beta, float eps);
/* nn.LayerNorm([C, H, W]): gamma, beta (C, H, W) (elementwise affine) or
 * NULL. */
struct gc_tensor *gc_layer_norm(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *gamma,
                                struct gc_tensor *beta, float eps);

/* The two fused kernels the norms are made of (exposed for tests and for
 * layers with other layouts).
 * gc_norm_stats: x (N, C, H, W) -> stats (SN, 2 SC, 1, 1) where (SN, SC) is
 * (1, C) for BATCH, (N, C) for INSTANCE, (N, 1) for LAYER: channel j < SC of
 * stats holds the group mean, channel SC + j its 1/sqrt(biased var + eps).
 * gc_norm_apply: (x - mean) * rstd * gamma + beta with stats broadcast over
 * each group; gamma/beta NULL or (C) for BATCH/INSTANCE, (C, H, W) for
 * LAYER. */
struct gc_tensor *gc_norm_stats(struct gc_graph *g, struct gc_tensor *x, enum gc_norm_kind kind,
                                float eps);
struct gc_tensor *gc_norm_apply(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *stats,
                                enum gc_norm_kind kind, struct gc_tensor *gamma,
                                struct gc_tensor *beta);

/* ---- dropout (host/ops/dropout.c) ---------------------------------------- */
/* nn.Dropout(p) in training mode: each element kept with probability 1 - p
 * and scaled by 1 / (1 - p), zeroed otherwise (p = 1: all zero). The mask is
 * a gc_rand_uniform draw (kept where u >= p), so it is reproducible: the
 * same seed and plan run counter give the same mask on every device; the
 * gradient reuses the very same draw. In eval mode use x itself. p = 0
 * returns x. */
struct gc_tensor *gc_dropout(struct gc_graph *g, struct gc_tensor *x, float p, uint64_t seed);

#endif
