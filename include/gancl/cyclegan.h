/* SPDX-License-Identifier: MIT */
/* CycleGAN (Zhu et al. 2017) as the reference implementation trains it:
 * two ResNet generators, two PatchGAN discriminators, LSGAN losses, cycle
 * and identity losses, image pools of 50, linear learning-rate decay. */
#ifndef GANCL_CYCLEGAN_H
#define GANCL_CYCLEGAN_H

#include <stdint.h>

#include "gancl/device.h"

struct gc_cyclegan_config {
    char model[32];
    int input_nc, output_nc;
    int size;            /* crop size: training images are size x size */
    int ngf, ndf;
    int n_blocks;        /* resnet_6blocks: 6, resnet_9blocks: 9 */
    int n_layers_D;      /* basic: 3 */
    float lr, beta1, beta2;
    float lambda_A, lambda_B, lambda_identity;
    int pool_size;
    int n_epochs, n_epochs_decay;
    uint64_t seed;
};

/* "cyclegan64", "cyclegan128" (workloads: ResNet-6, 3 channels) and
 * "cyclegan" (the reference defaults at 256 px, ResNet-9). */
gc_status gc_cyclegan_preset(const char *name, struct gc_cyclegan_config *cfg);

/* The losses of a step, named as the reference logs them. */
struct gc_cyclegan_losses {
    float D_A, G_A, cycle_A, idt_A, D_B, G_B, cycle_B, idt_B;
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
/* G_A(x) (a_to_b) or G_B(x): x, y (1, nc, size, size). */
gc_status gc_cyclegan_translate(struct gc_cyclegan *m, bool a_to_b, const float *x, float *y);

gc_status gc_cyclegan_save(struct gc_cyclegan *m, const char *path, int n_meta,
                           const char *const *keys, const char *const *values);
gc_status gc_cyclegan_load(struct gc_cyclegan *m, const char *path);
/* The networks' weights only (inference at another image size: optimizer
 * state and image pools are left alone). */
gc_status gc_cyclegan_load_weights(struct gc_cyclegan *m, const char *path);
gc_status gc_cyclegan_config_read(const char *path, struct gc_cyclegan_config *cfg);

#endif
