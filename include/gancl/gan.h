/* SPDX-License-Identifier: MIT */
/* Image GANs of the DCGAN family (dcgan, wgan with clipping, wgan-gp): the
 * networks, their training phases as replayed plans, optimizers, sampling and
 * the full training state for checkpoints. Presets follow
 * shared/spec/workloads.md (dcgan32, wgan32, wgangp32). */
#ifndef GANCL_GAN_H
#define GANCL_GAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gancl/device.h"
#include "gancl/optim.h"

enum gc_gan_loss {
    GC_GAN_BCE,       /* DCGAN: BCE with logits, non-saturating G loss */
    GC_GAN_WGAN_CLIP, /* WGAN: critic weights clipped after each update */
    GC_GAN_WGAN_GP    /* WGAN-GP: gradient penalty by double backprop */
};

struct gc_gan_config {
    char model[32];    /* preset it came from */
    enum gc_gan_loss loss;
    int image_size;    /* 32 or 64 */
    int channels;      /* 1 (Fashion-MNIST) or 3 */
    int nz, ngf, ndf;  /* latent size, generator/critic widths */
    int batch;
    int n_critic;      /* critic updates per generator update */
    bool critic_bn;    /* batch norm in the critic (DCGAN yes, WGAN-GP no) */
    bool critic_ln;    /* layer norm in the critic (WGAN-GP option) */
    enum gc_optim_kind optim;
    float lr, beta1, beta2;
    float gp_lambda;   /* WGAN-GP */
    float clip;        /* WGAN */
    uint64_t seed;
};

/* Fills cfg with a preset: "dcgan32", "dcgan64", "wgan32", "wgangp32".
 * GC_NOT_FOUND for an unknown name (the message lists the presets). */
gc_status gc_gan_preset(const char *name, struct gc_gan_config *cfg);
/* "dcgan32, dcgan64, wgan32, wgangp32" */
const char *gc_gan_preset_names(void);

struct gc_gan;
struct gc_gan_memory {
    int64_t param_bytes, grad_bytes, moment_bytes, arena_bytes;
};

/* Builds both networks and the plans of each phase, allocates and
 * initialises parameters (N(0, 0.02), norm scales N(1, 0.02), biases 0). */
gc_status gc_gan_create(struct gc_device *dev, const struct gc_gan_config *cfg,
                        struct gc_gan **out);
void gc_gan_destroy(struct gc_gan *m);
const struct gc_gan_config *gc_gan_get_config(const struct gc_gan *m);
void gc_gan_memory(const struct gc_gan *m, struct gc_gan_memory *out);
/* The plans of one critic update and one generator update (owned by m), for
 * flop counts (gc_plan_flops) and per-op profiles (gc_plan_profile). */
struct gc_plan;
void gc_gan_phase_plans(const struct gc_gan *m, struct gc_plan **d_plan, struct gc_plan **g_plan);

/* One critic update on a real batch (batch, channels, size, size) in [-1, 1];
 * fresh latents are drawn on the device. */
gc_status gc_gan_d_step(struct gc_gan *m, const float *real);
/* One generator update on fresh latents. */
gc_status gc_gan_g_step(struct gc_gan *m);
/* Losses of the latest steps (waits for the device). */
gc_status gc_gan_losses(struct gc_gan *m, float *d_loss, float *g_loss);
/* 64 samples from fixed latents: out holds 64 * channels * size * size. */
gc_status gc_gan_sample_fixed(struct gc_gan *m, float *out);
/* n samples from latents z (n, nz) given by the caller; batch norm in eval
 * mode (running statistics), so each sample depends only on its latent. */
gc_status gc_gan_sample(struct gc_gan *m, const float *z, int n, float *out);

/* Training state for checkpoints: every parameter group, its optimizer
 * moments and step count, and each plan's random-stream counter. */
gc_status gc_gan_save(struct gc_gan *m, const char *path, int n_meta, const char *const *keys,
                      const char *const *values);
/* Restores a state written by gc_gan_save for the same configuration. */
gc_status gc_gan_load(struct gc_gan *m, const char *path);
/* The configuration stored in a checkpoint (no architecture flags needed). */
gc_status gc_gan_config_read(const char *path, struct gc_gan_config *cfg);
/* A caller's metadata value from a checkpoint, copied into buf ("" if absent). */
gc_status gc_gan_meta_read(const char *path, const char *key, char *buf, size_t size);

#endif
