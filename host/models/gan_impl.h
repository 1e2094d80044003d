/* SPDX-License-Identifier: MIT */
/* The GAN object, shared by its phases (gan.c) and its state I/O (gan_state.c). */
#ifndef GANCL_MODELS_GAN_IMPL_H
#define GANCL_MODELS_GAN_IMPL_H

#include "gancl/gan.h"
#include "models/dcgan.h"

#define SAMPLE_BATCH 64

struct gc_gan {
    struct gc_gan_config cfg;
    struct gc_device *dev;
    struct gc_graph *g;
    struct gc_dcgan_net G, D;
    struct gc_tensor *real, *d_loss, *g_loss, *fixed_out, *user_z, *user_out;
    struct gc_plan *d_plan, *g_plan, *fixed_plan, *user_plan;
    struct gc_optim *od, *og;
    float d_loss_h, g_loss_h;
};

#endif
