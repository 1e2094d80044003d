/* SPDX-License-Identifier: MIT */
/* gan-cl against PyTorch on every test device: matmul in all transpose
 * combinations, the losses (BCE-with-logits, MSE, L1, and the constant-target
 * GAN versions), the activations (relu, leaky_relu 0.2, tanh, sigmoid),
 * forward and gradients; and WGAN-GP's double backprop: the gradient w.r.t.
 * an MLP critic's weights of mean((||d C(xhat) / d xhat||_2 - 1)^2), checked
 * against PyTorch (create_graph=True) and by finite differences.
 * Fixtures: tests/fixtures/NAME.gcf, written by tools/gen_fixtures.py (float64
 * math on float32 inputs, rounded once), so every tolerance below budgets
 * gan-cl's float32 error only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/conv.h"
#include "gancl/graph.h"
#include "harness.h"

/* Element-wise ops and sums of <= 30 terms in float32 against float64
 * results rounded once: a few ulp per op; 1e-5 absolute/relative is ~100
 * ulp of headroom for any device's exp/log/tanh and any summation order, and
 * still 1000x below the effect of a wrong index or a wrong formula. */
#define GOLDEN_ATOL 1e-5
#define GOLDEN_RTOL 1e-5
/* The acceptance bound for the penalty gradient: relative error
 * <= 1e-4, measured against each gradient tensor's largest element (and, as
 * a norm, ||got - want|| / ||want||). Exactly-zero gradients (the biases:
 * d penalty / d b is 0 because a bias only shifts the kink pattern, which is
 * piecewise constant) must come out below GP_ZERO_ATOL. */
#define GP_REL_TOL 1e-4
#define GP_ZERO_ATOL 1e-6
/* Finite differences of the penalty (float32 on the device): with step 4e-3
 * on weights of magnitude <= 0.25 the truncation error is ~1e-6 and the
 * rounding noise ~1e-7 * penalty / (2 eps) ~ 1e-5 (2e-5 seen on PoCL and
 * rusticl); gradients are up to 0.4, typically 0.01, so 1e-4 + 0.2% still
 * catches a 1% error in a typical one. Perturbations that would move a
 * first-layer pre-activation across 0 (the leaky-ReLU kink) are skipped. */
#define GP_FD_EPS 4e-3
#define GP_FD_ATOL 1e-4
#define GP_FD_RTOL 2e-3

struct golden {
    struct gc_fixture *fx;
    struct gc_device *dev;
    struct gc_graph *g;
    struct gc_plan *p;
};

/* An input named like its fixture tensor. */
static struct gc_tensor *fx_input(struct golden *G, const char *name)
{
    int64_t shape[8];
    int nd;
    gc_fixture_get(G->fx, name, shape, &nd);
    return gc_input(G->g, name, nd, shape);
}

static void fx_write(struct golden *G, struct gc_tensor *t, const char *name)
{
    gc_assert_ok(gc_plan_write(G->p, t, gc_fixture_get(G->fx, name, NULL, NULL)));
}

/* Reads t after the run and compares it with the fixture tensor `name`. */
static void fx_check(struct golden *G, const struct gc_tensor *t, const char *name, double atol,
                     double rtol)
{
    int64_t shape[8];
    int nd;
    const float *want = gc_fixture_get(G->fx, name, shape, &nd);
    int64_t n = gc_fixture_numel(G->fx, name);
    assert_int_equal(n, gc_tensor_numel(t));
    float *got = malloc(sizeof(float) * (size_t)n);
    gc_assert_ok(gc_plan_read(G->p, t, got));
    char label[400];
    snprintf(label, sizeof label, "%s@%s", name, gc_device_get_info(G->dev)->name);
    gc_assert_tensor_close_shape(got, want, shape, nd, atol, rtol, label);
    free(got);
}

static void begin(struct golden *G, struct gc_device *dev, const char *fixture)
{
    memset(G, 0, sizeof *G);
    G->dev = dev;
    G->fx = gc_fixture_load(fixture);
    gc_assert_ok(gc_graph_create(dev, &G->g));
}

static void plan(struct golden *G, int n, struct gc_tensor *const *outs)
{
    gc_assert_ok(gc_graph_status(G->g));
    gc_assert_ok(gc_plan_create(G->g, n, outs, &G->p));
}

static void end(struct golden *G)
{
    gc_plan_destroy(G->p);
    gc_graph_destroy(G->g);
    gc_fixture_free(G->fx);
}

static void test_matmul(void **state)
{
    (void)state;
    static const char *tags[4] = {"nn", "tn", "nt", "tt"};
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++)
        for (int k = 0; k < 4; k++) {
            struct golden G;
            begin(&G, devs[d], "matmul.gcf");
            char an[8], bn[8], rn[8], yn[8], dan[8], dbn[8];
            snprintf(an, sizeof an, "a_%s", tags[k]);
            snprintf(bn, sizeof bn, "b_%s", tags[k]);
            snprintf(rn, sizeof rn, "r_%s", tags[k]);
            snprintf(yn, sizeof yn, "y_%s", tags[k]);
            snprintf(dan, sizeof dan, "da_%s", tags[k]);
            snprintf(dbn, sizeof dbn, "db_%s", tags[k]);
            struct gc_tensor *x[2] = {fx_input(&G, an), fx_input(&G, bn)}, *r = fx_input(&G, rn);
            struct gc_tensor *y = gc_matmul(G.g, x[0], x[1], k & 1, k >> 1), *dx[2];
            gc_assert_ok(gc_grad(G.g, gc_sum(G.g, gc_mul(G.g, y, r)), 2, x, dx));
            struct gc_tensor *outs[3] = {y, dx[0], dx[1]};
            plan(&G, 3, outs);
            fx_write(&G, x[0], an);
            fx_write(&G, x[1], bn);
            fx_write(&G, r, rn);
            gc_assert_ok(gc_plan_run(G.p));
            fx_check(&G, y, yn, GOLDEN_ATOL, GOLDEN_RTOL);
            fx_check(&G, dx[0], dan, GOLDEN_ATOL, GOLDEN_RTOL);
            fx_check(&G, dx[1], dbn, GOLDEN_ATOL, GOLDEN_RTOL);
            end(&G);
        }
}

static void test_losses(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct golden G;
        begin(&G, devs[d], "losses.gcf");
        struct gc_tensor *xt[2] = {fx_input(&G, "x"), fx_input(&G, "t")};
        struct gc_tensor *l[5] = {
            gc_bce_with_logits(G.g, xt[0], xt[1]), gc_mse_loss(G.g, xt[0], xt[1]),
            gc_l1_loss(G.g, xt[0], xt[1]), gc_bce_with_logits_const(G.g, xt[0], 1.0f),
            gc_mse_loss_const(G.g, xt[0], 0.0f)};
        struct gc_tensor *outs[13], *dg[2];
        int n = 0;
        for (int k = 0; k < 5; k++) {
            outs[n++] = l[k];
            gc_assert_ok(gc_grad(G.g, l[k], k < 3 ? 2 : 1, xt, dg));
            outs[n++] = dg[0];
            if (k < 3) outs[n++] = dg[1];
        }
        plan(&G, n, outs);
        fx_write(&G, xt[0], "x");
        fx_write(&G, xt[1], "t");
        gc_assert_ok(gc_plan_run(G.p));
        static const char *names[5] = {"bce", "mse", "l1", "bce1", "mse0"};
        n = 0;
        for (int k = 0; k < 5; k++) {
            char dx[16], dt[16];
            snprintf(dx, sizeof dx, "d%s_dx", names[k]);
            snprintf(dt, sizeof dt, "d%s_dt", names[k]);
            fx_check(&G, outs[n++], names[k], GOLDEN_ATOL, GOLDEN_RTOL);
            fx_check(&G, outs[n++], dx, GOLDEN_ATOL, GOLDEN_RTOL);
            if (k < 3) fx_check(&G, outs[n++], dt, GOLDEN_ATOL, GOLDEN_RTOL);
        }
        end(&G);
    }
}

static void test_activations(void **state)
{
    (void)state;
    static const char *names[4] = {"relu", "leaky_relu", "tanh", "sigmoid"};
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct golden G;
        begin(&G, devs[d], "activations.gcf");
        struct gc_tensor *x = fx_input(&G, "x"), *r = fx_input(&G, "r"), *outs[8];
        struct gc_tensor *y[4] = {gc_relu(G.g, x), gc_leaky_relu(G.g, x, 0.2f), gc_tanh(G.g, x),
                                  gc_sigmoid(G.g, x)};
        for (int k = 0; k < 4; k++) {
            outs[2 * k] = y[k];
            gc_assert_ok(gc_grad(G.g, gc_sum(G.g, gc_mul(G.g, y[k], r)), 1, &x, &outs[2 * k + 1]));
        }
        plan(&G, 8, outs);
        fx_write(&G, x, "x");
        fx_write(&G, r, "r");
        gc_assert_ok(gc_plan_run(G.p));
        for (int k = 0; k < 4; k++) {
            char yn[32], dn[32];
            snprintf(yn, sizeof yn, "y_%s", names[k]);
            snprintf(dn, sizeof dn, "dx_%s", names[k]);
            fx_check(&G, outs[2 * k], yn, GOLDEN_ATOL, GOLDEN_RTOL);
            fx_check(&G, outs[2 * k + 1], dn, GOLDEN_ATOL, GOLDEN_RTOL);
        }
        end(&G);
    }
}

/* ---- WGAN-GP gradient penalty: double backprop ---------------------------- */
static const char *const gp_params[4] = {"w1", "b1", "w2", "b2"};
static const char *const gp_grads[4] = {"dw1", "db1", "dw2", "db2"};

struct gp {
    struct golden G;
    struct gc_tensor *w[4], *dw[4], *xhat, *critic, *gx, *penalty;
    struct gc_plan *fwd; /* penalty only, for finite differences */
};

/* C(x) = Linear(16->32) -> LeakyReLU(0.2) -> Linear(32->1);
 * g = d sum(C(xhat)) / d xhat; penalty = mean((||g_n||_2 - 1)^2). */
static void gp_build(struct gp *P, struct gc_device *dev)
{
    struct golden *G = &P->G;
    begin(G, dev, "gp.gcf");
    struct gc_param_group *grp = gc_param_group(G->g, "critic");
    for (int k = 0; k < 4; k++) {
        int64_t shape[8];
        int nd;
        gc_fixture_get(G->fx, gp_params[k], shape, &nd);
        P->w[k] = gc_param(grp, gp_params[k], nd, shape);
    }
    gc_assert_ok(gc_param_group_alloc(grp));
    for (int k = 0; k < 4; k++)
        gc_assert_ok(gc_param_write(P->w[k], gc_fixture_get(G->fx, gp_params[k], NULL, NULL)));
    struct gc_graph *g = G->g;
    P->xhat = fx_input(G, "xhat");
    struct gc_tensor *h = gc_leaky_relu(g, gc_linear(g, P->xhat, P->w[0], P->w[1]), 0.2f);
    P->critic = gc_linear(g, h, P->w[2], P->w[3]); /* (8, 1) */
    gc_assert_ok(gc_grad(g, gc_sum(g, P->critic), 1, &P->xhat, &P->gx));
    struct gc_tensor *norm = gc_sqrt(g, gc_sum_axis(g, gc_square(g, P->gx), 1, false)); /* (8) */
    P->penalty = gc_mean(g, gc_square(g, gc_scale(g, norm, 1.0f, -1.0f)));
    gc_assert_ok(gc_grad(g, P->penalty, 4, P->w, P->dw));
    struct gc_tensor *outs[7] = {P->critic, P->gx, P->penalty, P->dw[0], P->dw[1], P->dw[2],
                                 P->dw[3]};
    plan(G, 7, outs);
    gc_assert_ok(gc_plan_create(g, 1, &P->penalty, &P->fwd));
    fx_write(G, P->xhat, "xhat");
    gc_assert_ok(gc_plan_write(P->fwd, P->xhat, gc_fixture_get(G->fx, "xhat", NULL, NULL)));
}

static void gp_destroy(struct gp *P)
{
    gc_plan_destroy(P->fwd);
    end(&P->G);
}

/* |got - want| <= GP_REL_TOL * max|want| element-wise, and the norm-wise
 * relative error; gradients that are exactly zero within GP_ZERO_ATOL. */
static void grad_check(struct golden *G, const struct gc_tensor *dw, const struct gc_tensor *w,
                       const char *param, const char *grad, const char *what)
{
    const float *want = gc_fixture_get(G->fx, grad, NULL, NULL);
    int64_t n = gc_tensor_numel(w);
    assert_int_equal(n, gc_fixture_numel(G->fx, grad));
    float *got = malloc(sizeof(float) * (size_t)n);
    gc_assert_ok(gc_plan_read(G->p, dw, got));
    double maxw = 0, diff2 = 0, want2 = 0;
    for (int64_t i = 0; i < n; i++) {
        maxw = fmax(maxw, fabs(want[i]));
        diff2 += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        want2 += (double)want[i] * want[i];
    }
    char label[400];
    snprintf(label, sizeof label, "d penalty / d %s@%s%s%s", param,
             gc_device_get_info(G->dev)->name, what ? ", " : "", what ? what : "");
    gc_assert_tensor_close(got, want, n, maxw > 0 ? GP_REL_TOL * maxw : GP_ZERO_ATOL, 0, label);
    if (what && maxw > 0) printf("%s: relative error %.3g\n", label, sqrt(diff2 / want2));
    if (maxw > 0 && sqrt(diff2 / want2) > GP_REL_TOL)
        fail_msg("%s: relative error %.3g > %.1g", label, sqrt(diff2 / want2), GP_REL_TOL);
    free(got);
}

static void gp_check_grad(struct gp *P, int k)
{
    grad_check(&P->G, P->dw[k], P->w[k], gp_params[k], gp_grads[k], NULL);
}

static void test_gradient_penalty(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gp P;
        gp_build(&P, devs[d]);
        gc_assert_ok(gc_plan_run(P.G.p));
        fx_check(&P.G, P.critic, "critic", GOLDEN_ATOL, GOLDEN_RTOL);
        fx_check(&P.G, P.gx, "gx", GOLDEN_ATOL, GOLDEN_RTOL);
        fx_check(&P.G, P.penalty, "penalty", GOLDEN_ATOL, GOLDEN_RTOL);
        for (int k = 0; k < 4; k++) gp_check_grad(&P, k);
        gp_destroy(&P);
    }
}

/* The same penalty (lambda 10) of a convolutional critic, on every device with both GEMM
 * implementations (GANCL_GEMM_IMPL, read when the plan picks its GEMM configs):
 *   C(x) = Conv(1->8, k4, s2, p1) -> LReLU(0.2) -> Conv(8->16, k4, s2, p1) -> LReLU(0.2)
 *          -> flatten -> Linear(256->1),   xhat = fake + alpha (real - fake), (4, 1, 16, 16).
 * Fixture gp_conv.gcf (tools/gen_fixtures.py). d penalty / d w is a chain of ~4 convolutions
 * and their transposes (sums of <= 256 float32 products each): GP_REL_TOL of the tensor's
 * largest value leaves two orders of magnitude over that rounding. The biases' gradients are
 * exactly zero (they only move the kinks). */
static const char *const gpc_params[6] = {"w1", "b1", "w2", "b2", "w3", "b3"};
static const char *const gpc_grads[6] = {"dw1", "db1", "dw2", "db2", "dw3", "db3"};

static struct gc_tensor *gpc_critic(struct gc_graph *g, struct gc_tensor *x,
                                    struct gc_tensor *const *w)
{
    struct gc_conv_geom geom = gc_conv_geom(2, 1);
    struct gc_tensor *h = gc_leaky_relu(g, gc_bias_add(g, gc_conv2d(g, x, w[0], geom), w[1]), 0.2f);
    h = gc_leaky_relu(g, gc_bias_add(g, gc_conv2d(g, h, w[2], geom), w[3]), 0.2f);
    return gc_linear(g, gc_flatten(g, h), w[4], w[5]); /* (4, 1) */
}

static void gpc_check(struct gc_device *dev, const char *impl)
{
    setenv("GANCL_GEMM_IMPL", impl, 1);
    struct golden G;
    begin(&G, dev, "gp_conv.gcf");
    struct gc_graph *g = G.g;
    struct gc_param_group *grp = gc_param_group(g, "critic");
    struct gc_tensor *w[6], *dw[6];
    for (int k = 0; k < 6; k++) {
        int64_t shape[8];
        int nd;
        gc_fixture_get(G.fx, gpc_params[k], shape, &nd);
        w[k] = gc_param(grp, gpc_params[k], nd, shape);
    }
    gc_assert_ok(gc_param_group_alloc(grp));
    for (int k = 0; k < 6; k++)
        gc_assert_ok(gc_param_write(w[k], gc_fixture_get(G.fx, gpc_params[k], NULL, NULL)));
    struct gc_tensor *real = fx_input(&G, "real"), *fake = fx_input(&G, "fake");
    struct gc_tensor *alpha = fx_input(&G, "alpha"), *gx;
    struct gc_tensor *xhat = gc_add(g, fake, gc_mul(g, alpha, gc_sub(g, real, fake)));
    struct gc_tensor *critic = gpc_critic(g, xhat, w);
    gc_assert_ok(gc_grad(g, gc_sum(g, critic), 1, &xhat, &gx));
    int64_t es[4] = {4, 1, 1, 1};
    struct gc_tensor *norm = gc_sqrt(g, gc_sum_to(g, gc_square(g, gx), 4, es));
    struct gc_tensor *penalty =
        gc_scale(g, gc_mean(g, gc_square(g, gc_scale(g, norm, 1.0f, -1.0f))), 10.0f, 0.0f);
    gc_assert_ok(gc_grad(g, penalty, 6, w, dw));
    struct gc_tensor *outs[9] = {critic, gx, penalty, dw[0], dw[1], dw[2], dw[3], dw[4], dw[5]};
    plan(&G, 9, outs);
    fx_write(&G, real, "real");
    fx_write(&G, fake, "fake");
    fx_write(&G, alpha, "alpha");
    gc_assert_ok(gc_plan_run(G.p));
    fx_check(&G, critic, "critic", GOLDEN_ATOL, GOLDEN_RTOL);
    fx_check(&G, gx, "gx", GOLDEN_ATOL, GOLDEN_RTOL);
    fx_check(&G, penalty, "penalty", GOLDEN_ATOL, GOLDEN_RTOL);
    for (int k = 0; k < 6; k++) {
        char label[300];
        snprintf(label, sizeof label, "%s GEMM, conv critic", impl);
        grad_check(&G, dw[k], w[k], gpc_params[k], gpc_grads[k], label);
    }
    end(&G);
    unsetenv("GANCL_GEMM_IMPL");
}

static void test_gradient_penalty_conv(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        gpc_check(devs[d], "own");
        gpc_check(devs[d], "clblast");
    }
}

static float penalty_now(struct gp *P)
{
    float v;
    gc_assert_ok(gc_plan_run(P->fwd));
    gc_assert_ok(gc_plan_read(P->fwd, P->penalty, &v));
    return v;
}

/* Would moving parameter (k, i) by +-eps move a first-layer pre-activation
 * h[n][j] = xhat[n] . w1[j] + b1[j] across 0? (w2, b2 never do.) */
static bool crosses_kink(const struct gc_fixture *fx, int k, int64_t i, double eps)
{
    if (k >= 2) return false;
    const float *w1 = gc_fixture_get(fx, "w1", NULL, NULL), *b1 = gc_fixture_get(fx, "b1", NULL, NULL);
    const float *x = gc_fixture_get(fx, "xhat", NULL, NULL);
    int64_t j = k == 0 ? i / 16 : i, col = i % 16;
    for (int n = 0; n < 8; n++) {
        double h = b1[j];
        for (int c = 0; c < 16; c++) h += (double)x[n * 16 + c] * w1[j * 16 + c];
        double move = k == 0 ? eps * fabs(x[n * 16 + col]) : eps;
        if (fabs(h) <= 2 * move) return true;
    }
    return false;
}

static void test_gradient_penalty_fd(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gp P;
        gp_build(&P, devs[d]);
        gc_assert_ok(gc_plan_run(P.G.p)); /* the analytic gradients */
        int checked = 0;
        for (int k = 0; k < 4; k++) {
            int64_t n = gc_tensor_numel(P.w[k]), stride = n > 40 ? n / 40 + 1 : 1;
            float *w = malloc(sizeof(float) * (size_t)n), *an = malloc(sizeof(float) * (size_t)n);
            memcpy(w, gc_fixture_get(P.G.fx, gp_params[k], NULL, NULL), sizeof(float) * (size_t)n);
            gc_assert_ok(gc_plan_read(P.G.p, P.dw[k], an));
            for (int64_t i = 0; i < n; i += stride) {
                if (crosses_kink(P.G.fx, k, i, GP_FD_EPS)) continue;
                float w0 = w[i], wp = w0 + (float)GP_FD_EPS, wm = w0 - (float)GP_FD_EPS;
                w[i] = wp;
                gc_assert_ok(gc_param_write(P.w[k], w));
                double lp = penalty_now(&P);
                w[i] = wm;
                gc_assert_ok(gc_param_write(P.w[k], w));
                double lm = penalty_now(&P);
                w[i] = w0;
                float fd = (float)((lp - lm) / ((double)wp - (double)wm));
                char label[400];
                snprintf(label, sizeof label, "finite differences of the penalty, %s[%lld]@%s",
                         gp_params[k], (long long)i, gc_device_get_info(devs[d])->name);
                gc_assert_tensor_close(&an[i], &fd, 1, GP_FD_ATOL, GP_FD_RTOL, label);
                checked++;
            }
            gc_assert_ok(gc_param_write(P.w[k], w));
            free(w);
            free(an);
        }
        assert_true(checked >= 60); /* most points are far from a kink */
        gp_destroy(&P);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_losses),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_gradient_penalty),
        cmocka_unit_test(test_gradient_penalty_fd),
        cmocka_unit_test(test_gradient_penalty_conv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
