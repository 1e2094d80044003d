/* SPDX-License-Identifier: MIT */
/* Max/average pooling and bilinear resizing (host/ops/pool.c) on every test
 * device: each forward op against the plain-C reference (tests/ref/
 * pool_ref.c, double) and PyTorch (tools/gen_pool_fixtures.py), its gradient
 * against the reference VJP and PyTorch, central differences; then each
 * backward op as an op of its own: forward = the reference VJP, its gradient
 * = the forward op (the partner it is built from), central differences.
 *
 * Inputs come from Philox as in the generator (same cases, names, seeds);
 * max pooling reads ranked inputs, so every window's maximum is unique and
 * at least 4 / numel above the runner-up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/nn_ops.h"
#include "gancl/philox.h"
#include "harness.h"
#include "ref/pool_ref.h"

/* Max pooling copies (exact); its adjoint adds at most 9 float terms (~1
 * ulp each vs the double reference). Average pooling: at most 9 terms and a
 * division. Resizing: the source coordinate is a float computation (PyTorch
 * does the same) whose rounding, ~ulp(H) ~ 2e-6 for the sizes here, moves a
 * weight by that much times a neighbour difference of <= 4: 1e-5 absolute;
 * a wrong tap or weight moves results by 0.05 or more. PyTorch's own float
 * kernels sum in other orders: same bounds. */
#define COPY_ATOL 0.0
#define ADJ_ATOL 2e-6
#define ADJ_RTOL 2e-6
#define RESIZE_ATOL 1e-5
#define RESIZE_RTOL 1e-5
/* Central differences with the loss sum(y * w) summed on the host in double
 * from the float outputs: the ops are piecewise linear, so the only error is
 * y's rounding, <= (outputs an input reaches, <= 25) * 1.2e-7 / (2 eps) ~
 * 2e-4 at eps 1e-2. Max pooling uses eps 4e-3 < half the gap between window
 * values (4 / numel >= 0.01), so no argmax moves. */
#define FD_ATOL 1e-3
#define FD_RTOL 1e-3
#define FD_POINTS 16

enum kind { MAXP, AVGP, RESIZE };
struct pcase {
    const char *name;
    enum kind kind;
    int64_t xs[4];
    int g[4]; /* pools: k, stride, pad, count_include_pad; resize: oh, ow */
    uint64_t seed;
};
static const struct pcase cases[] = {
    {"max_k3s2", MAXP, {2, 3, 9, 7}, {3, 2, 0, 0}, 701},
    {"max_k3s1p1", MAXP, {2, 3, 7, 5}, {3, 1, 1, 0}, 702},
    {"max_k3s2p1", MAXP, {1, 2, 8, 6}, {3, 2, 1, 0}, 703},
    {"avg_k3s1p1", AVGP, {2, 3, 7, 5}, {3, 1, 1, 0}, 711},
    {"avg_k3s1p1_inc", AVGP, {2, 3, 7, 5}, {3, 1, 1, 1}, 712},
    {"avg_k3s2p1", AVGP, {1, 2, 8, 6}, {3, 2, 1, 0}, 713},
    {"resize_up", RESIZE, {2, 3, 7, 5}, {17, 13}, 721},
    {"resize_down", RESIZE, {1, 2, 13, 11}, {5, 4}, 722},
    {"resize_mixed", RESIZE, {1, 2, 6, 9}, {11, 4}, 723},
    {"resize_same", RESIZE, {1, 1, 5, 5}, {5, 5}, 724},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static int64_t numel4(const int64_t s[4])
{
    return s[0] * s[1] * s[2] * s[3];
}

static float *gen(uint64_t seed, uint32_t stream, int64_t n, double lo, double hi)
{
    float *v = malloc(sizeof *v * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)(lo + (hi - lo) * (double)gc_philox_uniform(seed, stream, 0, (uint64_t)i));
    return v;
}

struct keyed {
    float u;
    int64_t i;
};
static int by_u(const void *a, const void *b)
{
    const struct keyed *p = a, *q = b;
    if (p->u != q->u) return p->u < q->u ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i; /* stable, as numpy's argsort(kind="stable") */
}

/* -2 + 4 rank / n of the stream-0 uniforms (see the file comment). */
static float *gen_ranked(uint64_t seed, int64_t n)
{
    struct keyed *k = malloc(sizeof *k * (size_t)n);
    for (int64_t i = 0; i < n; i++) k[i] = (struct keyed){gc_philox_uniform(seed, 0, 0, (uint64_t)i), i};
    qsort(k, (size_t)n, sizeof *k, by_u);
    float *v = malloc(sizeof *v * (size_t)n);
    for (int64_t r = 0; r < n; r++) v[k[r].i] = (float)(-2.0 + 4.0 * (double)r / (double)n);
    free(k);
    return v;
}

static void out_shape(const struct pcase *c, int64_t ys[4])
{
    ys[0] = c->xs[0], ys[1] = c->xs[1];
    if (c->kind == RESIZE) {
        ys[2] = c->g[0], ys[3] = c->g[1];
    } else {
        ys[2] = gc_pref_pooled(c->xs[2], c->g[0], c->g[1], c->g[2]);
        ys[3] = gc_pref_pooled(c->xs[3], c->g[0], c->g[1], c->g[2]);
    }
}

/* The forward op's reference on v (x: max pooling's selector). */
static void ref_fwd(const struct pcase *c, const float *v, const float *x, float *y)
{
    const int *g = c->g;
    if (c->kind == MAXP) gc_pref_max_pool(v, x, c->xs, g[0], g[1], g[2], y);
    else if (c->kind == AVGP) gc_pref_avg_pool(v, c->xs, g[0], g[1], g[2], g[3], y);
    else gc_pref_resize(v, c->xs, g[0], g[1], y);
}

static void ref_vjp(const struct pcase *c, const float *dy, const float *x, float *dx)
{
    const int *g = c->g;
    if (c->kind == MAXP) gc_pref_max_pool_vjp(dy, x, c->xs, g[0], g[1], g[2], dx);
    else if (c->kind == AVGP) gc_pref_avg_pool_vjp(dy, c->xs, g[0], g[1], g[2], g[3], dx);
    else gc_pref_resize_vjp(dy, c->xs, g[0], g[1], dx);
}

/* ---- one graph: y = op(u [, sel]), loss = sum(y * w), du ------------------ */
struct prun {
    struct gc_graph *g;
    struct gc_tensor *u, *sel, *w, *y, *du;
    struct gc_plan *plan;
    int64_t us[4], n_u, n_y;
    float *hu, *hw, *y_out, *du_out;
};

static struct gc_tensor *build(const struct pcase *c, bool backward, struct gc_graph *g,
                               struct gc_tensor *u, struct gc_tensor *sel)
{
    const int *k = c->g;
    int h = (int)c->xs[2], w = (int)c->xs[3];
    switch (c->kind) {
    case MAXP:
        return backward ? gc_max_pool2d_backward(g, u, sel, k[0], k[1], k[2])
                        : gc_max_pool2d(g, u, k[0], k[1], k[2]);
    case AVGP:
        return backward ? gc_avg_pool2d_backward(g, u, h, w, k[0], k[1], k[2], k[3])
                        : gc_avg_pool2d(g, u, k[0], k[1], k[2], k[3]);
    case RESIZE:
        return backward ? gc_resize_bilinear_backward(g, u, h, w)
                        : gc_resize_bilinear(g, u, k[0], k[1]);
    }
    return NULL;
}

/* hu (shape us) is taken over; hsel (c->xs) only read. */
static void prun_setup(struct prun *r, struct gc_device *dev, const struct pcase *c, bool backward,
                       const int64_t us[4], float *hu, const float *hsel, float *hw)
{
    memset(r, 0, sizeof *r);
    memcpy(r->us, us, sizeof r->us);
    r->hu = hu, r->hw = hw;
    gc_assert_ok(gc_graph_create(dev, &r->g));
    r->u = gc_input(r->g, "u", 4, us);
    if (hsel) r->sel = gc_input(r->g, "sel", 4, c->xs);
    r->y = build(c, backward, r->g, r->u, r->sel);
    gc_assert_ok(gc_graph_status(r->g));
    int64_t ys[4];
    for (int d = 0; d < 4; d++) ys[d] = gc_tensor_dim(r->y, d);
    r->n_u = numel4(us), r->n_y = numel4(ys);
    r->w = gc_input(r->g, "w", 4, ys);
    struct gc_tensor *loss = gc_sum(r->g, gc_mul(r->g, r->y, r->w));
    gc_assert_ok(gc_grad(r->g, loss, 1, &r->u, &r->du));
    struct gc_tensor *outs[2] = {r->y, r->du};
    gc_assert_ok(gc_plan_create(r->g, 2, outs, &r->plan));
    gc_assert_ok(gc_plan_write(r->plan, r->u, hu));
    gc_assert_ok(gc_plan_write(r->plan, r->w, hw));
    if (hsel) gc_assert_ok(gc_plan_write(r->plan, r->sel, hsel));
    r->y_out = malloc(sizeof(float) * (size_t)r->n_y);
    r->du_out = malloc(sizeof(float) * (size_t)r->n_u);
    gc_assert_ok(gc_plan_run(r->plan));
    gc_assert_ok(gc_plan_read(r->plan, r->y, r->y_out));
    gc_assert_ok(gc_plan_read(r->plan, r->du, r->du_out));
}

static void prun_teardown(struct prun *r)
{
    gc_plan_destroy(r->plan);
    gc_graph_destroy(r->g);
    free(r->hu), free(r->hw), free(r->y_out), free(r->du_out);
}

static double host_loss(struct prun *r)
{
    gc_assert_ok(gc_plan_write(r->plan, r->u, r->hu));
    gc_assert_ok(gc_plan_run(r->plan));
    gc_assert_ok(gc_plan_read(r->plan, r->y, r->y_out));
    double s = 0;
    for (int64_t j = 0; j < r->n_y; j++) s += (double)r->y_out[j] * r->hw[j];
    return s;
}

/* Central differences at FD_POINTS inputs (spread, always the last one). */
static void gradcheck(struct prun *r, float eps, const char *label)
{
    int64_t pts = r->n_u < FD_POINTS ? r->n_u : FD_POINTS;
    float an[FD_POINTS], fd[FD_POINTS];
    for (int64_t p = 0; p < pts; p++) {
        int64_t j = p == pts - 1 ? r->n_u - 1 : p * r->n_u / pts;
        float x0 = r->hu[j], xp = x0 + eps, xm = x0 - eps;
        r->hu[j] = xp;
        double lp = host_loss(r);
        r->hu[j] = xm;
        double lm = host_loss(r);
        r->hu[j] = x0;
        fd[p] = (float)((lp - lm) / ((double)xp - (double)xm));
        an[p] = r->du_out[j];
    }
    gc_assert_ok(gc_plan_write(r->plan, r->u, r->hu));
    gc_assert_tensor_close(an, fd, pts, FD_ATOL, FD_RTOL, label);
}

static const float *fx_get(const struct gc_fixture *fx, const char *name, const char *suffix,
                           int64_t n)
{
    char full[64];
    snprintf(full, sizeof full, "%s_%s", name, suffix);
    if (gc_fixture_numel(fx, full) != n)
        fail_msg("fixture %s has %lld values, expected %lld", full,
                 (long long)gc_fixture_numel(fx, full), (long long)n);
    return gc_fixture_get(fx, full, NULL, NULL);
}

static void label(char *buf, size_t n, struct gc_device *dev, const struct pcase *c,
                  const char *what)
{
    snprintf(buf, n, "%s on %.40s: %s", c->name, gc_device_get_info(dev)->platform_name, what);
}

/* The forward op: y and du vs reference and PyTorch, then central differences. */
static void check_forward(struct gc_device *dev, const struct pcase *c, const struct gc_fixture *fx)
{
    int64_t ys[4], nx = numel4(c->xs);
    out_shape(c, ys);
    int64_t ny = numel4(ys);
    bool mx = c->kind == MAXP;
    float *x = mx ? gen_ranked(c->seed, nx) : gen(c->seed, 0, nx, -2.0, 2.0);
    struct prun r;
    prun_setup(&r, dev, c, false, c->xs, x, NULL, gen(c->seed, 1, ny, -1.0, 1.0));
    float *ey = malloc(sizeof(float) * (size_t)ny), *edx = malloc(sizeof(float) * (size_t)nx);
    ref_fwd(c, x, x, ey);
    ref_vjp(c, r.hw, x, edx);
    double fa = mx ? COPY_ATOL : c->kind == AVGP ? ADJ_ATOL : RESIZE_ATOL;
    double fr = mx ? 0 : c->kind == AVGP ? ADJ_RTOL : RESIZE_RTOL;
    double ba = c->kind == RESIZE ? RESIZE_ATOL : ADJ_ATOL;
    double br = c->kind == RESIZE ? RESIZE_RTOL : ADJ_RTOL;
    char lb[200];
    label(lb, sizeof lb, dev, c, "forward vs reference");
    gc_assert_tensor_close_shape(r.y_out, ey, ys, 4, fa, fr, lb);
    label(lb, sizeof lb, dev, c, "forward vs PyTorch");
    gc_assert_tensor_close_shape(r.y_out, fx_get(fx, c->name, "y", ny), ys, 4, fa, fr, lb);
    label(lb, sizeof lb, dev, c, "gradient vs reference VJP");
    gc_assert_tensor_close_shape(r.du_out, edx, c->xs, 4, ba, br, lb);
    label(lb, sizeof lb, dev, c, "gradient vs PyTorch");
    gc_assert_tensor_close_shape(r.du_out, fx_get(fx, c->name, "dx", nx), c->xs, 4, ba, br, lb);
    label(lb, sizeof lb, dev, c, "gradcheck");
    gradcheck(&r, mx ? 4e-3f : 1e-2f, lb);
    free(ey), free(edx);
    prun_teardown(&r);
}

/* The backward op on its own: forward = reference VJP of u, gradient = the
 * forward op applied to w, central differences (it is linear in u). */
static void check_backward(struct gc_device *dev, const struct pcase *c)
{
    int64_t ys[4], nx = numel4(c->xs);
    out_shape(c, ys);
    int64_t ny = numel4(ys);
    bool mx = c->kind == MAXP;
    float *sel = mx ? gen_ranked(c->seed, nx) : NULL;
    struct prun r;
    prun_setup(&r, dev, c, true, ys, gen(c->seed, 2, ny, -1.0, 1.0), sel,
               gen(c->seed, 3, nx, -1.0, 1.0));
    float *ey = malloc(sizeof(float) * (size_t)nx), *edu = malloc(sizeof(float) * (size_t)ny);
    ref_vjp(c, r.hu, sel, ey);
    ref_fwd(c, r.hw, sel, edu);
    double a = c->kind == RESIZE ? RESIZE_ATOL : ADJ_ATOL;
    double rt = c->kind == RESIZE ? RESIZE_RTOL : ADJ_RTOL;
    char lb[200];
    label(lb, sizeof lb, dev, c, "backward op forward vs reference VJP");
    gc_assert_tensor_close_shape(r.y_out, ey, c->xs, 4, a, rt, lb);
    label(lb, sizeof lb, dev, c, "backward op gradient vs reference forward");
    gc_assert_tensor_close_shape(r.du_out, edu, ys, 4, mx ? COPY_ATOL : a, mx ? 0 : rt, lb);
    label(lb, sizeof lb, dev, c, "backward op gradcheck");
    gradcheck(&r, 1e-2f, lb);
    free(ey), free(edu), free(sel);
    prun_teardown(&r);
}

static void run_kind(enum kind k)
{
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *fx = gc_fixture_load("pool.gcf");
    for (int d = 0; d < nd; d++)
        for (int i = 0; i < N_CASES; i++)
            if (cases[i].kind == k) {
                check_forward(devs[d], &cases[i], fx);
                check_backward(devs[d], &cases[i]);
            }
    gc_fixture_free(fx);
}

static void test_max_pool(void **state)
{
    (void)state;
    run_kind(MAXP);
}

static void test_avg_pool(void **state)
{
    (void)state;
    run_kind(AVGP);
}

static void test_resize_bilinear(void **state)
{
    (void)state;
    run_kind(RESIZE);
}

/* Inception's resize, 28x28 gray -> 299x299 (the biggest upsampling eval
 * does: ~11 outputs per input per axis), against the reference. */
static void test_resize_inception(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    const struct pcase c = {"resize_28_299", RESIZE, {1, 1, 28, 28}, {299, 299}, 731};
    for (int d = 0; d < nd; d++) {
        int64_t ys[4] = {1, 1, 299, 299};
        struct prun r;
        prun_setup(&r, devs[d], &c, false, c.xs, gen(c.seed, 0, 784, 0.0, 1.0), NULL,
                   gen(c.seed, 1, 299 * 299, -1.0, 1.0));
        float *ey = malloc(sizeof(float) * 299 * 299), edx[784];
        gc_pref_resize(r.hu, c.xs, 299, 299, ey);
        gc_pref_resize_vjp(r.hw, c.xs, 299, 299, edx);
        char lb[200];
        label(lb, sizeof lb, devs[d], &c, "forward vs reference");
        gc_assert_tensor_close_shape(r.y_out, ey, ys, 4, RESIZE_ATOL, RESIZE_RTOL, lb);
        /* each input gathers ~11 x 11 weighted terms of magnitude <= 1 */
        label(lb, sizeof lb, devs[d], &c, "gradient vs reference VJP");
        gc_assert_tensor_close_shape(r.du_out, edx, c.xs, 4, 1e-4, 1e-5, lb);
        free(ey);
        prun_teardown(&r);
    }
}

static void expect_fail(struct gc_graph *g, const struct gc_tensor *t, const char *what)
{
    if (t) fail_msg("%s: expected a builder error", what);
    if (gc_graph_status(g) != GC_INVALID_ARG) fail_msg("%s: expected GC_INVALID_ARG", what);
}

static void test_bad_args(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    const int64_t xs[4] = {1, 2, 5, 5}, flat[2] = {2, 25}, other[4] = {1, 2, 4, 5};
    struct {
        const char *what;
        int which;
    } bad[] = {{"max pool padding > k/2", 0}, {"max pool of a 2-D tensor", 1},
               {"avg pool window > input", 2}, {"resize to 0 rows", 3},
               {"select with v and x of different shapes", 4},
               {"avg_pool_backward of the wrong size", 5}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[0], &g));
        struct gc_tensor *x = gc_input(g, "x", 4, xs), *t = NULL;
        switch (bad[i].which) {
        case 0: t = gc_max_pool2d(g, x, 3, 1, 2); break;
        case 1: t = gc_max_pool2d(g, gc_input(g, "f", 2, flat), 3, 1, 1); break;
        case 2: t = gc_avg_pool2d(g, x, 7, 1, 0, false); break;
        case 3: t = gc_resize_bilinear(g, x, 0, 5); break;
        case 4: t = gc_max_pool2d_select(g, gc_input(g, "v", 4, other), x, 3, 1, 1); break;
        case 5: t = gc_avg_pool2d_backward(g, x, 9, 9, 3, 1, 1, false); break;
        }
        expect_fail(g, t, bad[i].what);
        gc_graph_destroy(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_args),        cmocka_unit_test(test_max_pool),
        cmocka_unit_test(test_avg_pool),        cmocka_unit_test(test_resize_bilinear),
        cmocka_unit_test(test_resize_inception),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
