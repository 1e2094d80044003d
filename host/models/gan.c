/* SPDX-License-Identifier: MIT */
/* DCGAN / WGAN / WGAN-GP training phases as replayed plans over one graph:
 * the critic phase (real batch in, fresh latents drawn on the device), the
 * generator phase, and two sampling plans (fixed latents, caller's latents). */
#include "gancl/gan.h"

#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "graph/graph_impl.h"
#include "models/dcgan.h"

#include "models/gan_impl.h"

static const struct {
    const char *name;
    struct gc_gan_config cfg;
} presets[] = {
    {"dcgan32", {.loss = GC_GAN_BCE, .image_size = 32, .channels = 1, .nz = 100, .ngf = 64,
                 .ndf = 64, .batch = 64, .n_critic = 1, .critic_bn = true,
                 .optim = GC_OPTIM_ADAM, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f}},
    {"dcgan64", {.loss = GC_GAN_BCE, .image_size = 64, .channels = 1, .nz = 100, .ngf = 64,
                 .ndf = 64, .batch = 64, .n_critic = 1, .critic_bn = true,
                 .optim = GC_OPTIM_ADAM, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f}},
    {"wgan32", {.loss = GC_GAN_WGAN_CLIP, .image_size = 32, .channels = 1, .nz = 100, .ngf = 64,
                .ndf = 64, .batch = 64, .n_critic = 5, .optim = GC_OPTIM_RMSPROP, .lr = 5e-5f,
                .clip = 0.01f}},
    {"wgangp32", {.loss = GC_GAN_WGAN_GP, .image_size = 32, .channels = 1, .nz = 100, .ngf = 64,
                  .ndf = 64, .batch = 64, .n_critic = 5, .optim = GC_OPTIM_ADAM, .lr = 1e-4f,
                  .beta1 = 0.0f, .beta2 = 0.9f, .gp_lambda = 10.0f}},
};
#define N_PRESETS (int)(sizeof presets / sizeof presets[0])

const char *gc_gan_preset_names(void)
{
    return "dcgan32, dcgan64, wgan32, wgangp32";
}

gc_status gc_gan_preset(const char *name, struct gc_gan_config *cfg)
{
    for (int i = 0; i < N_PRESETS; i++)
        if (strcmp(presets[i].name, name) == 0) {
            *cfg = presets[i].cfg;
            snprintf(cfg->model, sizeof cfg->model, "%s", name);
            return GC_OK;
        }
    return gc_error(GC_NOT_FOUND, "unknown model '%s' (presets: %s)", name,
                    gc_gan_preset_names());
}

static int64_t img_shape(const struct gc_gan_config *c, int64_t n, int64_t *s)
{
    s[0] = n;
    s[1] = c->channels;
    s[2] = s[3] = c->image_size;
    return n * c->channels * c->image_size * c->image_size;
}

static struct gc_tensor *latents(struct gc_gan *m, uint64_t salt, int64_t n)
{
    int64_t zs[4] = {n, m->cfg.nz, 1, 1};
    return gc_rand_normal(m->g, m->cfg.seed * 7919u + salt, 4, zs);
}

/* lambda * mean((||grad_xhat D(xhat)||_2 - 1)^2), xhat = fake + eps (real - fake) */
static struct gc_tensor *gradient_penalty(struct gc_gan *m, struct gc_tensor *real,
                                          struct gc_tensor *fake)
{
    struct gc_graph *g = m->g;
    int64_t es[4] = {m->cfg.batch, 1, 1, 1};
    struct gc_tensor *eps = gc_rand_uniform(g, m->cfg.seed * 7919u + 3, 4, es);
    struct gc_tensor *xhat = gc_add(g, fake, gc_mul(g, eps, gc_sub(g, real, fake))), *gx;
    if (gc_grad(g, gc_sum(g, gc_dcgan_forward(g, &m->D, xhat, GC_BN_TRAIN)), 1, &xhat, &gx) != GC_OK)
        return NULL;
    struct gc_tensor *norm = gc_sqrt(g, gc_sum_to(g, gc_square(g, gx), 4, es));
    return gc_scale(g, gc_mean(g, gc_square(g, gc_scale(g, norm, 1.0f, -1.0f))),
                    m->cfg.gp_lambda, 0.0f);
}

static void build_losses(struct gc_gan *m)
{
    struct gc_graph *g = m->g;
    int64_t rs[4];
    img_shape(&m->cfg, m->cfg.batch, rs);
    m->real = gc_input(g, "real", 4, rs);
    struct gc_tensor *fake = gc_detach(g, gc_dcgan_forward(g, &m->G, latents(m, 1, rs[0]), GC_BN_TRAIN));
    struct gc_tensor *d_real = gc_dcgan_forward(g, &m->D, m->real, GC_BN_TRAIN);
    struct gc_tensor *d_fake = gc_dcgan_forward(g, &m->D, fake, GC_BN_TRAIN);
    struct gc_tensor *fake2 = gc_dcgan_forward(g, &m->G, latents(m, 2, rs[0]), GC_BN_TRAIN);
    struct gc_tensor *d_g = gc_dcgan_forward(g, &m->D, fake2, GC_BN_TRAIN);
    if (m->cfg.loss == GC_GAN_BCE) {
        m->d_loss = gc_add(g, gc_bce_with_logits_const(g, d_real, 1.0f),
                           gc_bce_with_logits_const(g, d_fake, 0.0f));
        m->g_loss = gc_bce_with_logits_const(g, d_g, 1.0f); /* non-saturating */
        return;
    }
    m->d_loss = gc_sub(g, gc_mean(g, d_fake), gc_mean(g, d_real));
    if (m->cfg.loss == GC_GAN_WGAN_GP)
        m->d_loss = gc_add(g, m->d_loss, gradient_penalty(m, m->real, fake));
    m->g_loss = gc_scale(g, gc_mean(g, d_g), -1.0f, 0.0f);
}

/* Binds d loss / d params into the group's gradient slots; returns the plan
 * computing the loss and those gradients. */
static gc_status phase_plan(struct gc_gan *m, struct gc_tensor *loss, struct gc_param_group *grp,
                            struct gc_plan **out)
{
    int n = gc_param_group_count(grp);
    struct gc_tensor **wrt = gc_calloc((size_t)n, sizeof *wrt);
    struct gc_tensor **outs = gc_calloc((size_t)n + 1, sizeof *outs);
    gc_status s = wrt && outs ? GC_OK : gc_error(GC_NOMEM, "planning: out of host memory");
    for (int i = 0; i < n && s == GC_OK; i++) wrt[i] = gc_param_group_at(grp, i);
    if (s == GC_OK) s = gc_grad(m->g, loss, n, wrt, outs + 1);
    for (int i = 0; i < n && s == GC_OK; i++) {
        s = gc_param_bind_grad(wrt[i], outs[1 + i]);
        outs[1 + i] = gc_param_grad(wrt[i]);
    }
    outs[0] = loss;
    if (s == GC_OK) s = gc_plan_create(m->g, n + 1, outs, out);
    gc_free(wrt);
    gc_free(outs);
    return s;
}

static gc_status sample_plans(struct gc_gan *m)
{
    struct gc_graph *g = m->g;
    int64_t zs[4] = {SAMPLE_BATCH, m->cfg.nz, 1, 1};
    m->fixed_out = gc_dcgan_forward(g, &m->G, latents(m, 5, SAMPLE_BATCH), GC_BN_BATCH);
    m->user_z = gc_input(g, "z", 4, zs);
    m->user_out = gc_dcgan_forward(g, &m->G, m->user_z, GC_BN_EVAL);
    gc_status s = gc_graph_status(g);
    if (s == GC_OK) s = gc_plan_create(g, 1, &m->fixed_out, &m->fixed_plan);
    if (s == GC_OK) s = gc_plan_create(g, 1, &m->user_out, &m->user_plan);
    return s;
}

static gc_status optimizers(struct gc_gan *m)
{
    struct gc_optim_config oc = gc_optim_defaults(m->cfg.optim, m->cfg.lr);
    if (m->cfg.optim == GC_OPTIM_ADAM) {
        oc.beta1 = m->cfg.beta1;
        oc.beta2 = m->cfg.beta2;
    }
    gc_status s = gc_optim_create(m->D.group, &oc, &m->od);
    return s == GC_OK ? gc_optim_create(m->G.group, &oc, &m->og) : s;
}

static gc_status build(struct gc_gan *m)
{
    gc_status s = gc_graph_create(m->dev, &m->g);
    if (s != GC_OK) return s;
    gc_dcgan_declare(m->g, &m->cfg, true, &m->G);
    gc_dcgan_declare(m->g, &m->cfg, false, &m->D);
    build_losses(m);
    s = gc_graph_status(m->g);
    if (s == GC_OK) s = gc_param_group_alloc(m->G.group);
    if (s == GC_OK) s = gc_param_group_alloc(m->D.group);
    if (s == GC_OK) s = gc_param_group_alloc(m->G.buffers);
    if (s == GC_OK) s = gc_param_group_alloc(m->D.buffers);
    if (s == GC_OK) s = phase_plan(m, m->d_loss, m->D.group, &m->d_plan);
    if (s == GC_OK) s = phase_plan(m, m->g_loss, m->G.group, &m->g_plan);
    if (s == GC_OK) s = sample_plans(m);
    if (s == GC_OK) s = gc_dcgan_init(&m->G, m->cfg.seed);
    if (s == GC_OK) s = gc_dcgan_init(&m->D, m->cfg.seed);
    if (s == GC_OK) s = optimizers(m);
    return s;
}

gc_status gc_gan_create(struct gc_device *dev, const struct gc_gan_config *cfg,
                        struct gc_gan **out)
{
    if (cfg->image_size != 32 && cfg->image_size != 64)
        return gc_error(GC_INVALID_ARG, "image size %d: the DCGAN family supports 32 and 64",
                        cfg->image_size);
    if (cfg->batch < 1 || cfg->nz < 1 || cfg->ngf < 1 || cfg->ndf < 1 || cfg->channels < 1)
        return gc_error(GC_INVALID_ARG, "batch, nz, ngf, ndf and channels must be positive");
    struct gc_gan *m = gc_calloc(1, sizeof *m);
    if (!m) return gc_error(GC_NOMEM, "model: out of host memory");
    m->cfg = *cfg;
    m->dev = dev;
    gc_status s = build(m);
    if (s != GC_OK) {
        gc_gan_destroy(m);
        return gc_error_context(s, "building %s", cfg->model);
    }
    *out = m;
    return GC_OK;
}

void gc_gan_destroy(struct gc_gan *m)
{
    if (!m) return;
    gc_optim_destroy(m->od);
    gc_optim_destroy(m->og);
    gc_plan_destroy(m->d_plan);
    gc_plan_destroy(m->g_plan);
    gc_plan_destroy(m->fixed_plan);
    gc_plan_destroy(m->user_plan);
    gc_graph_destroy(m->g);
    gc_free(m);
}

const struct gc_gan_config *gc_gan_get_config(const struct gc_gan *m)
{
    return &m->cfg;
}

void gc_gan_phase_plans(const struct gc_gan *m, struct gc_plan **d_plan, struct gc_plan **g_plan)
{
    *d_plan = m->d_plan;
    *g_plan = m->g_plan;
}

void gc_gan_memory(const struct gc_gan *m, struct gc_gan_memory *out)
{
    struct gc_plan *plans[4] = {m->d_plan, m->g_plan, m->fixed_plan, m->user_plan};
    memset(out, 0, sizeof *out);
    int64_t params = (gc_param_group_numel(m->G.group) + gc_param_group_numel(m->D.group)) * 4;
    out->param_bytes = params;
    out->grad_bytes = params;
    out->moment_bytes = params * (m->cfg.optim == GC_OPTIM_SGD ? 1 : 2);
    for (int i = 0; i < 4; i++) {
        struct gc_plan_stats st;
        gc_plan_get_stats(plans[i], &st);
        out->arena_bytes += st.arena_bytes;
    }
}

gc_status gc_gan_d_step(struct gc_gan *m, const float *real)
{
    gc_status s = gc_plan_write(m->d_plan, m->real, real);
    if (s == GC_OK) s = gc_plan_run(m->d_plan);
    if (s == GC_OK) s = gc_optim_step(m->od);
    if (s == GC_OK && m->cfg.loss == GC_GAN_WGAN_CLIP)
        s = gc_param_group_clip(m->D.group, m->cfg.clip);
    if (s == GC_OK) s = gc_plan_read_async(m->d_plan, m->d_loss, &m->d_loss_h);
    return s;
}

gc_status gc_gan_g_step(struct gc_gan *m)
{
    gc_status s = gc_plan_run(m->g_plan);
    if (s == GC_OK) s = gc_optim_step(m->og);
    if (s == GC_OK) s = gc_plan_read_async(m->g_plan, m->g_loss, &m->g_loss_h);
    return s;
}

gc_status gc_gan_losses(struct gc_gan *m, float *d_loss, float *g_loss)
{
    gc_status s = gc_device_finish(m->dev);
    *d_loss = m->d_loss_h;
    *g_loss = m->g_loss_h;
    return s;
}

gc_status gc_gan_sample_fixed(struct gc_gan *m, float *out)
{
    gc_plan_set_rng_counter(m->fixed_plan, 0); /* the same latents every time */
    gc_status s = gc_plan_run(m->fixed_plan);
    return s == GC_OK ? gc_plan_read(m->fixed_plan, m->fixed_out, out) : s;
}

gc_status gc_gan_sample(struct gc_gan *m, const float *z, int n, float *out)
{
    int64_t per = img_shape(&m->cfg, 1, (int64_t[4]){0});
    float *zb = gc_calloc((size_t)SAMPLE_BATCH * (size_t)m->cfg.nz, sizeof *zb);
    float *ob = gc_malloc(sizeof(float) * (size_t)(SAMPLE_BATCH * per));
    gc_status s = zb && ob ? GC_OK : gc_error(GC_NOMEM, "sampling: out of host memory");
    for (int done = 0; done < n && s == GC_OK; done += SAMPLE_BATCH) {
        int k = n - done < SAMPLE_BATCH ? n - done : SAMPLE_BATCH;
        memcpy(zb, z + (size_t)done * (size_t)m->cfg.nz, sizeof(float) * (size_t)k * (size_t)m->cfg.nz);
        s = gc_plan_write(m->user_plan, m->user_z, zb);
        if (s == GC_OK) s = gc_plan_run(m->user_plan);
        if (s == GC_OK) s = gc_plan_read(m->user_plan, m->user_out, ob);
        if (s == GC_OK) memcpy(out + (size_t)done * (size_t)per, ob, sizeof(float) * (size_t)(k * per));
    }
    gc_free(zb);
    gc_free(ob);
    return s;
}
