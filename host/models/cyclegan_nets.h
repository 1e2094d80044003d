/* SPDX-License-Identifier: MIT */
/* CycleGAN's networks as in the reference implementation
 * (pytorch-CycleGAN-and-pix2pix models/networks.py): ResnetGenerator
 * (resnet_6blocks / resnet_9blocks), UnetGenerator (unet_128 / unet_256),
 * NLayerDiscriminator (basic = 3 layers, n_layers) and PixelDiscriminator,
 * with instance norm (no affine), batch norm (affine, running statistics) or
 * none, the reference's bias rule (convolutions before a norm carry a bias
 * only with instance norm), and parameter names equal to the reference
 * state_dict names ("model.1.weight", "model.10.conv_block.1.weight",
 * "model.model.1.model.2.running_mean", "net.3.weight"), so its checkpoints
 * convert 1:1.
 *
 * A network is a flat list of layers replayed by gc_cg_forward; residual
 * and U-Net skip connections are "save" / "add saved" / "concat saved"
 * markers on a small stack. */
#ifndef GANCL_MODELS_CYCLEGAN_NETS_H
#define GANCL_MODELS_CYCLEGAN_NETS_H

#include "gancl/cyclegan.h"
#include "gancl/graph.h"

#define GC_CG_MAX_LAYERS 160

enum gc_cg_kind {
    GC_CG_CONV,     /* Conv2d / ConvTranspose2d (+ bias) */
    GC_CG_NORM,     /* InstanceNorm2d or BatchNorm2d */
    GC_CG_RELU,
    GC_CG_LRELU,    /* LeakyReLU(0.2) */
    GC_CG_TANH,
    GC_CG_REFLECT,  /* ReflectionPad2d(pad) */
    GC_CG_DROPOUT,  /* Dropout(0.5) */
    GC_CG_SAVE,     /* push x */
    GC_CG_ADD,      /* x = pop + x (ResnetBlock) */
    GC_CG_CAT,      /* x = cat([pop, x], 1) (UnetSkipConnectionBlock) */
};

struct gc_cg_layer {
    enum gc_cg_kind kind;
    int stride, pad, out_pad; /* conv; pad is also the reflection amount */
    bool transposed;
    struct gc_tensor *w, *b;  /* conv; b NULL without bias */
    struct gc_tensor *gamma, *beta, *running_mean, *running_var; /* batch norm */
};

struct gc_cg_net {
    struct gc_param_group *group;   /* trained parameters: netG_A ... */
    struct gc_param_group *buffers; /* batch-norm running statistics: netG_A.buffers */
    enum gc_cg_norm norm;
    int n_layers;
    struct gc_cg_layer layer[GC_CG_MAX_LAYERS];
};

/* The generator define_G(in_nc, out_nc, ngf, netG, norm, use_dropout) into
 * groups `name` and `name`.buffers. */
void gc_cg_generator_declare(struct gc_graph *g, const char *name,
                             const struct gc_cyclegan_config *cfg, int in_nc, int out_nc,
                             struct gc_cg_net *net);
/* The discriminator define_D(in_nc, ndf, netD, n_layers_D, norm). */
void gc_cg_discriminator_declare(struct gc_graph *g, const char *name,
                                 const struct gc_cyclegan_config *cfg, int in_nc,
                                 struct gc_cg_net *net);

/* How a forward pass treats batch norm and dropout (nn.Module.train/eval). */
enum gc_cg_mode {
    GC_CG_TRAIN, /* batch statistics, updating the running ones; dropout on */
    GC_CG_EVAL,  /* running statistics; no dropout */
};
/* x -> the network's output. Each call in train mode that holds dropout
 * needs its own `salt` (its own masks, as each reference forward draws). */
struct gc_tensor *gc_cg_forward(struct gc_graph *g, const struct gc_cg_net *net,
                                struct gc_tensor *x, enum gc_cg_mode mode, uint64_t salt);
/* The reference's init_weights(net, init_type, init_gain): conv weights
 * N(0, gain) (normal), xavier_normal (gain), kaiming_normal (fan_in, a = 0)
 * or orthogonal (gain), conv biases 0; batch-norm weights N(1, gain), biases
 * 0; running mean 0, variance 1. Philox streams derived from seed. */
gc_status gc_cg_init(const struct gc_cg_net *net, enum gc_cg_init type, float gain,
                     uint64_t seed);
/* The side a network's input must be a multiple of (U-Net: 2^downs). */
int gc_cg_size_multiple(const struct gc_cyclegan_config *cfg);

#endif
