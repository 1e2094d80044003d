/* SPDX-License-Identifier: MIT */
/* Optimizers against their PyTorch update rules, and a small MLP GAN trained
 * through replayed plans on the ring of 8 Gaussians: it must cover at least
 * 6 of the 8 modes, its plans must reuse memory (arena peak <= 60% of all
 * intermediates) and no device buffer may be created while plans run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/optim.h"
#include "harness.h"

/* Adam/RMSProp in float on the device vs double here: the update is a ratio
 * of small numbers, agreeing to ~1e-6 relative after a few steps. */
#define OPTIM_RTOL 1e-5
#define OPTIM_ATOL 1e-7

struct optim_fixture {
    struct gc_graph *g;
    struct gc_param_group *grp;
    struct gc_tensor *p;
    struct gc_plan *plan;
};

/* loss = sum(p * c): the gradient is c, fixed, so updates are checkable. */
static void optim_setup(struct gc_device *dev, struct optim_fixture *f, const float *c, int n)
{
    int64_t shape[1] = {n};
    gc_assert_ok(gc_graph_create(dev, &f->g));
    f->grp = gc_param_group(f->g, "net");
    f->p = gc_param(f->grp, "w", 1, shape);
    struct gc_tensor *ct = gc_input(f->g, "c", 1, shape);
    struct gc_tensor *loss = gc_sum(f->g, gc_mul(f->g, f->p, ct)), *dp;
    gc_assert_ok(gc_grad(f->g, loss, 1, &f->p, &dp));
    gc_assert_ok(gc_param_bind_grad(f->p, dp));
    gc_assert_ok(gc_param_group_alloc(f->grp));
    gc_assert_ok(gc_plan_create(f->g, 1, &dp, &f->plan));
    gc_assert_ok(gc_plan_write(f->plan, ct, c));
}

static void optim_teardown(struct optim_fixture *f)
{
    gc_plan_destroy(f->plan);
    gc_graph_destroy(f->g);
}

/* Host reference of one update of every kind, in double. */
static void ref_update(const struct gc_optim_config *c, int t, double *p, double *s0, double *s1,
                       const float *g, int n)
{
    for (int i = 0; i < n; i++) {
        double gi = g[i] + c->weight_decay * p[i];
        if (c->kind == GC_OPTIM_ADAM) {
            s0[i] = c->beta1 * s0[i] + (1 - c->beta1) * gi;
            s1[i] = c->beta2 * s1[i] + (1 - c->beta2) * gi * gi;
            double bc1 = 1 - pow(c->beta1, t), bc2 = 1 - pow(c->beta2, t);
            p[i] -= c->lr / bc1 * s0[i] / (sqrt(s1[i]) / sqrt(bc2) + c->eps);
        } else if (c->kind == GC_OPTIM_SGD) {
            s0[i] = c->momentum * s0[i] + gi;
            p[i] -= c->lr * (c->momentum != 0 ? s0[i] : gi);
        } else {
            s0[i] = c->alpha * s0[i] + (1 - c->alpha) * gi * gi;
            double d = gi / (sqrt(s0[i]) + c->eps);
            if (c->momentum != 0) d = s1[i] = c->momentum * s1[i] + d;
            p[i] -= c->lr * d;
        }
    }
}

static void check_optimizer(struct gc_device *dev, struct gc_optim_config cfg, const char *label)
{
    enum { N = 37 };
    float c[N], p0[N], got[N];
    double p[N], s0[N] = {0}, s1[N] = {0};
    gc_test_fill_uniform(c, N, 3, -1.0f, 1.0f);
    gc_test_fill_uniform(p0, N, 4, -0.5f, 0.5f);
    struct optim_fixture f;
    optim_setup(dev, &f, c, N);
    gc_assert_ok(gc_param_write(f.p, p0));
    struct gc_optim *o;
    gc_assert_ok(gc_optim_create(f.grp, &cfg, &o));
    for (int i = 0; i < N; i++) p[i] = p0[i];
    for (int t = 1; t <= 4; t++) {
        gc_assert_ok(gc_plan_run(f.plan));
        gc_assert_ok(gc_optim_step(o));
        ref_update(&cfg, t, p, s0, s1, c, N);
    }
    gc_assert_ok(gc_param_read(f.p, got));
    float expect[N];
    for (int i = 0; i < N; i++) expect[i] = (float)p[i];
    gc_assert_tensor_close(got, expect, N, OPTIM_ATOL, OPTIM_RTOL, label);
    assert_int_equal(gc_optim_steps(o), 4);
    gc_optim_destroy(o);
    optim_teardown(&f);
}

static void test_optimizers(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gc_optim_config adam = gc_optim_defaults(GC_OPTIM_ADAM, 2e-4f);
        adam.beta1 = 0.5f;
        check_optimizer(devs[d], adam, "adam");
        struct gc_optim_config sgd = gc_optim_defaults(GC_OPTIM_SGD, 0.1f);
        sgd.momentum = 0.9f;
        sgd.weight_decay = 0.01f;
        check_optimizer(devs[d], sgd, "sgd momentum");
        check_optimizer(devs[d], gc_optim_defaults(GC_OPTIM_RMSPROP, 5e-5f), "rmsprop");
        struct gc_optim_config rms_m = gc_optim_defaults(GC_OPTIM_RMSPROP, 1e-3f);
        rms_m.momentum = 0.5f;
        check_optimizer(devs[d], rms_m, "rmsprop momentum");
    }
}

static void test_clip_and_zero_grad(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        enum { N = 19 };
        float c[N], p0[N], got[N], expect[N];
        gc_test_fill_uniform(c, N, 5, -1.0f, 1.0f);
        gc_test_fill_uniform(p0, N, 6, -0.05f, 0.05f);
        struct optim_fixture f;
        optim_setup(devs[d], &f, c, N);
        gc_assert_ok(gc_param_write(f.p, p0));
        gc_assert_ok(gc_param_group_clip(f.grp, 0.01f));
        gc_assert_ok(gc_param_read(f.p, got));
        for (int i = 0; i < N; i++) expect[i] = fminf(fmaxf(p0[i], -0.01f), 0.01f);
        gc_assert_tensor_close(got, expect, N, 0, 0, "clip");
        gc_assert_ok(gc_plan_run(f.plan));
        float grad[32];
        gc_assert_ok(gc_param_group_read_grad(f.grp, grad));
        gc_assert_tensor_close(grad, c, N, 0, 0, "bound gradient");
        gc_assert_ok(gc_param_group_zero_grad(f.grp));
        gc_assert_ok(gc_param_group_read_grad(f.grp, grad));
        for (int i = 0; i < N; i++) assert_float_equal(grad[i], 0.0f, 0.0f);
        optim_teardown(&f);
    }
}

/* ---- MLP GAN on the ring of 8 Gaussians -------------------------------- */
#define PI 3.14159265358979323846
#define RING_RADIUS 2.0
#define RING_STD 0.02
#define GAN_BATCH 256
#define GAN_HIDDEN 128
#define GAN_STEPS 1500
/* A sample "hits" a mode within 0.2 (10 sigma of the data); a mode counts
 * as covered when at least 1% of 2048 samples hit it. */
#define MODE_RADIUS 0.2
#define MODE_MIN_SHARE 0.01

struct mlp {
    struct gc_tensor *w[3], *b[3];
};

static void mlp_params(struct gc_param_group *grp, struct mlp *m, int in, int out)
{
    int dims[4] = {in, GAN_HIDDEN, GAN_HIDDEN, out};
    for (int l = 0; l < 3; l++) {
        char name[32];
        int64_t ws[2] = {dims[l + 1], dims[l]}, bs[1] = {dims[l + 1]};
        snprintf(name, sizeof name, "%d.weight", 2 * l);
        m->w[l] = gc_param(grp, name, 2, ws);
        snprintf(name, sizeof name, "%d.bias", 2 * l);
        m->b[l] = gc_param(grp, name, 1, bs);
    }
}

static void mlp_init(struct mlp *m, uint64_t seed)
{
    for (int l = 0; l < 3; l++) { /* Kaiming-like scale for ReLU nets */
        float std = sqrtf(2.0f / (float)gc_tensor_dim(m->w[l], 1));
        gc_assert_ok(gc_param_init_normal(m->w[l], 0.0f, std, seed * 16 + (uint64_t)l));
        gc_assert_ok(gc_param_fill(m->b[l], 0.0f));
    }
}

static struct gc_tensor *mlp_forward(struct gc_graph *g, const struct mlp *m, struct gc_tensor *x,
                                     bool leaky)
{
    for (int l = 0; l < 3; l++) {
        x = gc_linear(g, x, m->w[l], m->b[l]);
        if (l < 2) x = leaky ? gc_leaky_relu(g, x, 0.2f) : gc_relu(g, x);
    }
    return x;
}

static void sample_ring(float *x, int n, unsigned *rng)
{
    for (int i = 0; i < n; i++) {
        int k = rand_r(rng) % 8;
        double u1 = (rand_r(rng) + 1.0) / (RAND_MAX + 2.0), u2 = rand_r(rng) / (RAND_MAX + 1.0);
        double r = sqrt(-2 * log(u1));
        x[2 * i] = (float)(RING_RADIUS * cos(k * PI / 4) + RING_STD * r * cos(2 * PI * u2));
        x[2 * i + 1] = (float)(RING_RADIUS * sin(k * PI / 4) + RING_STD * r * sin(2 * PI * u2));
    }
}

static int modes_covered(const float *s, int n)
{
    int hits[8] = {0}, covered = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) {
            double dx = s[2 * i] - RING_RADIUS * cos(k * PI / 4);
            double dy = s[2 * i + 1] - RING_RADIUS * sin(k * PI / 4);
            if (sqrt(dx * dx + dy * dy) < MODE_RADIUS) hits[k]++;
        }
    for (int k = 0; k < 8; k++) covered += hits[k] >= MODE_MIN_SHARE * n;
    printf("# mode hits:");
    for (int k = 0; k < 8; k++) printf(" %d", hits[k]);
    printf(" (of %d samples)\n", n);
    return covered;
}

struct gan {
    struct gc_graph *g;
    struct gc_param_group *gg, *dg;
    struct mlp G, D;
    struct gc_tensor *real, *d_loss, *g_loss, *sample_z, *samples;
    struct gc_plan *d_plan, *g_plan, *s_plan;
};

static void bind_all(const struct mlp *m, struct gc_tensor *loss, struct gc_graph *g)
{
    struct gc_tensor *wrt[6], *grads[6];
    for (int l = 0; l < 3; l++) wrt[2 * l] = m->w[l], wrt[2 * l + 1] = m->b[l];
    gc_assert_ok(gc_grad(g, loss, 6, wrt, grads));
    for (int i = 0; i < 6; i++) gc_assert_ok(gc_param_bind_grad(wrt[i], grads[i]));
}

static struct gc_plan *plan_for(struct gc_graph *g, struct gc_tensor *loss, const struct mlp *m)
{
    struct gc_tensor *outs[7] = {loss};
    for (int l = 0; l < 3; l++) {
        outs[1 + 2 * l] = gc_param_grad(m->w[l]);
        outs[2 + 2 * l] = gc_param_grad(m->b[l]);
    }
    struct gc_plan *p;
    gc_assert_ok(gc_plan_create(g, 7, outs, &p));
    return p;
}

static void gan_build(struct gan *n, struct gc_device *dev)
{
    int64_t zs[2] = {GAN_BATCH, 2}, ss[2] = {2048, 2};
    gc_assert_ok(gc_graph_create(dev, &n->g));
    struct gc_graph *g = n->g;
    n->gg = gc_param_group(g, "netG");
    n->dg = gc_param_group(g, "netD");
    mlp_params(n->gg, &n->G, 2, 2);
    mlp_params(n->dg, &n->D, 2, 1);
    /* D step: real batch from the host, fake from fresh z, detached. */
    n->real = gc_input(g, "real", 2, zs);
    struct gc_tensor *z = gc_rand_normal(g, 11, 2, zs);
    struct gc_tensor *fake = gc_detach(g, mlp_forward(g, &n->G, z, false));
    n->d_loss = gc_add(g, gc_bce_with_logits_const(g, mlp_forward(g, &n->D, n->real, true), 1.0f),
                       gc_bce_with_logits_const(g, mlp_forward(g, &n->D, fake, true), 0.0f));
    bind_all(&n->D, n->d_loss, g);
    /* G step: non-saturating loss on a fresh draw. */
    struct gc_tensor *fake2 = mlp_forward(g, &n->G, gc_rand_normal(g, 12, 2, zs), false);
    n->g_loss = gc_bce_with_logits_const(g, mlp_forward(g, &n->D, fake2, true), 1.0f);
    bind_all(&n->G, n->g_loss, g);
    n->samples = mlp_forward(g, &n->G, gc_rand_normal(g, 13, 2, ss), false);
    gc_assert_ok(gc_graph_status(g));
    gc_assert_ok(gc_param_group_alloc(n->gg));
    gc_assert_ok(gc_param_group_alloc(n->dg));
    mlp_init(&n->G, 1);
    mlp_init(&n->D, 2);
    n->d_plan = plan_for(g, n->d_loss, &n->D);
    n->g_plan = plan_for(g, n->g_loss, &n->G);
    gc_assert_ok(gc_plan_create(g, 1, &n->samples, &n->s_plan));
}

static void check_memory_reuse(const struct gan *n)
{
    struct gc_plan *plans[2] = {n->d_plan, n->g_plan};
    for (int i = 0; i < 2; i++) {
        struct gc_plan_stats st;
        gc_plan_get_stats(plans[i], &st);
        printf("# %s plan: %lld steps, arena %lld bytes, intermediates %lld bytes (%.0f%%)\n",
               i ? "G" : "D", (long long)st.steps, (long long)st.arena_bytes,
               (long long)st.naive_bytes, 100.0 * (double)st.arena_bytes / (double)st.naive_bytes);
        assert_true(st.arena_bytes <= 0.6 * (double)st.naive_bytes);
    }
}

static void test_gan_ring(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    struct gc_device *dev = devs[0]; /* convergence is device-independent: one is enough */
    struct gan n;
    gan_build(&n, dev);
    check_memory_reuse(&n);
    struct gc_optim_config cfg = gc_optim_defaults(GC_OPTIM_ADAM, 1e-3f);
    cfg.beta1 = 0.5f;
    struct gc_optim *od, *og;
    gc_assert_ok(gc_optim_create(n.dg, &cfg, &od));
    gc_assert_ok(gc_optim_create(n.gg, &cfg, &og));
    float *real = malloc(sizeof(float) * 2 * GAN_BATCH), dl = 0, gl = 0;
    unsigned rng = 1234;
    int64_t buffers_before = gc_device_buffers_created(dev);
    for (int step = 0; step < GAN_STEPS; step++) {
        sample_ring(real, GAN_BATCH, &rng);
        gc_assert_ok(gc_plan_write(n.d_plan, n.real, real));
        gc_assert_ok(gc_plan_run(n.d_plan));
        gc_assert_ok(gc_optim_step(od));
        gc_assert_ok(gc_plan_run(n.g_plan));
        gc_assert_ok(gc_optim_step(og));
        if (step % 500 == 0 || step == GAN_STEPS - 1) {
            gc_assert_ok(gc_plan_read(n.d_plan, n.d_loss, &dl));
            gc_assert_ok(gc_plan_read(n.g_plan, n.g_loss, &gl));
            printf("# step %d: D loss %.4f, G loss %.4f\n", step, dl, gl);
            assert_true(isfinite(dl) && isfinite(gl));
        }
    }
    assert_int_equal(gc_device_buffers_created(dev), buffers_before); /* replay allocates nothing */
    float *s = malloc(sizeof(float) * 2 * 2048);
    gc_assert_ok(gc_plan_run(n.s_plan));
    gc_assert_ok(gc_plan_read(n.s_plan, n.samples, s));
    int covered = modes_covered(s, 2048);
    printf("# modes covered: %d of 8\n", covered);
    assert_true(covered >= 6);
    free(s);
    free(real);
    gc_optim_destroy(od);
    gc_optim_destroy(og);
    gc_plan_destroy(n.d_plan);
    gc_plan_destroy(n.g_plan);
    gc_plan_destroy(n.s_plan);
    gc_graph_destroy(n.g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optimizers),
        cmocka_unit_test(test_clip_and_zero_grad),
        cmocka_unit_test(test_gan_ring),
    };
    return cmocka_run_group_tests_name("train", tests, NULL, NULL);
}
