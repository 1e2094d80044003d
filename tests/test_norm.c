/* SPDX-License-Identifier: MIT */
/* Padding, nearest upsampling, batch/instance/layer norm and dropout
 * (include/gancl/nn_ops.h) on every test device: forward against the
 * plain-C references in tests/ref/norm_ref.c (double), gradients against the
 * references' VJPs, finite-difference gradient checks through the device,
 * double backward (gradient of sum((d loss / dx)^2)) for the affine norms,
 * batch norm's running statistics and eval mode, and PyTorch fixtures
 * (tools/gen_norm_fixtures.py) at the workloads' exact layer shapes.
 *
 * Inputs come from Philox (gc_philox_uniform), which the fixture generator
 * reimplements, so fixtures store only results. The case tables below mirror
 * the generator's (same names, shapes, seeds). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/nn_ops.h"
#include "gancl/philox.h"
#include "graph/graph_impl.h" /* dropout: the stream of its uniform draw */
#include "harness.h"
#include "ref/norm_ref.h"

/* Copies (padding, upsampling) are exact; their adjoints add at most 9 (pad)
 * or 4 (pool) float terms, ~1 ulp each against the double reference. */
#define COPY_ATOL 0.0
#define ADJ_ATOL 2e-6
#define ADJ_RTOL 1e-6
/* Norms in float against double: the statistics are float sums of up to
 * 16384 values of magnitude ~3 (errors ~1e-6 relative after the tree
 * reduction), amplified by rstd ~1 and by |xhat| <= ~4 in the output and by
 * the group sums of the backward. Measured worst on PoCL and rusticl: 4e-7
 * (training forward), 1.5e-5 absolute on outputs up to ~30 (eval mode with a
 * running variance of 1e-3); 1e-4 leaves room and still catches any wrong
 * term (a sign error in the backward shows as 0.2). */
#define NORM_ATOL 1e-4
#define NORM_RTOL 1e-4
/* PyTorch fixtures: two float32 computations with different summation
 * orders; same reasoning, plus the fixture's 9 printed digits. Checksums
 * (sums over up to 16384 values) are compared relative to their magnitude. */
#define TORCH_ATOL 2e-4
#define TORCH_RTOL 2e-4
#define SUM_RTOL 1e-4
/* Finite differences through the device in float32: central differences with
 * a step of 1e-2 on inputs of magnitude ~1 have a truncation error ~eps^2
 * |f'''| ~ 1e-4 and a rounding error ~ulp(loss)/eps ~ 1e-5 * |loss|/1e-2
 * (loss ~ 10 here): 5e-3 absolute + 2% relative passes a correct gradient and
 * fails any wrong term of the backward, whose effects are O(0.1) or more. */
#define FD_EPS 1e-2f
#define FD_ATOL 5e-3
#define FD_RTOL 2e-2
#define FD_POINTS 12
/* Running statistics: the device recovers the variance from rstd (a few
 * ulp), so ~1e-6 relative, plus the float update. */
#define RUN_ATOL 1e-5
#define RUN_RTOL 1e-5
#define EPS 1e-5f
#define MOMENTUM 0.1f
#define RNG_COUNTER 7 /* fixed before every run: dropout's mask stays put */

/* ---- inputs from Philox (same formulas in tools/gen_norm_fixtures.py) ----- */
static int64_t numel4(const int64_t s[4])
{
    return s[0] * s[1] * s[2] * s[3];
}

/* lo + (hi - lo) u in double, rounded to float */
static float *gen(int64_t n, uint64_t seed, uint32_t stream, double lo, double hi)
{
    float *v = malloc(sizeof *v * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)(lo + (hi - lo) * (double)gc_philox_uniform(seed, stream, 0, (uint64_t)i));
    return v;
}

/* uniform [-2, 2) times 1 + 0.5 (c % 3), plus 0.25 (c % 5): channels differ in
 * mean and spread, so per-channel statistics matter */
static float *gen_x(const int64_t xs[4], uint64_t seed)
{
    int64_t n = numel4(xs), hw = xs[2] * xs[3];
    float *v = malloc(sizeof *v * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = (i / hw) % xs[1];
        double u = -2.0 + 4.0 * (double)gc_philox_uniform(seed, 0, 0, (uint64_t)i);
        v[i] = (float)(u * (1.0 + 0.5 * (double)(c % 3)) + 0.25 * (double)(c % 5));
    }
    return v;
}

/* ---- one graph: y = op(x [, gamma, beta]), loss = sum(y * w), gradients --- */
struct run;
typedef struct gc_tensor *(*build_fn)(struct run *r, struct gc_tensor *x);

struct run {
    const void *ctx; /* the case, for the build function */
    struct gc_graph *g;
    struct gc_param_group *grp, *buf;
    struct gc_tensor *x, *gm, *bt, *rm, *rv, *w, *y, *loss, *dx, *dgm, *dbt;
    struct gc_plan *plan;
    int64_t xs[4], ys[4];
    float *hx, *hgm, *hbt, *hw;                /* inputs */
    float *y_out, *dx_out, *dgm_out, *dbt_out; /* results */
};

/* Affine parameters (shape as, ndim and) are generated from streams 2 and 3;
 * and == 0: none. */
static void run_setup2(struct run *r, struct gc_device *dev, const int64_t xs[4], uint64_t seed,
                       int and, const int64_t *as, build_fn build, const void *ctx, bool second)
{
    memset(r, 0, sizeof *r);
    memcpy(r->xs, xs, sizeof r->xs);
    r->ctx = ctx;
    gc_assert_ok(gc_graph_create(dev, &r->g));
    r->grp = gc_param_group(r->g, "p");
    r->x = gc_input(r->g, "x", 4, xs);
    r->hx = gen_x(xs, seed);
    int64_t an = 1;
    for (int d = 0; d < and; d++)
        an *= as[d];
    if (and) {
        r->gm = gc_param(r->grp, "weight", and, as);
        r->bt = gc_param(r->grp, "bias", and, as);
        r->hgm = gen(an, seed, 2, 0.5, 1.5);
        r->hbt = gen(an, seed, 3, -0.5, 0.5);
    }
    r->y = build(r, r->x);
    gc_assert_ok(gc_graph_status(r->g));
    for (int d = 0; d < 4; d++)
        r->ys[d] = gc_tensor_dim(r->y, d);
    r->w = gc_input(r->g, "w", 4, r->ys);
    r->hw = gen(numel4(r->ys), seed, 1, -1.0, 1.0);
    r->loss = gc_sum(r->g, gc_mul(r->g, r->y, r->w));
    struct gc_tensor *wrt[3] = {r->x, r->gm, r->bt}, *gr[3];
    gc_assert_ok(gc_grad(r->g, r->loss, and? 3 : 1, wrt, gr));
    r->dx = gr[0];
    r->dgm = and? gr[1] : NULL;
    r->dbt = and? gr[2] : NULL;
    if (second) { /* loss := sum((d loss / dx)^2); gradients w.r.t. x and gamma */
        r->loss = gc_sum(r->g, gc_square(r->g, r->dx));
        gc_assert_ok(gc_grad(r->g, r->loss, 2, wrt, gr));
        r->dx = gr[0];
        r->dgm = gr[1];
        r->dbt = NULL;
    }
    gc_assert_ok(gc_param_group_alloc(r->grp));
    if (r->buf) {
        gc_assert_ok(gc_param_group_alloc(r->buf));
        gc_assert_ok(gc_param_fill(r->rm, 0.0f)); /* PyTorch's initial buffers */
        gc_assert_ok(gc_param_fill(r->rv, 1.0f));
    }
    struct gc_tensor *outs[5] = {r->y, r->loss, r->dx, r->dgm, r->dbt};
    gc_assert_ok(gc_plan_create(r->g, and? (second ? 4 : 5) : 3, outs, &r->plan));
    gc_assert_ok(gc_plan_write(r->plan, r->x, r->hx));
    gc_assert_ok(gc_plan_write(r->plan, r->w, r->hw));
    if (and) {
        gc_assert_ok(gc_param_write(r->gm, r->hgm));
        gc_assert_ok(gc_param_write(r->bt, r->hbt));
    }
    r->y_out = malloc(sizeof(float) * (size_t)numel4(r->ys));
    r->dx_out = malloc(sizeof(float) * (size_t)numel4(xs));
    r->dgm_out = malloc(sizeof(float) * (size_t)an);
    r->dbt_out = malloc(sizeof(float) * (size_t)an);
}

static void run_setup(struct run *r, struct gc_device *dev, const int64_t xs[4], uint64_t seed,
                      int and, const int64_t *as, build_fn build, const void *ctx)
{
    run_setup2(r, dev, xs, seed, and, as, build, ctx, false);
}

static float run_loss(struct run *r)
{
    float l;
    gc_plan_set_rng_counter(r->plan, RNG_COUNTER);
    gc_assert_ok(gc_plan_run(r->plan));
    gc_assert_ok(gc_plan_read(r->plan, r->loss, &l));
    return l;
}

static void run_all(struct run *r)
{
    run_loss(r);
    gc_assert_ok(gc_plan_read(r->plan, r->y, r->y_out));
    gc_assert_ok(gc_plan_read(r->plan, r->dx, r->dx_out));
    if (r->dgm) gc_assert_ok(gc_plan_read(r->plan, r->dgm, r->dgm_out));
    if (r->dbt) gc_assert_ok(gc_plan_read(r->plan, r->dbt, r->dbt_out));
}

static void run_teardown(struct run *r)
{
    gc_plan_destroy(r->plan);
    gc_graph_destroy(r->g);
    free(r->hx), free(r->hgm), free(r->hbt), free(r->hw);
    free(r->y_out), free(r->dx_out), free(r->dgm_out), free(r->dbt_out);
}

/* Central differences of the loss w.r.t. FD_POINTS elements of v (the input
 * x, or the parameter p), against the gradient `grad`. */
static void fd_check(struct run *r, struct gc_tensor *p, float *v, int64_t n, const float *grad,
                     const char *label)
{
    for (int k = 0; k < FD_POINTS && k < n; k++) {
        int64_t i = (int64_t)(((uint64_t)k * 2654435761u + 17) % (uint64_t)n);
        float keep = v[i];
        float l[2];
        for (int s = 0; s < 2; s++) {
            v[i] = keep + (s ? -FD_EPS : FD_EPS);
            gc_assert_ok(p ? gc_param_write(p, v) : gc_plan_write(r->plan, r->x, v));
            l[s] = run_loss(r);
        }
        v[i] = keep;
        gc_assert_ok(p ? gc_param_write(p, v) : gc_plan_write(r->plan, r->x, v));
        double fd = ((double)l[0] - (double)l[1]) / (2.0 * FD_EPS);
        if (!(fabs(fd - grad[i]) <= FD_ATOL + FD_RTOL * fabs(fd)))
            fail_msg("%s: gradcheck at flat %lld: autodiff %.6g, finite difference %.6g", label,
                     (long long)i, (double)grad[i], fd);
    }
}

static void label_of(char *buf, size_t n, struct gc_device *dev, const char *name, const char *what)
{
    snprintf(buf, n, "%.20s on %.40s: %.60s", name, gc_device_get_info(dev)->platform_name, what);
}

/* The fixture tensor PREFIX_SUFFIX, checked for size n. */
static const float *fx_get(const struct gc_fixture *fx, const char *prefix, const char *suffix,
                           int64_t n)
{
    char name[64];
    snprintf(name, sizeof name, "%s_%s", prefix, suffix);
    if (gc_fixture_numel(fx, name) != n)
        fail_msg("fixture %s has %lld values, expected %lld", name,
                 (long long)gc_fixture_numel(fx, name), (long long)n);
    return gc_fixture_get(fx, name, NULL, NULL);
}

/* ---- padding and upsampling ------------------------------------------------ */
struct pad_case {
    const char *name;
    enum gc_pad_mode mode;
    int64_t xs[4];
    int pads[4]; /* left, right, top, bottom */
    uint64_t seed;
};

/* tools/gen_norm_fixtures.py SMALL_PAD */
static const struct pad_case small_pad_cases[] = {
    {"pz", GC_PAD_ZERO, {2, 3, 7, 5}, {2, 1, 3, 0}, 401},
    {"pr", GC_PAD_REFLECT, {2, 3, 7, 5}, {2, 1, 3, 0}, 402},
    {"pp", GC_PAD_REPLICATE, {2, 3, 7, 5}, {2, 1, 3, 0}, 403},
    {"pr2", GC_PAD_REFLECT, {1, 2, 3, 3}, {2, 2, 2, 2}, 404},   /* both mirrors reach one input */
    {"pp1", GC_PAD_REPLICATE, {1, 2, 1, 1}, {2, 3, 1, 2}, 405}, /* one pixel fills everything */
};

static struct gc_tensor *build_pad(struct run *r, struct gc_tensor *x)
{
    const struct pad_case *c = r->ctx;
    return gc_pad2d(r->g, x, c->mode, c->pads[0], c->pads[1], c->pads[2], c->pads[3]);
}

static void check_pad_case(struct gc_device *dev, const struct pad_case *c,
                           const struct gc_fixture *fx)
{
    struct run r;
    char lb[200];
    run_setup(&r, dev, c->xs, c->seed, 0, NULL, build_pad, c);
    run_all(&r);
    int64_t ny = numel4(r.ys), nx = numel4(c->xs);
    float *ey = malloc(sizeof(float) * (size_t)ny), *edx = malloc(sizeof(float) * (size_t)nx);
    gc_nref_pad(r.hx, c->xs, c->mode, c->pads, ey);
    gc_nref_pad_vjp(r.hw, c->xs, c->mode, c->pads, edx);
    label_of(lb, sizeof lb, dev, c->name, "pad forward vs reference");
    gc_assert_tensor_close_shape(r.y_out, ey, r.ys, 4, COPY_ATOL, 0, lb);
    label_of(lb, sizeof lb, dev, c->name, "pad backward vs reference VJP");
    gc_assert_tensor_close_shape(r.dx_out, edx, c->xs, 4, ADJ_ATOL, ADJ_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "pad forward vs PyTorch");
    gc_assert_tensor_close_shape(r.y_out, fx_get(fx, c->name, "y", ny), r.ys, 4, COPY_ATOL, 0, lb);
    label_of(lb, sizeof lb, dev, c->name, "pad backward vs PyTorch");
    gc_assert_tensor_close_shape(r.dx_out, fx_get(fx, c->name, "dx", nx), c->xs, 4, ADJ_ATOL,
                                 ADJ_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "pad gradcheck");
    fd_check(&r, NULL, r.hx, nx, r.dx_out, lb);
    run_teardown(&r);
    free(ey), free(edx);
}

/* pad_backward is an op too: its gradient (pad again) must be the transpose,
 * i.e. d sum(pad_backward(v) * w) / dv = pad(w). */
static struct gc_tensor *build_pad_adj(struct run *r, struct gc_tensor *v)
{
    const struct pad_case *c = r->ctx;
    return gc_pad2d_backward(r->g, v, c->mode, c->pads[0], c->pads[1], c->pads[2], c->pads[3]);
}

static void check_pad_adjoint(struct gc_device *dev, const struct pad_case *c)
{
    int64_t vs[4] = {c->xs[0], c->xs[1], c->xs[2] + c->pads[2] + c->pads[3],
                     c->xs[3] + c->pads[0] + c->pads[1]};
    struct run r;
    char lb[200];
    run_setup(&r, dev, vs, c->seed, 0, NULL, build_pad_adj, c);
    run_all(&r);
    float *ey = malloc(sizeof(float) * (size_t)numel4(c->xs));
    float *edv = malloc(sizeof(float) * (size_t)numel4(vs));
    gc_nref_pad_vjp(r.hx, c->xs, c->mode, c->pads, ey);
    gc_nref_pad(r.hw, c->xs, c->mode, c->pads, edv);
    label_of(lb, sizeof lb, dev, c->name, "pad_backward forward vs reference");
    gc_assert_tensor_close_shape(r.y_out, ey, c->xs, 4, ADJ_ATOL, ADJ_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "pad_backward's gradient (pad) vs reference");
    gc_assert_tensor_close_shape(r.dx_out, edv, vs, 4, COPY_ATOL, 0, lb);
    label_of(lb, sizeof lb, dev, c->name, "pad_backward gradcheck");
    fd_check(&r, NULL, r.hx, numel4(vs), r.dx_out, lb);
    run_teardown(&r);
    free(ey), free(edv);
}

static void test_pad_small(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *fx = gc_fixture_load("norm_pad.gcf");
    for (int d = 0; d < nd; d++)
        for (size_t i = 0; i < sizeof small_pad_cases / sizeof small_pad_cases[0]; i++) {
            check_pad_case(devs[d], &small_pad_cases[i], fx);
            check_pad_adjoint(devs[d], &small_pad_cases[i]);
        }
    gc_fixture_free(fx);
}

/* Samples (k * 2654435761) mod n, k < count, and per-channel sums against a
 * fixture's checksums. */
static void check_checksums(const float *a, const int64_t s[4], const float *csum,
                            const float *samp, int64_t count, bool square, const char *lb)
{
    int64_t n = numel4(s), hw = s[2] * s[3];
    float *got = malloc(sizeof(float) * (size_t)(s[1] > count ? s[1] : count));
    double scale = 0;
    for (int64_t c = 0; c < s[1]; c++) {
        double acc = 0;
        for (int64_t b = 0; b < s[0]; b++)
            for (int64_t j = 0; j < hw; j++) {
                double v = a[(b * s[1] + c) * hw + j];
                acc += square ? v * v : v;
                scale += fabs(v) * (square ? fabs(v) : 1.0);
            }
        got[c] = (float)acc;
    }
    /* a channel sum may cancel to ~0: compare against the typical magnitude */
    char l2[260];
    snprintf(l2, sizeof l2, "%s (per-channel %s)", lb, square ? "sums of squares" : "sums");
    gc_assert_tensor_close(got, csum, s[1], SUM_RTOL * scale / (double)s[1], SUM_RTOL, l2);
    for (int64_t k = 0; k < count; k++)
        got[k] = a[(uint64_t)k * 2654435761u % (uint64_t)n];
    snprintf(l2, sizeof l2, "%s (sampled elements)", lb);
    gc_assert_tensor_close(got, samp, count, TORCH_ATOL, TORCH_RTOL, l2);
    free(got);
}

#define SAMPLES 128 /* tools/gen_norm_fixtures.py SAMPLES */

static const struct pad_case big_pad_cases[] = {
    {"r3", GC_PAD_REFLECT, {1, 3, 64, 64}, {3, 3, 3, 3}, 501},   /* cyclegan64 G, first/last */
    {"r1", GC_PAD_REFLECT, {1, 256, 16, 16}, {1, 1, 1, 1}, 502}, /* cyclegan64 G, res blocks */
};

static void test_pad_workloads(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *fx = gc_fixture_load("norm_pad.gcf");
    for (int d = 0; d < nd; d++)
        for (size_t i = 0; i < sizeof big_pad_cases / sizeof big_pad_cases[0]; i++) {
            const struct pad_case *c = &big_pad_cases[i];
            struct run r;
            char lb[200];
            run_setup(&r, devs[d], c->xs, c->seed, 0, NULL, build_pad, c);
            run_all(&r);
            label_of(lb, sizeof lb, devs[d], c->name, "ReflectionPad2d forward vs PyTorch");
            check_checksums(r.y_out, r.ys, fx_get(fx, c->name, "y_csum", r.ys[1]),
                            fx_get(fx, c->name, "y_samp", SAMPLES), SAMPLES, false, lb);
            label_of(lb, sizeof lb, devs[d], c->name, "ReflectionPad2d backward vs PyTorch");
            check_checksums(r.dx_out, c->xs, fx_get(fx, c->name, "dx_csum", c->xs[1]),
                            fx_get(fx, c->name, "dx_samp", SAMPLES), SAMPLES, false, lb);
            run_teardown(&r);
        }
    gc_fixture_free(fx);
}

static struct gc_tensor *build_up(struct run *r, struct gc_tensor *x)
{
    return gc_upsample_nearest(r->g, x, 2);
}

static struct gc_tensor *build_pool(struct run *r, struct gc_tensor *x)
{
    return gc_sum_pool(r->g, x, 2);
}

static void test_upsample(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *fx = gc_fixture_load("norm_pad.gcf");
    const int64_t xs[4] = {2, 3, 7, 5}, bs[4] = {2, 3, 14, 10};
    for (int d = 0; d < nd; d++) {
        struct run r;
        char lb[200];
        run_setup(&r, devs[d], xs, 601, 0, NULL, build_up, NULL);
        run_all(&r);
        float ey[840], edx[210];
        gc_nref_upsample(r.hx, xs, 2, ey);
        gc_nref_upsample_vjp(r.hw, xs, 2, edx);
        label_of(lb, sizeof lb, devs[d], "upsample x2", "forward vs reference and PyTorch");
        gc_assert_tensor_close_shape(r.y_out, ey, bs, 4, COPY_ATOL, 0, lb);
        gc_assert_tensor_close_shape(r.y_out, fx_get(fx, "up", "y", 840), bs, 4, COPY_ATOL, 0, lb);
        label_of(lb, sizeof lb, devs[d], "upsample x2", "backward vs reference and PyTorch");
        gc_assert_tensor_close_shape(r.dx_out, edx, xs, 4, ADJ_ATOL, ADJ_RTOL, lb);
        gc_assert_tensor_close_shape(r.dx_out, fx_get(fx, "up", "dx", 210), xs, 4, ADJ_ATOL,
                                     ADJ_RTOL, lb);
        label_of(lb, sizeof lb, devs[d], "upsample x2", "gradcheck");
        fd_check(&r, NULL, r.hx, 210, r.dx_out, lb);
        run_teardown(&r);
        /* sum_pool (upsampling's gradient) and its own gradient, upsampling */
        run_setup(&r, devs[d], bs, 602, 0, NULL, build_pool, NULL);
        run_all(&r);
        gc_nref_upsample_vjp(r.hx, xs, 2, edx);
        gc_nref_upsample(r.hw, xs, 2, ey);
        label_of(lb, sizeof lb, devs[d], "sum_pool 2", "forward and backward vs reference");
        gc_assert_tensor_close_shape(r.y_out, edx, xs, 4, ADJ_ATOL, ADJ_RTOL, lb);
        gc_assert_tensor_close_shape(r.dx_out, ey, bs, 4, COPY_ATOL, 0, lb);
        label_of(lb, sizeof lb, devs[d], "sum_pool 2", "gradcheck");
        fd_check(&r, NULL, r.hx, 840, r.dx_out, lb);
        run_teardown(&r);
    }
    gc_fixture_free(fx);
}

/* ---- normalisation --------------------------------------------------------- */
struct norm_case {
    const char *name;
    enum gc_norm_kind kind;
    int64_t xs[4];
    uint64_t seed;
    bool affine;
};

/* tools/gen_norm_fixtures.py SMALL_NORM */
static const struct norm_case small_norm_cases[] = {
    {"bn", GC_NORM_BATCH, {3, 3, 7, 5}, 101, true},
    {"in", GC_NORM_INSTANCE, {2, 3, 7, 5}, 102, false},
    {"ina", GC_NORM_INSTANCE, {2, 3, 7, 5}, 103, true},
    {"ln", GC_NORM_LAYER, {2, 3, 7, 5}, 104, true},
    {"bn1", GC_NORM_BATCH, {4, 5, 1, 1}, 105, true}, /* BatchNorm after a 1x1 map */
};

/* BATCH gets running statistics (when `running`) in a group of their own. */
static struct gc_tensor *norm_layer(struct run *r, struct gc_tensor *x, bool running)
{
    const struct norm_case *c = r->ctx;
    switch (c->kind) {
    case GC_NORM_BATCH:
        if (running) {
            int64_t ch = c->xs[1];
            r->buf = gc_param_group(r->g, "buffers");
            r->rm = gc_param(r->buf, "running_mean", 1, &ch);
            r->rv = gc_param(r->buf, "running_var", 1, &ch);
        }
        return gc_batch_norm(r->g, x, r->gm, r->bt, r->rm, r->rv, MOMENTUM, EPS);
    case GC_NORM_INSTANCE:
        return gc_instance_norm(r->g, x, r->gm, r->bt, EPS);
    default:
        return gc_layer_norm(r->g, x, r->gm, r->bt, EPS);
    }
}

static struct gc_tensor *build_norm(struct run *r, struct gc_tensor *x)
{
    return norm_layer(r, x, true);
}

static struct gc_tensor *build_norm_plain(struct run *r, struct gc_tensor *x)
{
    return norm_layer(r, x, false);
}

static int affine_dims(const struct norm_case *c, int64_t as[3])
{
    if (!c->affine) return 0;
    if (c->kind != GC_NORM_LAYER) return as[0] = c->xs[1], 1;
    memcpy(as, c->xs + 1, 3 * sizeof *as);
    return 3;
}

static int64_t n_groups(const struct norm_case *c)
{
    return c->kind == GC_NORM_BATCH      ? c->xs[1]
           : c->kind == GC_NORM_INSTANCE ? c->xs[0] * c->xs[1]
                                         : c->xs[0];
}

/* Running statistics after `steps` identical training steps from (0, 1). */
static void expected_running(const struct norm_case *c, const double *mean, const double *var,
                             int steps, float *rm, float *rv)
{
    double m = (double)numel4(c->xs) / (double)c->xs[1];
    for (int64_t ch = 0; ch < c->xs[1]; ch++) {
        double a = 0, b = 1;
        for (int s = 0; s < steps; s++) {
            a = (1 - MOMENTUM) * a + MOMENTUM * mean[ch];
            b = (1 - MOMENTUM) * b + MOMENTUM * var[ch] * m / (m - 1);
        }
        rm[ch] = (float)a;
        rv[ch] = (float)b;
    }
}

static void check_norm_small(struct gc_device *dev, const struct norm_case *c,
                             const struct gc_fixture *fx)
{
    struct run r;
    char lb[200];
    int64_t as[3] = {0}, an = 1, nx = numel4(c->xs), C = c->xs[1];
    int and = affine_dims(c, as);
    for (int d = 0; d < and; d++)
        an *= as[d];
    run_setup(&r, dev, c->xs, c->seed, and, as, build_norm, c);
    run_all(&r);
    float *ey = malloc(sizeof(float) * (size_t)nx), *edx = malloc(sizeof(float) * (size_t)nx);
    float edg[256], edb[256], rm[16], rv[16], erm[16], erv[16];
    double mean[64], var[64];
    GC_ASSERT(an <= 256 && n_groups(c) <= 64 && C <= 16);
    gc_nref_norm(c->kind, r.hx, c->xs, r.hgm, r.hbt, EPS, ey, mean, var);
    gc_nref_norm_vjp(c->kind, r.hx, c->xs, r.hgm, EPS, r.hw, edx, edg, edb);
    label_of(lb, sizeof lb, dev, c->name, "forward vs reference");
    gc_assert_tensor_close_shape(r.y_out, ey, c->xs, 4, NORM_ATOL, NORM_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "dx vs reference VJP");
    gc_assert_tensor_close_shape(r.dx_out, edx, c->xs, 4, NORM_ATOL, NORM_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "forward vs PyTorch");
    gc_assert_tensor_close_shape(r.y_out, fx_get(fx, c->name, "y", nx), c->xs, 4, TORCH_ATOL,
                                 TORCH_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "dx vs PyTorch");
    gc_assert_tensor_close_shape(r.dx_out, fx_get(fx, c->name, "dx", nx), c->xs, 4, TORCH_ATOL,
                                 TORCH_RTOL, lb);
    if (and) {
        label_of(lb, sizeof lb, dev, c->name, "dgamma, dbeta vs reference VJP and PyTorch");
        gc_assert_tensor_close(r.dgm_out, edg, an, NORM_ATOL, NORM_RTOL, lb);
        gc_assert_tensor_close(r.dbt_out, edb, an, NORM_ATOL, NORM_RTOL, lb);
        gc_assert_tensor_close(r.dgm_out, fx_get(fx, c->name, "dgamma", an), an, TORCH_ATOL,
                               TORCH_RTOL, lb);
        gc_assert_tensor_close(r.dbt_out, fx_get(fx, c->name, "dbeta", an), an, TORCH_ATOL,
                               TORCH_RTOL, lb);
    }
    if (r.rm) { /* one plan run = one training step */
        gc_assert_ok(gc_param_read(r.rm, rm));
        gc_assert_ok(gc_param_read(r.rv, rv));
        expected_running(c, mean, var, 1, erm, erv);
        label_of(lb, sizeof lb, dev, c->name, "running stats vs reference and PyTorch");
        gc_assert_tensor_close(rm, erm, C, RUN_ATOL, RUN_RTOL, lb);
        gc_assert_tensor_close(rv, erv, C, RUN_ATOL, RUN_RTOL, lb);
        gc_assert_tensor_close(rm, fx_get(fx, c->name, "rmean", C), C, RUN_ATOL, RUN_RTOL, lb);
        gc_assert_tensor_close(rv, fx_get(fx, c->name, "rvar", C), C, RUN_ATOL, RUN_RTOL, lb);
        run_loss(&r); /* a second step */
        gc_assert_ok(gc_param_read(r.rm, rm));
        gc_assert_ok(gc_param_read(r.rv, rv));
        expected_running(c, mean, var, 2, erm, erv);
        label_of(lb, sizeof lb, dev, c->name, "running stats after two steps");
        gc_assert_tensor_close(rm, erm, C, RUN_ATOL, RUN_RTOL, lb);
        gc_assert_tensor_close(rv, erv, C, RUN_ATOL, RUN_RTOL, lb);
    }
    label_of(lb, sizeof lb, dev, c->name, "gradcheck x");
    fd_check(&r, NULL, r.hx, nx, r.dx_out, lb);
    if (and) {
        label_of(lb, sizeof lb, dev, c->name, "gradcheck gamma, beta");
        fd_check(&r, r.gm, r.hgm, an, r.dgm_out, lb);
        fd_check(&r, r.bt, r.hbt, an, r.dbt_out, lb);
    }
    run_teardown(&r);
    free(ey), free(edx);
}

/* Double backward: L2 = sum((d sum(y w) / dx)^2); d L2 / dx and d L2 / dgamma
 * against PyTorch (create_graph=True) and finite differences of L2. */
static void check_norm_second(struct gc_device *dev, const struct norm_case *c,
                              const struct gc_fixture *fx)
{
    struct run r;
    char lb[200];
    int64_t as[3] = {0}, an = 1, nx = numel4(c->xs);
    int and = affine_dims(c, as);
    for (int d = 0; d < and; d++)
        an *= as[d];
    run_setup2(&r, dev, c->xs, c->seed, and, as, build_norm_plain, c, true);
    run_all(&r);
    label_of(lb, sizeof lb, dev, c->name, "double backward d/dx vs PyTorch");
    gc_assert_tensor_close_shape(r.dx_out, fx_get(fx, c->name, "dd_x", nx), c->xs, 4, TORCH_ATOL,
                                 TORCH_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "double backward d/dgamma vs PyTorch");
    gc_assert_tensor_close(r.dgm_out, fx_get(fx, c->name, "dd_gamma", an), an, TORCH_ATOL,
                           TORCH_RTOL, lb);
    label_of(lb, sizeof lb, dev, c->name, "double backward gradcheck x");
    fd_check(&r, NULL, r.hx, nx, r.dx_out, lb);
    label_of(lb, sizeof lb, dev, c->name, "double backward gradcheck gamma");
    fd_check(&r, r.gm, r.hgm, an, r.dgm_out, lb);
    run_teardown(&r);
}

static void test_norm_small(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *fx = gc_fixture_load("norm_small.gcf");
    float *x = gen_x(small_norm_cases[0].xs, small_norm_cases[0].seed);
    gc_assert_tensor_close(x, fx_get(fx, "bn", "x_head", 8), 8, 0, 0,
                           "Philox inputs: C and tools/gen_norm_fixtures.py disagree");
    free(x);
    for (int d = 0; d < nd; d++)
        for (size_t i = 0; i < sizeof small_norm_cases / sizeof small_norm_cases[0]; i++) {
            check_norm_small(devs[d], &small_norm_cases[i], fx);
            if (small_norm_cases[i].affine) check_norm_second(devs[d], &small_norm_cases[i], fx);
        }
    gc_fixture_free(fx);
}

/* Eval mode: running statistics read, never written; gradient to x, gamma. */
static struct gc_tensor *build_bn_eval(struct run *r, struct gc_tensor *x)
{
    int64_t ch = gc_tensor_dim(x, 1);
    r->buf = gc_param_group(r->g, "buffers");
    r->rm = gc_param(r->buf, "running_mean", 1, &ch);
    r->rv = gc_param(r->buf, "running_var", 1, &ch);
    return gc_batch_norm_eval(r->g, x, r->gm, r->bt, r->rm, r->rv, EPS);
}

static void test_batch_norm_eval(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    const int64_t xs[4] = {2, 3, 7, 5}, C = 3, hw = 35, n = 210;
    float hrm[3] = {0.5f, -0.25f, 1.0f}, hrv[3] = {2.0f, 0.5f, 1e-3f}, ey[210], edx[210], got[3];
    for (int d = 0; d < nd; d++) {
        struct run r;
        char lb[200];
        run_setup(&r, devs[d], xs, 701, 1, &C, build_bn_eval, NULL);
        gc_assert_ok(gc_param_write(r.rm, hrm));
        gc_assert_ok(gc_param_write(r.rv, hrv));
        run_all(&r);
        for (int64_t i = 0; i < n; i++) {
            int64_t c = (i / hw) % C;
            double s = r.hgm[c] / sqrt((double)hrv[c] + EPS);
            ey[i] = (float)((r.hx[i] - hrm[c]) * s + r.hbt[c]);
            edx[i] = (float)(r.hw[i] * s);
        }
        label_of(lb, sizeof lb, devs[d], "batch norm eval", "forward and dx vs reference");
        gc_assert_tensor_close_shape(r.y_out, ey, xs, 4, NORM_ATOL, NORM_RTOL, lb);
        gc_assert_tensor_close_shape(r.dx_out, edx, xs, 4, NORM_ATOL, NORM_RTOL, lb);
        gc_assert_ok(gc_param_read(r.rv, got));
        gc_assert_tensor_close(got, hrv, 3, 0, 0, "eval mode leaves running_var alone");
        label_of(lb, sizeof lb, devs[d], "batch norm eval", "gradcheck");
        fd_check(&r, NULL, r.hx, n, r.dx_out, lb);
        fd_check(&r, r.gm, r.hgm, C, r.dgm_out, lb);
        run_teardown(&r);
    }
}

/* tools/gen_norm_fixtures.py BIG_BN / BIG_IN: dcgan32's BatchNorm2d layers
 * (G after each ConvT; D's (64,128,8,8) and (64,256,4,4) coincide with G's)
 * and cyclegan64's InstanceNorm2d layers (G: 64x64, 32x32, 16x16; D). */
static const struct norm_case big_bn_cases[] = {
    {"g1", GC_NORM_BATCH, {64, 256, 4, 4}, 201, true},
    {"g2", GC_NORM_BATCH, {64, 128, 8, 8}, 202, true},
    {"g3", GC_NORM_BATCH, {64, 64, 16, 16}, 203, true},
};
static const struct norm_case big_in_cases[] = {
    {"c1", GC_NORM_INSTANCE, {1, 64, 64, 64}, 301, false},
    {"c2", GC_NORM_INSTANCE, {1, 128, 32, 32}, 302, false},
    {"c3", GC_NORM_INSTANCE, {1, 256, 16, 16}, 303, false},
    {"d2", GC_NORM_INSTANCE, {1, 128, 16, 16}, 304, false},
    {"d3", GC_NORM_INSTANCE, {1, 256, 8, 8}, 305, false},
    {"d4", GC_NORM_INSTANCE, {1, 512, 7, 7}, 306, false},
};

static void check_norm_big(struct gc_device *dev, const struct norm_case *c,
                           const struct gc_fixture *fx)
{
    struct run r;
    char lb[200];
    int64_t as[3] = {0}, C = c->xs[1];
    int and = affine_dims(c, as);
    run_setup(&r, dev, c->xs, c->seed, and, as, build_norm, c);
    run_all(&r);
    label_of(lb, sizeof lb, dev, c->name, "forward vs PyTorch");
    check_checksums(r.y_out, c->xs, fx_get(fx, c->name, "y_csum", C),
                    fx_get(fx, c->name, "y_samp", SAMPLES), SAMPLES, false, lb);
    label_of(lb, sizeof lb, dev, c->name, "dx vs PyTorch");
    check_checksums(r.dx_out, c->xs, fx_get(fx, c->name, "dx_csq", C),
                    fx_get(fx, c->name, "dx_samp", SAMPLES), SAMPLES, true, lb);
    if (and) {
        /* sums of M products of magnitude ~1 with random signs: ~sqrt(M) */
        double m = (double)numel4(c->xs) / (double)C, atol = SUM_RTOL * sqrt(m);
        label_of(lb, sizeof lb, dev, c->name, "dgamma, dbeta vs PyTorch");
        gc_assert_tensor_close(r.dgm_out, fx_get(fx, c->name, "dgamma", C), C, atol, SUM_RTOL, lb);
        gc_assert_tensor_close(r.dbt_out, fx_get(fx, c->name, "dbeta", C), C, atol, SUM_RTOL, lb);
    }
    if (r.rm) {
        float rm[512], rv[512];
        gc_assert_ok(gc_param_read(r.rm, rm));
        gc_assert_ok(gc_param_read(r.rv, rv));
        label_of(lb, sizeof lb, dev, c->name, "running stats vs PyTorch");
        gc_assert_tensor_close(rm, fx_get(fx, c->name, "rmean", C), C, RUN_ATOL, RUN_RTOL, lb);
        gc_assert_tensor_close(rv, fx_get(fx, c->name, "rvar", C), C, RUN_ATOL, RUN_RTOL, lb);
    }
    run_teardown(&r);
}

static void test_norm_workloads(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *bn = gc_fixture_load("norm_bn.gcf"), *in = gc_fixture_load("norm_in.gcf");
    for (int d = 0; d < nd; d++) {
        for (size_t i = 0; i < sizeof big_bn_cases / sizeof big_bn_cases[0]; i++)
            check_norm_big(devs[d], &big_bn_cases[i], bn);
        for (size_t i = 0; i < sizeof big_in_cases / sizeof big_in_cases[0]; i++)
            check_norm_big(devs[d], &big_in_cases[i], in);
    }
    gc_fixture_free(bn);
    gc_fixture_free(in);
}

/* ---- dropout --------------------------------------------------------------- */
#define DROP_P 0.3f
#define DROP_SEED 42

static struct gc_tensor *build_dropout(struct run *r, struct gc_tensor *x)
{
    return gc_dropout(r->g, x, DROP_P, DROP_SEED);
}

static void test_dropout(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    const int64_t xs[4] = {2, 8, 16, 16}, n = 4096;
    float *u = malloc(sizeof(float) * n), *ey = malloc(sizeof(float) * n),
          *edx = malloc(sizeof(float) * n), *y2 = malloc(sizeof(float) * n);
    for (int d = 0; d < nd; d++) {
        struct run r;
        char lb[200];
        run_setup(&r, devs[d], xs, 801, 0, NULL, build_dropout, NULL);
        run_all(&r);
        /* the mask is the uniform draw (seed, the node's stream, run counter) */
        const struct gc_tensor *draw = r.y->in[1];
        for (int64_t i = 0; i < n; i++)
            u[i] = gc_philox_uniform(DROP_SEED, draw->p.rand.stream, RNG_COUNTER, (uint64_t)i);
        gc_nref_dropout(r.hx, u, n, DROP_P, ey);
        gc_nref_dropout(r.hw, u, n, DROP_P, edx);
        label_of(lb, sizeof lb, devs[d], "dropout", "forward and backward vs Philox reference");
        gc_assert_tensor_close_shape(r.y_out, ey, xs, 4, ADJ_ATOL, ADJ_RTOL, lb);
        gc_assert_tensor_close_shape(r.dx_out, edx, xs, 4, ADJ_ATOL, ADJ_RTOL, lb);
        int64_t dropped = 0;
        for (int64_t i = 0; i < n; i++)
            dropped += r.y_out[i] == 0.0f;
        /* binomial(4096, 0.3): sd 29, so +-150 is > 5 sd */
        if (dropped < 0.3 * n - 150 || dropped > 0.3 * n + 150)
            fail_msg("dropout dropped %lld of %lld at p = 0.3", (long long)dropped, (long long)n);
        /* the same counter reproduces the mask; the next one draws afresh */
        run_loss(&r);
        gc_assert_ok(gc_plan_read(r.plan, r.y, y2));
        gc_assert_tensor_close(y2, r.y_out, n, 0, 0, "dropout: same seed and counter");
        gc_assert_ok(gc_plan_run(r.plan)); /* counter RNG_COUNTER + 1 */
        gc_assert_ok(gc_plan_read(r.plan, r.y, y2));
        int64_t differ = 0;
        for (int64_t i = 0; i < n; i++)
            differ += y2[i] != r.y_out[i];
        if (differ < n / 10) fail_msg("dropout: the next run counter kept the mask");
        label_of(lb, sizeof lb, devs[d], "dropout", "gradcheck");
        fd_check(&r, NULL, r.hx, n, r.dx_out, lb);
        run_teardown(&r);
    }
    free(u), free(ey), free(edx), free(y2);
}

/* ---- argument checks ------------------------------------------------------- */
static void expect_fail(struct gc_graph *g, const struct gc_tensor *t, const char *what)
{
    if (t || gc_graph_status(g) != GC_INVALID_ARG)
        fail_msg("%s: expected GC_INVALID_ARG, got %s", what, gc_status_name(gc_graph_status(g)));
}

/* A new graph (the old one keeps its sticky error) with input x: (2, 3, 4, 5). */
static struct gc_tensor *fresh(struct gc_device *dev, struct gc_graph **g, const int64_t xs[4])
{
    gc_graph_destroy(*g);
    gc_assert_ok(gc_graph_create(dev, g));
    return gc_input(*g, "x", 4, xs);
}

static void test_bad_args(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    const int64_t xs[4] = {2, 3, 4, 5}, one[4] = {1, 3, 1, 1}, c3 = 3;
    struct gc_graph *g;
    gc_assert_ok(gc_graph_create(devs[0], &g));
    struct gc_tensor *x = gc_input(g, "x", 4, xs);
    expect_fail(g, gc_pad2d(g, x, GC_PAD_REFLECT, 5, 0, 0, 0), "reflection pad >= width");
    x = fresh(devs[0], &g, xs);
    expect_fail(g, gc_pad2d(g, x, GC_PAD_ZERO, -1, 0, 0, 0), "negative padding");
    x = fresh(devs[0], &g, xs);
    expect_fail(g, gc_sum_pool(g, x, 2), "sum_pool of an odd width");
    x = fresh(devs[0], &g, xs);
    struct gc_tensor *gm = gc_param(gc_param_group(g, "p"), "w", 1, &c3);
    expect_fail(g, gc_layer_norm(g, x, gm, NULL, EPS), "layer norm with a (C) gamma");
    x = fresh(devs[0], &g, xs);
    struct gc_tensor *rm = gc_input(g, "rm", 1, &c3), *rv = gc_input(g, "rv", 1, &c3);
    expect_fail(g, gc_batch_norm(g, x, NULL, NULL, rm, rv, MOMENTUM, EPS),
                "running stats that are not parameters");
    x = fresh(devs[0], &g, xs);
    struct gc_tensor *t1 = gc_input(g, "t1", 4, one);
    expect_fail(g, gc_batch_norm(g, t1, NULL, NULL, NULL, NULL, MOMENTUM, EPS),
                "batch norm over one value per channel");
    x = fresh(devs[0], &g, xs);
    expect_fail(g, gc_dropout(g, x, 1.5f, 1), "dropout p > 1");
    x = fresh(devs[0], &g, xs);
    if (gc_dropout(g, x, 0.0f, 1) != x) fail_msg("dropout(p = 0) should be x itself");
    gc_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_args),        cmocka_unit_test(test_pad_small),
        cmocka_unit_test(test_upsample),        cmocka_unit_test(test_norm_small),
        cmocka_unit_test(test_batch_norm_eval), cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_pad_workloads),   cmocka_unit_test(test_norm_workloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
