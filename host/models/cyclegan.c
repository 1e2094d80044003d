/* SPDX-License-Identifier: MIT */
/* CycleGAN training phases as replayed plans: the generators' update (both
 * generators, adversarial + cycle + identity losses), then each
 * discriminator on a real image and a fake drawn from its image pool. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "models/cyclegan_impl.h"

static const struct {
    const char *name;
    struct gc_cyclegan_config cfg;
} presets[] = {
    {"cyclegan64", {.input_nc = 3, .output_nc = 3, .size = 64, .ngf = 64, .ndf = 64,
                    .n_blocks = 6, .n_layers_D = 3, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f,
                    .lambda_A = 10, .lambda_B = 10, .lambda_identity = 0.5f, .pool_size = 50,
                    .n_epochs = 100, .n_epochs_decay = 100}},
    {"cyclegan128", {.input_nc = 3, .output_nc = 3, .size = 128, .ngf = 64, .ndf = 64,
                     .n_blocks = 6, .n_layers_D = 3, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f,
                     .lambda_A = 10, .lambda_B = 10, .lambda_identity = 0.5f, .pool_size = 50,
                     .n_epochs = 100, .n_epochs_decay = 100}},
    {"cyclegan", {.input_nc = 3, .output_nc = 3, .size = 256, .ngf = 64, .ndf = 64,
                  .n_blocks = 9, .n_layers_D = 3, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f,
                  .lambda_A = 10, .lambda_B = 10, .lambda_identity = 0.5f, .pool_size = 50,
                  .n_epochs = 100, .n_epochs_decay = 100}},
};

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

/* loss_G = mse(D_A(G_A(a)), 1) + mse(D_B(G_B(b)), 1) + cycle and identity terms */
static void generator_loss(struct gc_cyclegan *m)
{
    struct gc_graph *g = m->g;
    const struct gc_cyclegan_config *c = &m->cfg;
    m->fake_b = gc_cg_forward(g, &m->GA, m->real_a);
    m->fake_a = gc_cg_forward(g, &m->GB, m->real_b);
    struct gc_tensor *rec_a = gc_cg_forward(g, &m->GB, m->fake_b);
    struct gc_tensor *rec_b = gc_cg_forward(g, &m->GA, m->fake_a);
    m->parts[0] = gc_mse_loss_const(g, gc_cg_forward(g, &m->DA, m->fake_b), 1.0f);
    m->parts[1] = gc_mse_loss_const(g, gc_cg_forward(g, &m->DB, m->fake_a), 1.0f);
    m->parts[2] = gc_scale(g, gc_l1_loss(g, rec_a, m->real_a), c->lambda_A, 0.0f);
    m->parts[3] = gc_scale(g, gc_l1_loss(g, rec_b, m->real_b), c->lambda_B, 0.0f);
    struct gc_tensor *sum = gc_add(g, gc_add(g, m->parts[0], m->parts[1]),
                                   gc_add(g, m->parts[2], m->parts[3]));
    if (c->lambda_identity > 0 && c->input_nc == c->output_nc) {
        struct gc_tensor *idt_a = gc_cg_forward(g, &m->GA, m->real_b);
        struct gc_tensor *idt_b = gc_cg_forward(g, &m->GB, m->real_a);
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

/* 0.5 (mse(D(real), 1) + mse(D(pooled fake), 0)) */
static struct gc_tensor *disc_loss(struct gc_graph *g, const struct gc_cg_net *d,
                                   struct gc_tensor *real, struct gc_tensor *fake)
{
    struct gc_tensor *l = gc_add(g, gc_mse_loss_const(g, gc_cg_forward(g, d, real), 1.0f),
                                 gc_mse_loss_const(g, gc_cg_forward(g, d, fake), 0.0f));
    return gc_scale(g, l, 0.5f, 0.0f);
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
    if (s == GC_OK) s = plan_for(m, m->loss_da, 1, &m->DA.group, 0, NULL, &m->da_plan);
    if (s == GC_OK) s = plan_for(m, m->loss_db, 1, &m->DB.group, 0, NULL, &m->db_plan);
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
    gc_cg_resnet_declare(g, "netG_A", c->input_nc, c->output_nc, c->ngf, c->n_blocks, &m->GA);
    gc_cg_resnet_declare(g, "netG_B", c->output_nc, c->input_nc, c->ngf, c->n_blocks, &m->GB);
    gc_cg_patch_declare(g, "netD_A", c->output_nc, c->ndf, c->n_layers_D, &m->DA);
    gc_cg_patch_declare(g, "netD_B", c->input_nc, c->ndf, c->n_layers_D, &m->DB);
    m->real_a = img_input(g, "real_A", c->input_nc, c->size);
    m->real_b = img_input(g, "real_B", c->output_nc, c->size);
    m->pool_b = img_input(g, "pool_fake_B", c->output_nc, c->size);
    m->pool_a = img_input(g, "pool_fake_A", c->input_nc, c->size);
    m->real_b2 = img_input(g, "real_B_D", c->output_nc, c->size);
    m->real_a2 = img_input(g, "real_A_D", c->input_nc, c->size);
    m->tr_in_a = img_input(g, "translate_A", c->input_nc, c->size);
    m->tr_in_b = img_input(g, "translate_B", c->output_nc, c->size);
    generator_loss(m);
    m->loss_da = disc_loss(g, &m->DA, m->real_b2, m->pool_b);
    m->loss_db = disc_loss(g, &m->DB, m->real_a2, m->pool_a);
    m->tr_ab = gc_cg_forward(g, &m->GA, m->tr_in_a);
    m->tr_ba = gc_cg_forward(g, &m->GB, m->tr_in_b);
    gc_status s = gc_graph_status(g);
    struct gc_cg_net *nets[4] = {&m->GA, &m->GB, &m->DA, &m->DB};
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc_param_group_alloc(nets[i]->group);
    for (int i = 0; i < 4 && s == GC_OK; i++) s = gc_cg_init(nets[i], c->seed * 4 + (uint64_t)i);
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
    if (cfg->size < 16 || cfg->size % 4 || cfg->input_nc < 1 || cfg->output_nc < 1 ||
        cfg->n_blocks < 1 || cfg->n_layers_D < 1 || cfg->pool_size < 0)
        return gc_error(GC_INVALID_ARG, "cyclegan: size must be a multiple of 4 and >= 16; "
                                        "channels, blocks and layers positive");
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
    for (int i = 0; i < 4; i++) bytes += gc_param_group_numel(n[i]->group) * 4 * 4;
    return bytes; /* parameters, gradients, two Adam moments */
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
    if (s == GC_OK)
        s = d_phase(m, m->db_plan, m->fake_a, &m->pool_fake_a, m->pool_a, m->real_a2, real_a,
                    m->o_db, m->loss_db, &m->h_db);
    return s;
}

gc_status gc_cyclegan_losses(struct gc_cyclegan *m, struct gc_cyclegan_losses *out)
{
    gc_status s = gc_device_finish(m->dev);
    *out = (struct gc_cyclegan_losses){m->h_da, m->h_parts[0], m->h_parts[2], m->h_parts[4],
                                       m->h_db, m->h_parts[1], m->h_parts[3], m->h_parts[5]};
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
