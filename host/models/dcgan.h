/* SPDX-License-Identifier: MIT */
/* DCGAN-family networks: parameters declared once, forward built as often as
 * a phase needs it (D on real, on fake, on interpolates...). */
#ifndef GANCL_MODELS_DCGAN_H
#define GANCL_MODELS_DCGAN_H

#include "gancl/gan.h"
#include "gancl/graph.h"

#define GC_DCGAN_MAX_LAYERS 6

enum gc_dcgan_norm { GC_DCGAN_NORM_NONE, GC_DCGAN_NORM_BATCH, GC_DCGAN_NORM_LAYER };

struct gc_dcgan_layer {
    struct gc_tensor *w, *b;         /* conv (or transposed conv) and its bias */
    int stride, pad;
    enum gc_dcgan_norm norm;
    struct gc_tensor *gamma, *beta;  /* norm affine */
    struct gc_tensor *running_mean, *running_var; /* batch norm, in the buffers group */
};

struct gc_dcgan_net {
    struct gc_param_group *group;   /* trained parameters: netG / netD */
    struct gc_param_group *buffers; /* batch-norm running statistics: netG.buffers */
    bool generator;
    int n_layers;
    struct gc_dcgan_layer layer[GC_DCGAN_MAX_LAYERS];
};

/* Declares the parameters of G (generator) or D into group netG / netD. */
void gc_dcgan_declare(struct gc_graph *g, const struct gc_gan_config *cfg, bool generator,
                      struct gc_dcgan_net *net);
/* How batch norm behaves in a forward pass. */
enum gc_bn_mode {
    GC_BN_TRAIN,  /* batch statistics; each plan run updates the running ones */
    GC_BN_BATCH,  /* batch statistics, running ones untouched (progress grids,
                     as PyTorch's DCGAN example samples in train mode) */
    GC_BN_EVAL    /* running statistics: each sample independent of its batch */
};

/* G: z (N, nz, 1, 1) -> images (N, c, s, s) in [-1, 1];
 * D: images -> logits / critic scores (N, 1, 1, 1). */
struct gc_tensor *gc_dcgan_forward(struct gc_graph *g, const struct gc_dcgan_net *net,
                                   struct gc_tensor *x, enum gc_bn_mode bn);
/* Initialisation of the reference DCGAN: conv weights N(0, 0.02), norm
 * scales N(1, 0.02), biases 0; Philox streams derived from seed. */
gc_status gc_dcgan_init(const struct gc_dcgan_net *net, uint64_t seed);

#endif
