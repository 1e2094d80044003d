/* SPDX-License-Identifier: MIT */
/* CycleGAN's networks as in the reference implementation
 * (pytorch-CycleGAN-and-pix2pix models/networks.py): ResnetGenerator
 * (resnet_6blocks / resnet_9blocks) and NLayerDiscriminator (basic = 3
 * layers), instance norm without affine parameters, reflection padding, and
 * parameter names equal to the reference state_dict names ("model.1.weight",
 * "model.10.conv_block.1.weight"), so its checkpoints convert 1:1. */
#ifndef GANCL_MODELS_CYCLEGAN_NETS_H
#define GANCL_MODELS_CYCLEGAN_NETS_H

#include "gancl/graph.h"

#define GC_CG_MAX_CONVS 40

struct gc_cg_conv {
    struct gc_tensor *w, *b;
    int stride, pad, out_pad;
    bool transposed;
};

struct gc_cg_net {
    struct gc_param_group *group;
    int n_convs;
    struct gc_cg_conv conv[GC_CG_MAX_CONVS];
    int n_blocks;  /* generator: residual blocks */
    int n_layers;  /* discriminator: strided layers */
    bool generator;
};

/* ResnetGenerator(input_nc, output_nc, ngf, n_blocks) into group `name`. */
void gc_cg_resnet_declare(struct gc_graph *g, const char *name, int in_nc, int out_nc, int ngf,
                          int n_blocks, struct gc_cg_net *net);
/* NLayerDiscriminator(input_nc, ndf, n_layers) into group `name`. */
void gc_cg_patch_declare(struct gc_graph *g, const char *name, int in_nc, int ndf, int n_layers,
                         struct gc_cg_net *net);
struct gc_tensor *gc_cg_forward(struct gc_graph *g, const struct gc_cg_net *net,
                                struct gc_tensor *x);
/* init_type normal, gain 0.02 (the reference default): conv weights
 * N(0, 0.02), biases 0. */
gc_status gc_cg_init(const struct gc_cg_net *net, uint64_t seed);

#endif
