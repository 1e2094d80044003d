/* SPDX-License-Identifier: MIT */
/* CycleGAN (Zhu et al. 2017) as the reference implementation
 * (pytorch-CycleGAN-and-pix2pix) trains it: two generators (ResNet or U-Net),
 * two discriminators (PatchGAN or per-pixel), LSGAN / vanilla / WGAN-GP
 * losses, cycle and identity losses, image pools of 50, linear learning-rate
 * decay. */
#ifndef GANCL_CYCLEGAN_H
#define GANCL_CYCLEGAN_H

#include <stdint.h>

#include "gancl/device.h"

/* The reference's --netG, --netD, --norm, --gan_mode and --init_type; the
 * first value of each is the reference's CycleGAN default (resnet_9blocks is
 * the reference's --netG default; the presets pick their own). */
enum gc_cg_netg { GC_CG_RESNET_6BLOCKS, GC_CG_RESNET_9BLOCKS, GC_CG_UNET_128, GC_CG_UNET_256 };
enum gc_cg_netd { GC_CG_D_BASIC, GC_CG_D_N_LAYERS, GC_CG_D_PIXEL };
enum gc_cg_norm { GC_CG_NORM_INSTANCE, GC_CG_NORM_BATCH, GC_CG_NORM_NONE };
enum gc_cg_gan_mode { GC_CG_LSGAN, GC_CG_VANILLA, GC_CG_WGANGP };
enum gc_cg_init { GC_CG_INIT_NORMAL, GC_CG_INIT_XAVIER, GC_CG_INIT_KAIMING, GC_CG_INIT_ORTHOGONAL };

/* Names of those values as the reference spells them: option is "netG",
 * "netD", "norm", "gan_mode" or "init_type". parse returns -1 for an unknown
 * value; values gives "a|b|c" for help texts. */
int gc_cyclegan_option_parse(const char *option, const char *value);
const char *gc_cyclegan_option_name(const char *option, int value);
const char *gc_cyclegan_option_values(const char *option);

struct gc_cyclegan_config {
    char model[32];
    int input_nc, output_nc;
    int size;            /* crop size: training images are size x size */
    int ngf, ndf;
    enum gc_cg_netg netG;
    enum gc_cg_netd netD;
    int n_layers_D;      /* netD n_layers only (basic is 3) */
    enum gc_cg_norm norm; /* G and D */
    enum gc_cg_gan_mode gan_mode;
    float lambda_gp;     /* wgangp: the penalty's weight (10) */
    enum gc_cg_init init_type;
    float init_gain;     /* 0.02 */
    bool use_dropout;    /* generator dropout(0.5); the reference CycleGAN's --no_dropout default */
    float lr, beta1, beta2;
    float lambda_A, lambda_B, lambda_identity;
    int pool_size;
    int n_epochs, n_epochs_decay;
    uint64_t seed;
};

/* "cyclegan64", "cyclegan128" (workloads: ResNet-6, 3 channels) and
 * "cyclegan" (the reference defaults at 256 px, ResNet-9). */
gc_status gc_cyclegan_preset(const char *name, struct gc_cyclegan_config *cfg);

/* The losses of a step, named as the reference logs them; D_A and D_B
 * include the gradient penalties gp_A and gp_B (wgangp; 0 otherwise). */
struct gc_cyclegan_losses {
    float D_A, G_A, cycle_A, idt_A, D_B, G_B, cycle_B, idt_B, gp_A, gp_B;
};

struct gc_cyclegan;
gc_status gc_cyclegan_create(struct gc_device *dev, const struct gc_cyclegan_config *cfg,
                             struct gc_cyclegan **out);
void gc_cyclegan_destroy(struct gc_cyclegan *m);
int64_t gc_cyclegan_device_bytes(const struct gc_cyclegan *m);
/* The plans one training step runs, in order: both generators, D_A, D_B
 * (owned by m; for gc_plan_flops and gc_plan_profile). */
struct gc_plan;
void gc_cyclegan_step_plans(const struct gc_cyclegan *m, struct gc_plan *out[3]);
/* One training step on a pair (1, nc, size, size) each, in [-1, 1]. */
gc_status gc_cyclegan_step(struct gc_cyclegan *m, const float *real_a, const float *real_b);
gc_status gc_cyclegan_losses(struct gc_cyclegan *m, struct gc_cyclegan_losses *out);
/* Learning rate for `epoch` (0-based): constant for n_epochs, then linear
 * decay to 0 over n_epochs_decay (the reference's 'linear' policy). */
float gc_cyclegan_lr(const struct gc_cyclegan_config *cfg, int epoch);
void gc_cyclegan_set_lr(struct gc_cyclegan *m, float lr);
/* G_A(x) (a_to_b) or G_B(x): x, y (1, nc, size, size). Inference as the
 * reference's eval mode: batch norm uses the running statistics, no dropout. */
gc_status gc_cyclegan_translate(struct gc_cyclegan *m, bool a_to_b, const float *x, float *y);

gc_status gc_cyclegan_save(struct gc_cyclegan *m, const char *path, int n_meta,
                           const char *const *keys, const char *const *values);
gc_status gc_cyclegan_load(struct gc_cyclegan *m, const char *path);
/* The networks' weights only (inference at another image size: optimizer
 * state and image pools are left alone). */
gc_status gc_cyclegan_load_weights(struct gc_cyclegan *m, const char *path);
/* One generator's weights (and batch-norm statistics): netG_A (a_to_b) or
 * netG_B; enough for gc_cyclegan_translate in that direction, and all that a
 * checkpoint converted from one reference generator holds. */
gc_status gc_cyclegan_load_generator(struct gc_cyclegan *m, const char *path, bool a_to_b);
gc_status gc_cyclegan_config_read(const char *path, struct gc_cyclegan_config *cfg);

#endif
