/* SPDX-License-Identifier: MIT */
/* Kernels whose loops grow with the shapes, on devices that stop a work-item's loops once all
 * of them together ran gc_device_info.loop_limit iterations (llvmpipe: 65535, silently; see
 * gc__loop_budget). Each op runs at about the smallest shape whose one-launch form passes that
 * limit on llvmpipe, against the plain-C references: there the host must split the work (col2im
 * over column runs, sum_to_lanes, norm_stats and log_softmax over launches) or refuse the shape
 * (pool and resize adjoints). On devices without a limit the same split paths are forced with
 * a made-up limit (40000 unless a case says otherwise), and must give the bits of the unsplit
 * launch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/clrt.h"
#include "gancl/conv.h"
#include "gancl/graph.h"
#include "gancl/nn_ops.h"
#include "gancl/softmax.h"
#include "harness.h"
#include "ref/conv_ref.h"
#include "ref/pool_ref.h"
#include "ref/softmax_ref.h"

#define FORCED_LIMIT 40000u

/* One op's graph: inputs in[0..n_in), output out. build() makes them on g. */
struct loop_case {
    const char *name;
    int n_in;
    int64_t in_shape[2][4];
    void (*build)(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out);
    void (*fill)(float **in, const struct loop_case *c);
    void (*expect)(float *const *in, const struct loop_case *c, float *out);
    double atol, rtol;
    uint32_t forced; /* the made-up limit on devices without one; 0: FORCED_LIMIT */
};

static int64_t numel4(const int64_t s[4])
{
    return s[0] * s[1] * s[2] * s[3];
}

/* Runs the case on dev; returns the output (malloc'd, *n elements), or NULL with *st set when
 * the plan refuses to run. */
static float *run_case(struct gc_device *dev, const struct loop_case *c, float **in, int64_t *n,
                       gc_status *st)
{
    struct gc_graph *g;
    gc_assert_ok(gc_graph_create(dev, &g));
    struct gc_tensor *x[2], *y;
    for (int i = 0; i < c->n_in; i++) x[i] = gc_input(g, i ? "b" : "a", 4, c->in_shape[i]);
    c->build(g, x, &y);
    gc_assert_ok(gc_graph_status(g));
    struct gc_plan *p;
    gc_assert_ok(gc_plan_create(g, 1, &y, &p));
    for (int i = 0; i < c->n_in; i++) gc_assert_ok(gc_plan_write(p, x[i], in[i]));
    *n = gc_tensor_numel(y);
    float *out = malloc(sizeof(float) * (size_t)*n);
    *st = gc_plan_run(p);
    if (*st == GC_OK) gc_assert_ok(gc_plan_read(p, y, out));
    gc_plan_destroy(p);
    gc_graph_destroy(g);
    if (*st != GC_OK) free(out);
    return *st == GC_OK ? out : NULL;
}

/* The case on every device against its reference; on devices without a limit also with the
 * forced limit, bit for bit against the unforced run. */
static void check_case(const struct loop_case *c)
{
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    float *in[2] = {NULL, NULL};
    for (int i = 0; i < c->n_in; i++) in[i] = malloc(sizeof(float) * (size_t)numel4(c->in_shape[i]));
    c->fill(in, c);
    float *expect = NULL;
    for (int di = 0; di < nd; di++) {
        struct gc_device *dev = devs[di];
        int64_t n, n2;
        gc_status st;
        float *y = run_case(dev, c, in, &n, &st);
        if (!y) fail_msg("%s@%s: %s (%s)", c->name, dev->info.name, gc_status_name(st), gc_last_error());
        if (!expect) {
            expect = malloc(sizeof(float) * (size_t)n);
            c->expect(in, c, expect);
        }
        char lb[300];
        snprintf(lb, sizeof lb, "%s@%s (loop limit %u)", c->name, dev->info.name, dev->info.loop_limit);
        gc_assert_tensor_close(y, expect, n, c->atol, c->rtol, lb);
        if (!dev->info.loop_limit) {
            dev->info.loop_limit = c->forced ? c->forced : FORCED_LIMIT;
            float *y2 = run_case(dev, c, in, &n2, &st);
            dev->info.loop_limit = 0;
            if (!y2) fail_msg("%s@%s forced: %s (%s)", c->name, dev->info.name, gc_status_name(st), gc_last_error());
            for (int64_t i = 0; i < n; i++)
                if (memcmp(&y[i], &y2[i], sizeof(float)) != 0)
                    fail_msg("%s@%s: split launch differs at %lld: %.9g vs %.9g", c->name,
                             dev->info.name, (long long)i, y2[i], y[i]);
            free(y2);
        }
        free(y);
    }
    free(expect);
    for (int i = 0; i < c->n_in; i++) free(in[i]);
}

/* ---- col2im: conv_transpose2d of a 1 x 600 row with a 1 x 255 kernel -------------------------
 * One output row per work-item: 854 columns and 255 taps of up to 600 positions, ~154,000
 * iterations in one work-item. Forced limit 160000 (budget 140000, two column runs): the
 * GEMM before it needs that much on PoCL (test_gemm's made-up limit). */
static void convt_build(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out)
{
    *out = gc_conv_transpose2d(g, in[0], in[1], gc_conv_geom(1, 0));
}

static void fill_uniform(float **in, const struct loop_case *c)
{
    for (int i = 0; i < c->n_in; i++)
        gc_test_fill_uniform(in[i], numel4(c->in_shape[i]), 7 + (uint64_t)i, -1.0f, 1.0f);
}

static void convt_expect(float *const *in, const struct loop_case *c, float *out)
{
    const int64_t *xs = c->in_shape[0], *ws = c->in_shape[1];
    struct gc_ref_conv g = {{1, 1}, {0, 0}, {1, 1}};
    int oh = (int)(xs[2] + ws[2] - 1), ow = (int)(xs[3] + ws[3] - 1);
    gc_ref_conv_transpose2d(in[0], in[1], (int)xs[0], (int)xs[1], (int)xs[2], (int)xs[3],
                            (int)ws[1], (int)ws[2], (int)ws[3], g, oh, ow, out);
}

static void test_col2im(void **state)
{
    (void)state;
    /* sums of <= 255 products of values in [-1, 1]: float rounding ~255 * 6e-8 */
    static const struct loop_case c = {"conv_transpose2d 1x600 * 1x255 (col2im)", 2,
                                       {{1, 1, 1, 600}, {1, 1, 1, 255}}, convt_build, fill_uniform,
                                       convt_expect, 2e-5, 1e-5, 160000};
    check_case(&c);
}

/* ---- sum_to_lanes: 8.4M values into 1 (scalar loads) and into 2 (vload16) -------------------
 * 131,072 steps per partial sum. Small integers, so every partial and total is exact in float
 * and the comparison is exact. */
static void sum_all_build(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out)
{
    *out = gc_sum(g, in[0]);
}

static void sum_c_build(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out)
{
    int64_t to[4] = {1, 2, 1, 1};
    *out = gc_sum_to(g, in[0], 4, to);
}

static void fill_ints(float **in, const struct loop_case *c)
{
    int64_t n = numel4(c->in_shape[0]);
    for (int64_t i = 0; i < n; i++) in[0][i] = (float)((i * 2654435761u >> 7) % 4);
}

static void sum_expect(float *const *in, const struct loop_case *c, float *out)
{
    const int64_t *s = c->in_shape[0];
    bool per_c = c->build == sum_c_build;
    double acc[2] = {0, 0};
    for (int64_t i = 0; i < numel4(s); i++) acc[per_c ? (i / (s[2] * s[3])) % s[1] : 0] += in[0][i];
    out[0] = (float)acc[0];
    if (per_c) out[1] = (float)acc[1];
}

static void test_sum_to(void **state)
{
    (void)state;
    static const struct loop_case all = {"sum of 1x1x4096x2048 (sum_to_lanes)", 1,
                                         {{1, 1, 4096, 2048}}, sum_all_build, fill_ints, sum_expect, 0, 0, 0};
    static const struct loop_case per_c = {"sum_to (1,2,1,1) of 2x2x2048x2048 (vload16)", 1,
                                           {{2, 2, 2048, 2048}}, sum_c_build, fill_ints, sum_expect, 0, 0, 0};
    check_case(&all);
    check_case(&per_c);
}

/* ---- norm_stats: instance norm statistics of one 1536 x 2048 plane ---------------------------
 * Two passes of 49,152 steps per work-item. */
static void stats_build(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out)
{
    *out = gc_norm_stats(g, in[0], GC_NORM_INSTANCE, 1e-5f);
}

static void stats_expect(float *const *in, const struct loop_case *c, float *out)
{
    int64_t n = numel4(c->in_shape[0]);
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; i++) m += in[0][i];
    m /= (double)n;
    for (int64_t i = 0; i < n; i++) v += (in[0][i] - m) * (in[0][i] - m);
    out[0] = (float)m;
    out[1] = (float)(1.0 / sqrt(v / (double)n + 1e-5));
}

static void fill_offset(float **in, const struct loop_case *c)
{
    gc_test_fill_uniform(in[0], numel4(c->in_shape[0]), 11, 0.5f, 2.5f); /* mean 1.5, var 1/3 */
}

static void test_norm_stats(void **state)
{
    (void)state;
    /* float partials of 49,152 values each, then a 64-way tree: ~1e-5 relative, bound 1e-4 */
    static const struct loop_case c = {"instance norm stats of 1x1x1536x2048 (norm_stats)", 1,
                                       {{1, 1, 1536, 2048}}, stats_build, fill_offset, stats_expect,
                                       0, 1e-4, 0};
    check_case(&c);
}

/* ---- log_softmax: 3 rows of 30,000 (three loops over each row) ------------------------------ */
static void ls_build(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out)
{
    *out = gc_log_softmax(g, in[0]);
}

static void ls_expect(float *const *in, const struct loop_case *c, float *out)
{
    gc_sref_log_softmax(in[0], c->in_shape[0][2], c->in_shape[0][3], out);
}

static void fill_logits(float **in, const struct loop_case *c)
{
    gc_test_fill_uniform(in[0], numel4(c->in_shape[0]), 13, -8.0f, 8.0f);
}

static void test_log_softmax(void **state)
{
    (void)state;
    /* outputs ~ -18: log of a sum of 30,000 exps in float, ~1e-6 relative; as test_softmax */
    static const struct loop_case c = {"log_softmax 3 x 30000", 1, {{1, 1, 3, 30000}}, ls_build,
                                       fill_logits, ls_expect, 2e-5, 2e-5, 0};
    check_case(&c);
}

/* ---- adjoints the host does not split: refused on a loop-limited device ----------------------
 * max_pool2d_backward with k 16, stride 1 (256 windows reach an element, each rescanned for
 * its argmax; llvmpipe runs out of iterations) and resize_bilinear_backward 2x2 <- 400x400
 * (~300 x 300 outputs read an input; llvmpipe runs out, while 300x300 used ~52,000). Without a limit they run and match the references. */
static void mpool_build(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out)
{
    *out = gc_max_pool2d_backward(g, in[0], in[1], 16, 1, 0);
}

static void mpool_expect(float *const *in, const struct loop_case *c, float *out)
{
    gc_pref_max_pool_vjp(in[0], in[1], c->in_shape[1], 16, 1, 0, out);
}

static void resize_build(struct gc_graph *g, struct gc_tensor **in, struct gc_tensor **out)
{
    *out = gc_resize_bilinear_backward(g, in[0], 2, 2);
}

static void resize_expect(float *const *in, const struct loop_case *c, float *out)
{
    int64_t xs[4] = {1, 1, 2, 2};
    gc_pref_resize_vjp(in[0], xs, (int)c->in_shape[0][2], (int)c->in_shape[0][3], out);
}

static void refused(const struct loop_case *c)
{
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    float *in[2] = {NULL, NULL};
    for (int i = 0; i < c->n_in; i++) in[i] = malloc(sizeof(float) * (size_t)numel4(c->in_shape[i]));
    c->fill(in, c);
    for (int di = 0; di < nd; di++) {
        struct gc_device *dev = devs[di];
        uint32_t saved = dev->info.loop_limit;
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1 && saved) break;
            dev->info.loop_limit = pass ? 65535u : saved; /* pass 1: as llvmpipe */
            int64_t n;
            gc_status st;
            float *y = run_case(dev, c, in, &n, &st);
            dev->info.loop_limit = saved;
            if (dev->info.loop_limit || pass) {
                if (y || st != GC_UNSUPPORTED || !strstr(gc_last_error(), "loop iterations"))
                    fail_msg("%s@%s: ran or failed otherwise (%s) with a loop limit", c->name,
                             dev->info.name, y ? "GC_OK" : gc_status_name(st));
                continue;
            }
            if (!y) fail_msg("%s@%s: %s (%s)", c->name, dev->info.name, gc_status_name(st), gc_last_error());
            float *e = malloc(sizeof(float) * (size_t)n);
            c->expect(in, c, e);
            gc_assert_tensor_close(y, e, n, c->atol, c->rtol, c->name);
            free(e);
            free(y);
        }
    }
    for (int i = 0; i < c->n_in; i++) free(in[i]);
}

static void test_refused(void **state)
{
    (void)state;
    static const struct loop_case mp = {"max_pool2d_backward k16 s1", 2,
                                        {{1, 1, 17, 17}, {1, 1, 32, 32}}, mpool_build, fill_uniform,
                                        mpool_expect, 1e-6, 1e-6, 0};
    static const struct loop_case rs = {"resize_bilinear_backward 400x400 -> 2x2", 1,
                                        {{1, 1, 400, 400}}, resize_build, fill_uniform,
                                        resize_expect, 1e-4, 1e-4, 0};
    refused(&mp);
    refused(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_col2im),      cmocka_unit_test(test_sum_to),
        cmocka_unit_test(test_norm_stats),  cmocka_unit_test(test_log_softmax),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
