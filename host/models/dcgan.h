/* SPDX-License-Identifier: MIT */
/* DCGAN-family networks: parameters declared once, forward built as often as
 * a phase needs it (D on real, on fake, on interpolates...). */
#ifndef GANCL_MODELS_DCGAN_H
#define GANCL_MODELS_DCGAN_H

#include "gancl/gan.h"
#include "gancl/graph.h"

#define GC_DCGAN_MAX_LAYERS 6

enum gc_dcgan_norm { GC_NORM_NONE, GC_NORM_BATCH, GC_NORM_LAYER };

struct gc_dcgan_layer {
    struct gc_tensor *w, *b;         /* conv (or transposed conv) and its bias */
    int stride, pad;
    enum gc_dcgan_norm norm;
    struct gc_tensor *gamma, *beta;  /* norm affine */
};

struct gc_dcgan_net {
    struct gc_param_group *group;
    bool generator;
    int n_layers;
    struct gc_dcgan_layer layer[GC_DCGAN_MAX_LAYERS];
};

/* Declares the parameters of G (generator) or D into group netG / netD. */
void gc_dcgan_declare(struct gc_graph *g, const struct gc_gan_config *cfg, bool generator,
                      struct gc_dcgan_net *net);
/* G: z (N, nz, 1, 1) -> images (N, c, s, s) in [-1, 1];
 * D: images -> logits / critic scores (N, 1, 1, 1). */
struct gc_tensor *gc_dcgan_forward(struct gc_graph *g, const struct gc_dcgan_net *net,
                                   struct gc_tensor *x);
/* Initialisation of the reference DCGAN: conv weights N(0, 0.02), norm
 * scales N(1, 0.02), biases 0; Philox streams derived from seed. */
gc_status gc_dcgan_init(const struct gc_dcgan_net *net, uint64_t seed);

#endif
