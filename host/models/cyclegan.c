/* SPDX-License-Identifier: MIT */
/* CycleGAN training phases as replayed plans: the generators' update (both
 * generators, adversarial + cycle + identity losses), then each
 * discriminator on a real image and a fake drawn from its image pool. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "models/cyclegan_impl.h"

#define CG_DEFAULTS                                                                                \
    .ngf = 64, .ndf = 64, .netD = GC_CG_D_BASIC, .n_layers_D = 3, .norm = GC_CG_NORM_INSTANCE,    \
    .gan_mode = GC_CG_LSGAN, .lambda_gp = 10, .init_type = GC_CG_INIT_NORMAL, .init_gain = 0.02f, \
    .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .lambda_A = 10, .lambda_B = 10,                  \
    .lambda_identity = 0.5f, .pool_size = 50, .n_epochs = 100, .n_epochs_decay = 100

static const struct {
    const char *name;
    struct gc_cyclegan_config cfg;
} presets[] = {
    {"cyclegan64", {.input_nc = 3, .output_nc = 3, .size = 64, .netG = GC_CG_RESNET_6BLOCKS,
                    CG_DEFAULTS}},
    {"cyclegan128", {.input_nc = 3, .output_nc = 3, .size = 128, .netG = GC_CG_RESNET_6BLOCKS,
                     CG_DEFAULTS}},
    {"cyclegan", {.input_nc = 3, .output_nc = 3, .size = 256, .netG = GC_CG_RESNET_9BLOCKS,
                  CG_DEFAULTS}},
};

static const struct {
    const char *option;
    const char *values[5];
} vocab[] = {
    {"netG", {"resnet_6blocks", "resnet_9blocks", "unet_128", "unet_256"}},
    {"netD", {"basic", "n_layers", "pixel"}},
    {"norm", {"instance", "batch", "none"}},
    {"gan_mode", {"lsgan", "vanilla", "wgangp"}},
    {"init_type", {"normal", "xavier", "kaiming", "orthogonal"}},
};

static const char *const *values_of(const char *option)
{
    for (size_t i = 0; i < sizeof vocab / sizeof vocab[0]; i++)
        if (strcmp(vocab[i].option, option) == 0) return vocab[i].values;
    GC_ASSERT_MSG(0, option);
    return NULL;
}

int gc_cyclegan_option_parse(const char *option, const char *value)
{
    const char *const *v = values_of(option);
    for (int i = 0; v[i]; i++)
        if (strcmp(v[i], value) == 0) return i;
    return -1;
}

const char *gc_cyclegan_option_name(const char *option, int value)
{
    const char *const *v = values_of(option);
    for (int i = 0; v[i]; i++)
        if (i == value) return v[i];
    return "?";
}

const char *gc_cyclegan_option_values(const char *option)
{
    static char buf[5][96];
    const char *const *v = values_of(option);
    size_t k = 0;
    for (size_t i = 0; i < sizeof vocab / sizeof vocab[0]; i++)
        if (vocab[i].values == v) k = i;
    buf[k][0] = '\0';
    for (int i = 0; v[i]; i++) {
        if (i) strcat(buf[k], "|");
        strcat(buf[k], v[i]);
    }
    return buf[k];
}

gc_status gc_cyclegan_preset(const char *name, struct gc_cyclegan_config *cfg)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) {
            *cfg = presets[i].cfg;
            snprintf(cfg->model, sizeof cfg->model, "%s", name);
            return GC_OK;
        }
    return gc_error(GC_NOT_FOUND, "unknown model '%s' (cyclegan64, cyclegan128, cyclegan)", name);
}

float gc_cyclegan_lr(const struct gc_cyclegan_config *cfg, int epoch)
{
    /* lambda_rule: 1 - max(0, epoch + epoch_count - n_epochs) / (n_epochs_decay + 1),
     * with the reference's epoch_count = 1 and 1-based epochs. */
    double f = 1.0 - fmax(0.0, (double)(epoch + 1) - cfg->n_epochs) / (cfg->n_epochs_decay + 1.0);
    return (float)(cfg->lr * (f > 0 ? f : 0));
}

static struct gc_tensor *img_input(struct gc_graph *g, const char *name, int nc, int size)
{
    int64_t s[4] = {1, nc, size, size};
    return gc_input(g, name, 4, s);
}

/* The reference's GANLoss(prediction, target_is_real): lsgan MSE against
 * 1/0, vanilla BCE with logits, wgangp -mean / +mean. */
static struct gc_tensor *gan_loss(struct gc_graph *g, enum gc_cg_gan_mode mode,
                                  struct gc_tensor *pred, bool real)
{
    switch (mode) {
    case GC_CG_VANILLA: return gc_bce_with_logits_const(g, pred, real ? 1.0f : 0.0f);
    case GC_CG_WGANGP: return gc_scale(g, gc_mean(g, pred), real ? -1.0f : 1.0f, 0.0f);
    case GC_CG_LSGAN: break;
    }
    return gc_mse_loss_const(g, pred, real ? 1.0f : 0.0f);
}

static struct gc_tensor *train_fwd(struct gc_cyclegan *m, const struct gc_cg_net *net,
                                   struct gc_tensor *x, uint64_t salt)
{
    return gc_cg_forward(m->g, net, x, GC_CG_TRAIN, m->cfg.seed * 64 + salt);
}

/* loss_G = GAN(D_A(G_A(a)), real) + GAN(D_B(G_B(b)), real) + cycle and
 * identity terms. Forwards are created in the reference's order (forward(),
 * then backward_G) because each train-mode batch norm updates its running
 * statistics in that order. */
static void generator_loss(struct gc_cyclegan *m)
{
    struct gc_graph *g = m->g;
    const struct gc_cyclegan_config *c = &m->cfg;
    m->fake_b = train_fwd(m, &m->GA, m->real_a, 1);
    struct gc_tensor *rec_a = train_fwd(m, &m->GB, m->fake_b, 2);
    m->fake_a = train_fwd(m, &m->GB, m->real_b, 3);
    struct gc_tensor *rec_b = train_fwd(m, &m->GA, m->fake_a, 4);
    bool idt = c->lambda_identity > 0 && c->input_nc == c->output_nc;
    struct gc_tensor *idt_a = idt ? train_fwd(m, &m->GA, m->real_b, 5) : NULL;
    struct gc_tensor *idt_b = idt ? train_fwd(m, &m->GB, m->real_a, 6) : NULL;
    m->parts[0] = gan_loss(g, c->gan_mode, train_fwd(m, &m->DA, m->fake_b, 7), true);
    m->parts[1] = gan_loss(g, c->gan_mode, train_fwd(m, &m->DB, m->fake_a, 8), true);
    m->parts[2] = gc_scale(g, gc_l1_loss(g, rec_a, m->real_a), c->lambda_A, 0.0f);
    m->parts[3] = gc_scale(g, gc_l1_loss(g, rec_b, m->real_b), c->lambda_B, 0.0f);
    struct gc_tensor *sum = gc_add(g, gc_add(g, m->parts[0], m->parts[1]),
                                   gc_add(g, m->parts[2], m->parts[3]));
    if (idt) {
        m->parts[4] = gc_scale(g, gc_l1_loss(g, idt_a, m->real_b),
                               c->lambda_B * c->lambda_identity, 0.0f);
        m->parts[5] = gc_scale(g, gc_l1_loss(g, idt_b, m->real_a),
                               c->lambda_A * c->lambda_identity, 0.0f);
        sum = gc_add(g, sum, gc_add(g, m->parts[4], m->parts[5]));
    } else {
        int64_t one[1] = {1};
        m->parts[4] = m->parts[5] = gc_fill(g, 0.0f, 1, one);
    }
    m->loss_g = sum;
}

/* The reference's cal_gradient_penalty(type 'mixed', constant 1):
 * xhat = a real + (1 - a) fake with a ~ U[0, 1) per image,
 * lambda_gp * mean((||grad_xhat sum D(xhat) + 1e-16||_2 - 1)^2). */
static struct gc_tensor *gradient_penalty(struct gc_cyclegan *m, const struct gc_cg_net *d,
                                          struct gc_tensor *real, struct gc_tensor *fake,
                                          uint64_t salt)
{
    struct gc_graph *g = m->g;
    int64_t es[4] = {1, 1, 1, 1};
    struct gc_tensor *a = gc_rand_uniform(g, m->cfg.seed * 7919u + salt, 4, es), *gx = NULL;
    struct gc_tensor *xhat = gc_add(g, fake, gc_mul(g, a, gc_sub(g, real, fake)));
    struct gc_tensor *score = gc_sum(g, train_fwd(m, d, xhat, 9));
    if (!score || gc_grad(g, score, 1, &xhat, &gx) != GC_OK) return NULL;
    struct gc_tensor *norm = gc_sqrt(g, gc_sum_to(g, gc_square(g, gc_scale(g, gx, 1.0f, 1e-16f)), 4, es));
    return gc_scale(g, gc_mean(g, gc_square(g, gc_scale(g, norm, 1.0f, -1.0f))),
                    m->cfg.lambda_gp, 0.0f);
}

/* 0.5 (GAN(D(real), real) + GAN(D(pooled fake), fake)), plus the gradient
 * penalty for wgangp (which the reference defines but never adds). */
static struct gc_tensor *disc_loss(struct gc_cyclegan *m, const struct gc_cg_net *d,
                                   struct gc_tensor *real, struct gc_tensor *fake,
                                   uint64_t salt, struct gc_tensor **gp)
{
    struct gc_graph *g = m->g;
    enum gc_cg_gan_mode mode = m->cfg.gan_mode;
    struct gc_tensor *l = gc_add(g, gan_loss(g, mode, train_fwd(m, d, real, 10), true),
                                 gan_loss(g, mode, train_fwd(m, d, fake, 11), false));
    l = gc_scale(g, l, 0.5f, 0.0f);
    if (mode != GC_CG_WGANGP) {
        int64_t one[1] = {1};
        *gp = gc_fill(g, 0.0f, 1, one);
        return l;
    }
    *gp = gradient_penalty(m, d, real, fake, salt);
    return gc_add(g, l, *gp);
}

/* The plan computing `loss`, the gradients of the groups' parameters
 * (bound into their slots) and the extra outputs. */
static gc_status plan_for(struct gc_cyclegan *m, struct gc_tensor *loss, int n_groups,
                          struct gc_param_group *const *groups, int n_extra,
                          struct gc_tensor *const *extra, struct gc_plan **out)
{
    int n = 0;
    for (int i = 0; i < n_groups; i++) n += gc_param_group_count(groups[i]);
    struct gc_tensor **wrt = gc_calloc((size_t)n, sizeof *wrt);
    struct gc_tensor **outs = gc_calloc((size_t)(n + n_extra + 1), sizeof *outs);
    gc_status s = wrt && outs ? GC_OK : gc_error(GC_NOMEM, "planning: out of host memory");
    for (int i = 0, k = 0; i < n_groups && s == GC_OK; i++)
        for (int j = 0; j < gc_param_group_count(groups[i]); j++)
            wrt[k++] = gc_param_group_at(groups[i], j);
    if (s == GC_OK) s = gc_grad(m->g, loss, n, wrt, outs);
    for (int i = 0; i < n && s == GC_OK; i++) {
        s = gc_param_bind_grad(wrt[i], outs[i]);
        outs[i] = gc_param_grad(wrt[i]);
    }
    outs[n] = loss;
    for (int i = 0; i < n_extra; i++) outs[n + 1 + i] = extra[i];
    if (s == GC_OK) s = gc_plan_create(m->g, n + n_extra + 1, outs, out);
    gc_free(wrt);
    gc_free(outs);
    return s;
}

static gc_status build_plans(struct gc_cyclegan *m)
{
    struct gc_param_group *gg[2] = {m->GA.group, m->GB.group};
    struct gc_tensor *extra[8] = {m->fake_b, m->fake_a, m->parts[0], m->parts[1],
                                  m->parts[2], m->parts[3], m->parts[4], m->parts[5]};
    gc_status s = plan_for(m, m->loss_g, 2, gg, 8, extra, &m->g_plan);
    if (s == GC_OK) s = plan_for(m, m->loss_da, 1, &m->DA.group, 1, &m->gp_a, &m->da_plan);
    if (s == GC_OK) s = plan_for(m, m->loss_db, 1, &m->DB.group, 1, &m->gp_b, &m->db_plan);
    if (s == GC_OK) s = gc_plan_create(m->g, 1, &m->tr_ab, &m->ab_plan);
    if (s == GC_OK) s = gc_plan_create(m->g, 1, &m->tr_ba, &m->ba_plan);
    return s;
}

static gc_status pool_init(struct gc_image_pool *p, int size, int64_t elems, uint64_t seed)
{
    p->size = size;
    p->elems = elems;
    p->rng = seed;
    p->images = gc_calloc((size_t)(size ? size : 1) * (size_t)elems, sizeof(float));
    return p->images ? GC_OK : gc_error(GC_NOMEM, "image pool: out of host memory");
}

static gc_status declare(struct gc_cyclegan *m)
{
    const struct gc_cyclegan_config *c = &m->cfg;
    struct gc_graph *g = m->g;
    gc_cg_generator_declare(g, "netG_A", c, c->input_nc, c->output_nc, &m->GA);
    gc_cg_generator_declare(g, "netG_B", c, c->output_nc, c->input_nc, &m->GB);
    gc_cg_discriminator_declare(g, "netD_A", c, c->output_nc, &m->DA);
    gc_cg_discriminator_declare(g, "netD_B", c, c->input_nc, &m->DB);
    m->real_a = img_input(g, "real_A", c->input_nc, c->size);
    m->real_b = img_input(g, "real_B", c->output_nc, c->size);
    m->pool_b = img_input(g, "pool_fake_B", c->output_nc, c->size);
    m->pool_a = img_input(g, "pool_fake_A", c->input_nc, c->size);
    m->real_b2 = img_input(g, "real_B_D", c->output_nc, c->size);
    m->real_a2 = img_input(g, "real_A_D", c->input_nc, c->size);
    m->tr_in_a = img_input(g, "translate_A", c->input_nc, c->size);
    m->tr_in_b = img_input(g, "translate_B", c->output_nc, c->size);
    generator_loss(m);
    m->loss_da = disc_loss(m, &m->DA, m->real_b2, m->pool_b, 12, &m->gp_a);
    m->loss_db = disc_loss(m, &m->DB, m->real_a2, m->pool_a, 13, &m->gp_b);
    m->tr_ab = gc_cg_forward(g, &m->GA, m->tr_in_a, GC_CG_EVAL, 0);
    m->tr_ba = gc_cg_forward(g, &m->GB, m->tr_in_b, GC_CG_EVAL, 0);
    gc_status s = gc_graph_status(g);
    struct gc_cg_net *nets[4] = {&m->GA, &m->GB, &m->DA, &m->DB};
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc_param_group_alloc(nets[i]->group);
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc_param_group_alloc(nets[i]->buffers);
    for (int i = 0; i < 4 && s == GC_OK; i++)
        s = gc_cg_init(nets[i], c->init_type, c->init_gain, c->seed * 4 + (uint64_t)i);
    return s;
}

static gc_status create_optims(struct gc_cyclegan *m)
{
    struct gc_optim_config oc = gc_optim_defaults(GC_OPTIM_ADAM, m->cfg.lr);
    oc.beta1 = m->cfg.beta1;
    oc.beta2 = m->cfg.beta2;
    gc_status s = gc_optim_create(m->GA.group, &oc, &m->o_ga);
    if (s == GC_OK) s = gc_optim_create(m->GB.group, &oc, &m->o_gb);
    if (s == GC_OK) s = gc_optim_create(m->DA.group, &oc, &m->o_da);
    if (s == GC_OK) s = gc_optim_create(m->DB.group, &oc, &m->o_db);
    return s;
}

gc_status gc_cyclegan_create(struct gc_device *dev, const struct gc_cyclegan_config *cfg,
                             struct gc_cyclegan **out)
{
    int mult = gc_cg_size_multiple(cfg);
    if (cfg->size < 16 || cfg->size % mult || cfg->input_nc < 1 || cfg->output_nc < 1 ||
        cfg->ngf < 1 || cfg->ndf < 1 || cfg->n_layers_D < 1 || cfg->pool_size < 0)
        return gc_error(GC_INVALID_ARG, "cyclegan: the image side (%d) must be >= 16 and a "
                                        "multiple of %d for %s; channels, widths and layers "
                                        "positive", cfg->size, mult,
                        gc_cyclegan_option_name("netG", (int)cfg->netG));
    struct gc_cyclegan *m = gc_calloc(1, sizeof *m);
    if (!m) return gc_error(GC_NOMEM, "cyclegan: out of host memory");
    m->cfg = *cfg;
    m->dev = dev;
    int64_t ea = (int64_t)cfg->input_nc * cfg->size * cfg->size;
    int64_t eb = (int64_t)cfg->output_nc * cfg->size * cfg->size, emax = ea > eb ? ea : eb;
    gc_status s = gc_graph_create(dev, &m->g);
    if (s == GC_OK) s = declare(m);
    if (s == GC_OK) s = build_plans(m);
    if (s == GC_OK) s = create_optims(m);
    if (s == GC_OK) s = pool_init(&m->pool_fake_a, cfg->pool_size, ea, cfg->seed * 31 + 1);
    if (s == GC_OK) s = pool_init(&m->pool_fake_b, cfg->pool_size, eb, cfg->seed * 31 + 2);
    m->host_fake = gc_malloc(sizeof(float) * (size_t)emax);
    m->host_pooled = gc_malloc(sizeof(float) * (size_t)emax);
    if (s == GC_OK && (!m->host_fake || !m->host_pooled))
        s = gc_error(GC_NOMEM, "cyclegan: out of host memory");
    if (s != GC_OK) {
        gc_cyclegan_destroy(m);
        return gc_error_context(s, "building %s", cfg->model);
    }
    *out = m;
    return GC_OK;
}

void gc_cyclegan_destroy(struct gc_cyclegan *m)
{
    if (!m) return;
    struct gc_optim *o[4] = {m->o_ga, m->o_gb, m->o_da, m->o_db};
    struct gc_plan *p[5] = {m->g_plan, m->da_plan, m->db_plan, m->ab_plan, m->ba_plan};
    for (int i = 0; i < 4; i++) gc_optim_destroy(o[i]);
    for (int i = 0; i < 5; i++) gc_plan_destroy(p[i]);
    gc_graph_destroy(m->g);
    gc_free(m->pool_fake_a.images);
    gc_free(m->pool_fake_b.images);
    gc_free(m->host_fake);
    gc_free(m->host_pooled);
    gc_free(m);
}

void gc_cyclegan_step_plans(const struct gc_cyclegan *m, struct gc_plan *out[3])
{
    out[0] = m->g_plan;
    out[1] = m->da_plan;
    out[2] = m->db_plan;
}

int64_t gc_cyclegan_device_bytes(const struct gc_cyclegan *m)
{
    const struct gc_plan *p[5] = {m->g_plan, m->da_plan, m->db_plan, m->ab_plan, m->ba_plan};
    const struct gc_cg_net *n[4] = {&m->GA, &m->GB, &m->DA, &m->DB};
    int64_t bytes = 0;
    for (int i = 0; i < 5; i++) {
        struct gc_plan_stats st;
        gc_plan_get_stats(p[i], &st);
        bytes += st.arena_bytes;
    }
    for (int i = 0; i < 4; i++)
        bytes += gc_param_group_numel(n[i]->group) * 4 * 4 + gc_param_group_numel(n[i]->buffers) * 4;
    return bytes; /* parameters, gradients, two Adam moments; batch-norm statistics */
}

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ImagePool.query for one image: `in` is the new fake, `out` what D sees. */
static void pool_query(struct gc_image_pool *p, const float *in, float *out)
{
    size_t bytes = sizeof(float) * (size_t)p->elems;
    if (p->size == 0) {
        memcpy(out, in, bytes);
    } else if (p->count < p->size) {
        memcpy(p->images + (size_t)p->count++ * (size_t)p->elems, in, bytes);
        memcpy(out, in, bytes);
    } else if ((double)(mix(&p->rng) >> 11) * 0x1p-53 > 0.5) {
        float *slot = p->images + (mix(&p->rng) % (uint64_t)p->size) * (size_t)p->elems;
        memcpy(out, slot, bytes);
        memcpy(slot, in, bytes);
    } else {
        memcpy(out, in, bytes);
    }
}

static gc_status d_phase(struct gc_cyclegan *m, struct gc_plan *plan, struct gc_tensor *fake,
                         struct gc_image_pool *pool, struct gc_tensor *pooled,
                         struct gc_tensor *real_in, const float *real, struct gc_optim *o,
                         struct gc_tensor *loss, float *loss_h)
{
    gc_status s = gc_plan_read(m->g_plan, fake, m->host_fake);
    if (s == GC_OK) pool_query(pool, m->host_fake, m->host_pooled);
    if (s == GC_OK) s = gc_plan_write(plan, pooled, m->host_pooled);
    if (s == GC_OK) s = gc_plan_write(plan, real_in, real);
    if (s == GC_OK) s = gc_plan_run(plan);
    if (s == GC_OK) s = gc_optim_step(o);
    if (s == GC_OK) s = gc_plan_read_async(plan, loss, loss_h);
    return s;
}

gc_status gc_cyclegan_step(struct gc_cyclegan *m, const float *real_a, const float *real_b)
{
    gc_status s = gc_plan_write(m->g_plan, m->real_a, real_a);
    if (s == GC_OK) s = gc_plan_write(m->g_plan, m->real_b, real_b);
    if (s == GC_OK) s = gc_plan_run(m->g_plan);
    if (s == GC_OK) s = gc_optim_step(m->o_ga);
    if (s == GC_OK) s = gc_optim_step(m->o_gb);
    for (int i = 0; i < 6 && s == GC_OK; i++)
        s = gc_plan_read_async(m->g_plan, m->parts[i], &m->h_parts[i]);
    if (s == GC_OK)
        s = d_phase(m, m->da_plan, m->fake_b, &m->pool_fake_b, m->pool_b, m->real_b2, real_b,
                    m->o_da, m->loss_da, &m->h_da);
    if (s == GC_OK) s = gc_plan_read_async(m->da_plan, m->gp_a, &m->h_gp_a);
    if (s == GC_OK)
        s = d_phase(m, m->db_plan, m->fake_a, &m->pool_fake_a, m->pool_a, m->real_a2, real_a,
                    m->o_db, m->loss_db, &m->h_db);
    if (s == GC_OK) s = gc_plan_read_async(m->db_plan, m->gp_b, &m->h_gp_b);
    return s;
}

gc_status gc_cyclegan_losses(struct gc_cyclegan *m, struct gc_cyclegan_losses *out)
{
    gc_status s = gc_device_finish(m->dev);
    *out = (struct gc_cyclegan_losses){m->h_da, m->h_parts[0], m->h_parts[2], m->h_parts[4],
                                       m->h_db, m->h_parts[1], m->h_parts[3], m->h_parts[5],
                                       m->h_gp_a, m->h_gp_b};
    return s;
}

void gc_cyclegan_set_lr(struct gc_cyclegan *m, float lr)
{
    gc_optim_set_lr(m->o_ga, lr);
    gc_optim_set_lr(m->o_gb, lr);
    gc_optim_set_lr(m->o_da, lr);
    gc_optim_set_lr(m->o_db, lr);
}

gc_status gc_cyclegan_translate(struct gc_cyclegan *m, bool a_to_b, const float *x, float *y)
{
    struct gc_plan *p = a_to_b ? m->ab_plan : m->ba_plan;
    gc_status s = gc_plan_write(p, a_to_b ? m->tr_in_a : m->tr_in_b, x);
    if (s == GC_OK) s = gc_plan_run(p);
    return s == GC_OK ? gc_plan_read(p, a_to_b ? m->tr_ab : m->tr_ba, y) : s;
}
