/* SPDX-License-Identifier: MIT */
/* PyTorch golden tests of the convolution family (include/gancl/conv.h):
 * conv2d and conv_transpose2d forward, input gradient and weight gradient
 * (gc_grad of loss = sum(y * r)) at every conv layer of dcgan32 (batch 4 for
 * size) and cyclegan64 (batch 1, 64x64) and at odd small shapes, on every
 * test device and with both GEMM implementations: gan-cl's own kernels
 * (GANCL_GEMM_IMPL=own: gemm_cpu on CPUs, gemm_tiled elsewhere) and CLBlast
 * (GANCL_GEMM_IMPL=clblast). The environment variable is read each time a
 * plan picks its GEMM configs (gc__gemm_default_config); the tests run with
 * an empty tuning cache, so no record overrides it.
 *
 * Fixtures: tools/gen_conv_fixtures.py, float64 PyTorch rounded once. Inputs
 * are not stored: x, the weight and r come from Philox streams 0, 1, 2 of
 * the case's seed, uniform in [-1, 1) (same formula here). The case tables
 * mirror the generator's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/conv.h"
#include "gancl/graph.h"
#include "gancl/philox.h"
#include "harness.h"

/* Tolerances. Every output is a dot product of K float32 products summed in
 * float32 (K = C*KH*KW up to 8192 for y and dx, N*OH*OW up to 4096 for dw) in
 * an order set by the GEMM's blocking, against a float64 result. The
 * rounding error of such a sum is ~sqrt(K) eps |typical term| (random walk),
 * at most K eps sum|terms|; relative to the tensor's largest value (which is
 * ~sqrt(K) |typical term|, since the inputs are independent zero-mean) that is
 * ~eps per element. Each value is checked against
 *   ATOL_REL * max|expected of the tensor| + RTOL * |expected|:
 * 1e-5 is ~100 eps of headroom over the typical error, while one missing or
 * misplaced tap changes an output by ~1/sqrt(K) >= 1e-2 of the scale and a
 * wrong padding/stride whole rows: any indexing bug fails by orders of
 * magnitude. Per-channel checksums (big tensors) are sums of up to ~1e5
 * outputs: checked to SUM_RTOL times the sum of the |values| (the device's),
 * the bound of the elementwise relative error carried through the sum. */
#define ATOL_REL 1e-5
#define RTOL 1e-5
#define SUM_RTOL 1e-5

#define SAMPLES 128
#define SAMPLE_MUL 2654435761u
#define FULL_MAX 2048

struct conv_case {
    const char *name;
    bool transposed;
    int64_t xs[4];
    int64_t oc;
    int k, stride, pad, out_pad;
    uint64_t seed;
};

/* tools/gen_conv_fixtures.py SMALL */
static const struct conv_case small_cases[] = {
    {"s_p0", false, {2, 3, 7, 5}, 4, 3, 2, 0, 0, 11},
    {"s_p1", false, {2, 3, 7, 5}, 5, 4, 2, 1, 0, 12},
    {"s_p3", false, {2, 3, 7, 5}, 4, 7, 2, 3, 0, 13},
    {"s_1x1", false, {3, 3, 7, 5}, 2, 1, 1, 0, 0, 14},
    {"t_p1o1", true, {2, 3, 7, 5}, 4, 3, 2, 1, 1, 15},
    {"t_p0", true, {2, 3, 7, 5}, 2, 4, 2, 0, 0, 16},
    {"t_p3o1", true, {2, 3, 7, 5}, 3, 7, 2, 3, 1, 17},
};
/* DCGAN32, batch 4 (64 in the workload) */
static const struct conv_case dcgan_cases[] = {
    {"g1", true, {4, 100, 1, 1}, 256, 4, 1, 0, 0, 101},
    {"g2", true, {4, 256, 4, 4}, 128, 4, 2, 1, 0, 102},
    {"g3", true, {4, 128, 8, 8}, 64, 4, 2, 1, 0, 103},
    {"g4", true, {4, 64, 16, 16}, 1, 4, 2, 1, 0, 104},
    {"d1", false, {4, 1, 32, 32}, 64, 4, 2, 1, 0, 105},
    {"d2", false, {4, 64, 16, 16}, 128, 4, 2, 1, 0, 106},
    {"d3", false, {4, 128, 8, 8}, 256, 4, 2, 1, 0, 107},
    {"d4", false, {4, 256, 4, 4}, 1, 4, 1, 0, 0, 108},
};
/* CYCLEGAN64[:7], batch 1 */
static const struct conv_case cyc_g_cases[] = {
    {"gc1", false, {1, 3, 70, 70}, 64, 7, 1, 0, 0, 201},
    {"gc2", false, {1, 64, 64, 64}, 128, 3, 2, 1, 0, 202},
    {"gc3", false, {1, 128, 32, 32}, 256, 3, 2, 1, 0, 203},
    {"gres", false, {1, 256, 18, 18}, 256, 3, 1, 0, 0, 204},
    {"gt1", true, {1, 256, 16, 16}, 128, 3, 2, 1, 1, 205},
    {"gt2", true, {1, 128, 32, 32}, 64, 3, 2, 1, 1, 206},
    {"gc7", false, {1, 64, 70, 70}, 3, 7, 1, 0, 0, 207},
};
/* CYCLEGAN64[7:] */
static const struct conv_case cyc_d_cases[] = {
    {"dc1", false, {1, 3, 64, 64}, 64, 4, 2, 1, 0, 208},
    {"dc2", false, {1, 64, 32, 32}, 128, 4, 2, 1, 0, 209},
    {"dc3", false, {1, 128, 16, 16}, 256, 4, 2, 1, 0, 210},
    {"dc4", false, {1, 256, 8, 8}, 512, 4, 1, 1, 0, 211},
    {"dc5", false, {1, 512, 7, 7}, 1, 4, 1, 1, 0, 212},
};

static const char *const impls[2] = {"own", "clblast"};

static int64_t numel4(const int64_t s[4])
{
    return s[0] * s[1] * s[2] * s[3];
}

/* -1 + 2 u in double, rounded to float (tools/gen_conv_fixtures.py gen) */
static float *gen(int64_t n, uint64_t seed, uint32_t stream)
{
    float *v = malloc(sizeof *v * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)(-1.0 + 2.0 * (double)gc_philox_uniform(seed, stream, 0, (uint64_t)i));
    return v;
}

/* Worst error seen, as a fraction of the allowed one (printed per suite). */
static double worst_ratio;
static char worst_label[200];

static void note(double ratio, const char *label)
{
    if (ratio > worst_ratio) {
        worst_ratio = ratio;
        snprintf(worst_label, sizeof worst_label, "%s", label);
    }
}

static const float *fx_get(const struct gc_fixture *fx, const char *prefix, const char *suffix,
                           int64_t n)
{
    char name[160];
    snprintf(name, sizeof name, "%s_%s", prefix, suffix);
    if (gc_fixture_numel(fx, name) != n)
        fail_msg("fixture %s has %lld values, expected %lld", name,
                 (long long)gc_fixture_numel(fx, name), (long long)n);
    return gc_fixture_get(fx, name, NULL, NULL);
}

static double max_abs(const float *v, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)v[i]));
    return m;
}

/* Compares a device result (shape s) with the fixture NAME_WHAT: whole, or
 * per-dim-1 sums and samples. */
static void compare(const struct gc_fixture *fx, const char *name, const char *what,
                    const float *got, const int64_t s[4], const char *label)
{
    int64_t n = numel4(s);
    char prefix[96], lb[300];
    snprintf(prefix, sizeof prefix, "%.40s_%.8s", name, what);
    if (n <= FULL_MAX) {
        if (gc_fixture_numel(fx, prefix) != n)
            fail_msg("fixture %s has %lld values, expected %lld", prefix,
                     (long long)gc_fixture_numel(fx, prefix), (long long)n);
        const float *ex = gc_fixture_get(fx, prefix, NULL, NULL);
        double atol = ATOL_REL * max_abs(ex, n);
        for (int64_t i = 0; i < n; i++)
            note(fabs((double)got[i] - ex[i]) / (atol + RTOL * fabs((double)ex[i])), label);
        snprintf(lb, sizeof lb, "%s %s", label, what);
        gc_assert_tensor_close_shape(got, ex, s, 4, atol, RTOL, lb);
        return;
    }
    /* per-channel (dim 1) sums */
    const float *cs = fx_get(fx, prefix, "csum", s[1]);
    for (int64_t c = 0; c < s[1]; c++) {
        double sum = 0, sabs = 0;
        for (int64_t a = 0; a < s[0]; a++)
            for (int64_t j = 0; j < s[2] * s[3]; j++) {
                double v = got[(a * s[1] + c) * s[2] * s[3] + j];
                sum += v;
                sabs += fabs(v);
            }
        double tol = SUM_RTOL * sabs + 1e-30;
        note(fabs(sum - cs[c]) / tol, label);
        if (!(fabs(sum - cs[c]) <= tol))
            fail_msg("%s %s: channel %lld sums to %.9g, PyTorch %.9g (tolerance %.3g)", label,
                     what, (long long)c, sum, (double)cs[c], tol);
    }
    const float *sp = fx_get(fx, prefix, "samp", SAMPLES);
    float g[SAMPLES];
    for (int k = 0; k < SAMPLES; k++)
        g[k] = got[(int64_t)(((uint64_t)k * SAMPLE_MUL) % (uint64_t)n)];
    double atol = ATOL_REL * max_abs(sp, SAMPLES);
    for (int k = 0; k < SAMPLES; k++)
        note(fabs((double)g[k] - sp[k]) / (atol + RTOL * fabs((double)sp[k])), label);
    snprintf(lb, sizeof lb, "%s %s samples (k-th at flat (k * 2654435761) mod numel)", label, what);
    int64_t ns[1] = {SAMPLES};
    gc_assert_tensor_close_shape(g, sp, ns, 1, atol, RTOL, lb);
}

static void check_case(struct gc_device *dev, const char *impl, const struct conv_case *c,
                       const struct gc_fixture *fx)
{
    char label[200];
    snprintf(label, sizeof label, "%s (%s) on %.40s, %s GEMM", c->name,
             c->transposed ? "conv_transpose2d" : "conv2d", gc_device_get_info(dev)->platform_name,
             impl);
    setenv("GANCL_GEMM_IMPL", impl, 1);
    struct gc_graph *g;
    gc_assert_ok(gc_graph_create(dev, &g));
    struct gc_param_group *grp = gc_param_group(g, "p");
    int64_t ws[4] = {c->transposed ? c->xs[1] : c->oc, c->transposed ? c->oc : c->xs[1], c->k,
                     c->k};
    struct gc_tensor *x = gc_input(g, "x", 4, c->xs);
    struct gc_tensor *w = gc_param(grp, "weight", 4, ws);
    struct gc_conv_geom geom = gc_conv_geom(c->stride, c->pad);
    geom.out_pad[0] = geom.out_pad[1] = c->out_pad;
    struct gc_tensor *y = c->transposed ? gc_conv_transpose2d(g, x, w, geom)
                                        : gc_conv2d(g, x, w, geom);
    gc_assert_ok(gc_graph_status(g));
    int64_t ys[4];
    for (int d = 0; d < 4; d++)
        ys[d] = gc_tensor_dim(y, d);
    const float *eys = fx_get(fx, c->name, "yshape", 4);
    for (int d = 0; d < 4; d++)
        if (ys[d] != (int64_t)eys[d])
            fail_msg("%s: output dim %d is %lld, PyTorch %lld", label, d, (long long)ys[d],
                     (long long)eys[d]);
    struct gc_tensor *r = gc_input(g, "r", 4, ys);
    struct gc_tensor *loss = gc_sum(g, gc_mul(g, y, r));
    struct gc_tensor *wrt[2] = {x, w}, *gr[2];
    gc_assert_ok(gc_grad(g, loss, 2, wrt, gr));
    gc_assert_ok(gc_param_group_alloc(grp));
    struct gc_tensor *outs[3] = {y, gr[0], gr[1]};
    struct gc_plan *plan;
    gc_assert_ok(gc_plan_create(g, 3, outs, &plan));

    int64_t nx = numel4(c->xs), nw = numel4(ws), ny = numel4(ys);
    float *hx = gen(nx, c->seed, 0), *hw = gen(nw, c->seed, 1), *hr = gen(ny, c->seed, 2);
    gc_assert_ok(gc_plan_write(plan, x, hx));
    gc_assert_ok(gc_plan_write(plan, r, hr));
    gc_assert_ok(gc_param_write(w, hw));
    gc_assert_ok(gc_plan_run(plan));
    float *oy = malloc(sizeof(float) * (size_t)ny), *odx = malloc(sizeof(float) * (size_t)nx),
          *odw = malloc(sizeof(float) * (size_t)nw);
    gc_assert_ok(gc_plan_read(plan, y, oy));
    gc_assert_ok(gc_plan_read(plan, gr[0], odx));
    gc_assert_ok(gc_plan_read(plan, gr[1], odw));
    compare(fx, c->name, "y", oy, ys, label);
    compare(fx, c->name, "dx", odx, c->xs, label);
    compare(fx, c->name, "dw", odw, ws, label);
    free(hx), free(hw), free(hr), free(oy), free(odx), free(odw);
    gc_plan_destroy(plan);
    gc_graph_destroy(g);
    unsetenv("GANCL_GEMM_IMPL");
}

static void run_suite(const char *fixture, const struct conv_case *cases, size_t n)
{
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *fx = gc_fixture_load(fixture);
    worst_ratio = 0;
    worst_label[0] = 0;
    for (int d = 0; d < nd; d++)
        for (int i = 0; i < 2; i++)
            for (size_t k = 0; k < n; k++)
                check_case(devs[d], impls[i], &cases[k], fx);
    printf("%s: worst error %.3g of the tolerance (%s)\n", fixture, worst_ratio, worst_label);
    gc_fixture_free(fx);
}

#define SUITE(fn, fixture, cases)                                                                  \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        (void)state;                                                                               \
        run_suite(fixture, cases, sizeof cases / sizeof cases[0]);                                 \
    }
SUITE(test_conv_small, "conv_small.gcf", small_cases)
SUITE(test_conv_dcgan32, "conv_dcgan32.gcf", dcgan_cases)
SUITE(test_conv_cyclegan64_g, "conv_cyclegan64_g.gcf", cyc_g_cases)
SUITE(test_conv_cyclegan64_d, "conv_cyclegan64_d.gcf", cyc_d_cases)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_small),
        cmocka_unit_test(test_conv_dcgan32),
        cmocka_unit_test(test_conv_cyclegan64_g),
        cmocka_unit_test(test_conv_cyclegan64_d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
