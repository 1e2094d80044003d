/* SPDX-License-Identifier: MIT */
/* Graph-level tests of the 'ops' executable: planner statistics, in-place
 * reuse that must not corrupt values, arenas split at the device's maximum
 * allocation, sticky builder errors, gc_grad's status for an op without a
 * gradient, detach, and gradients of tensors used twice. Values are checked
 * against the plain-C references on every test device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_impl.h"
#include "harness.h"
#include "ref/ref.h"
#include "test_ops.h"

/* A chain of <= 8 element-wise ops, each rounding once more than the
 * double reference chain: ~8 x the element-wise bound of test_ops.c. */
#define CHAIN_ATOL 1e-5
#define CHAIN_RTOL 3e-5

static struct gc_tensor *input2(struct gc_graph *g, const char *name, int64_t a, int64_t b)
{
    int64_t s[2] = {a, b};
    return gc_input(g, name, 2, s);
}

static void run_and_read(struct gc_plan *p, struct gc_tensor *y, float *out)
{
    gc_assert_ok(gc_plan_run(p));
    gc_assert_ok(gc_plan_read(p, y, out));
}

static void label_for(char *buf, size_t n, const char *what, struct gc_device *dev)
{
    snprintf(buf, n, "%s@%s", what, gc_device_get_info(dev)->name);
}

/* x -> 8 element-wise ops: every intermediate dies at the next op, so the
 * arena holds the input and one block reused in place; the naive sum counts
 * all 8 results. (33, 65): not a multiple of any work-group size. */
void gc_test_plan_stats(void **state)
{
    (void)state;
    static const enum gc_op chain[8] = {GC_OP_TANH, GC_OP_SCALE,  GC_OP_SIGMOID, GC_OP_EXP,
                                        GC_OP_SQUARE, GC_OP_SQRT, GC_OP_LOG,     GC_OP_SCALE};
    enum { M = 33, N = 65, NUMEL = M * N };
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    float *xh = malloc(sizeof(float) * NUMEL), *want = malloc(sizeof(float) * NUMEL),
          *got = malloc(sizeof(float) * NUMEL);
    for (int d = 0; d < nd; d++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[d], &g));
        struct gc_tensor *x = input2(g, "x", M, N), *y = x;
        y = gc_tanh(g, y);
        y = gc_scale(g, y, 0.5f, 1.0f);
        y = gc_sigmoid(g, y);
        y = gc_exp(g, y);
        y = gc_square(g, y);
        y = gc_sqrt(g, y);
        y = gc_ln(g, y);
        y = gc_scale(g, y, -1.0f, 0.0f);
        gc_assert_ok(gc_graph_status(g));
        struct gc_plan *p;
        gc_assert_ok(gc_plan_create(g, 1, &y, &p));
        struct gc_plan_stats st;
        gc_plan_get_stats(p, &st);
        int64_t bytes = (NUMEL + 15) / 16 * 16 * 4; /* one tensor, 64-byte padded */
        assert_int_equal(st.steps, 8);
        assert_int_equal(st.naive_bytes, 8 * bytes);
        assert_int_equal(st.arena_count, 1);
        if (!(st.arena_bytes < st.naive_bytes && st.arena_bytes <= 2 * bytes))
            fail_msg("chain arena %lld bytes, naive %lld: expected <= input + one tensor",
                     (long long)st.arena_bytes, (long long)st.naive_bytes);
        gc_test_fill_uniform(xh, NUMEL, 5, -2.0f, 2.0f);
        memcpy(want, xh, sizeof(float) * NUMEL);
        float alpha[8] = {0, 0.5f, 0, 0, 0, 0, 0, -1.0f}, beta[8] = {0, 1.0f};
        for (int k = 0; k < 8; k++) gc_ref_unary(chain[k], want, NUMEL, alpha[k], beta[k], want);
        gc_assert_ok(gc_plan_write(p, x, xh));
        run_and_read(p, y, got);
        char label[300];
        label_for(label, sizeof label, "chain", devs[d]);
        int64_t shape[2] = {M, N};
        gc_assert_tensor_close_shape(got, want, shape, 2, CHAIN_ATOL, CHAIN_RTOL, label);
        gc_plan_destroy(p);
        gc_graph_destroy(g);
    }
    free(xh);
    free(want);
    free(got);
}

/* Graphs where in-place reuse is tempting: a value read again after an op
 * that could overwrite it, an op reading the same dying tensor twice, and a
 * broadcast binary op whose first input (1, 4) is smaller than its output
 * (4, 4) but pads to the same 16 floats: writing y over a while other
 * work-items still read a[i % 4] would corrupt it. */
void gc_test_inplace(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[d], &g));
        struct gc_tensor *x = input2(g, "x", 7, 5), *u = input2(g, "u", 1, 4),
                         *v = input2(g, "v", 4, 1);
        struct gc_tensor *a = gc_exp(g, x);             /* read again by c */
        struct gc_tensor *b = gc_scale(g, a, 2.0f, 0);  /* must not take a's block */
        struct gc_tensor *c = gc_mul(g, gc_sigmoid(g, b), a);
        struct gc_tensor *e = gc_tanh(g, c);
        struct gc_tensor *f = gc_mul(g, e, e);           /* same dying input twice */
        struct gc_tensor *w = gc_exp(g, u);              /* (1,4), dies below */
        struct gc_tensor *z = gc_add(g, w, v);           /* (4,4) */
        gc_assert_ok(gc_graph_status(g));
        struct gc_tensor *outs[2] = {f, z};
        struct gc_plan *p;
        gc_assert_ok(gc_plan_create(g, 2, outs, &p));
        float xh[35], uh[4], vh[4], want[35], got[35], wz[16], gz[16];
        gc_test_fill_uniform(xh, 35, 11, -1.0f, 1.0f);
        gc_test_fill_uniform(uh, 4, 12, -1.0f, 1.0f);
        gc_test_fill_uniform(vh, 4, 13, -1.0f, 1.0f);
        gc_assert_ok(gc_plan_write(p, x, xh));
        gc_assert_ok(gc_plan_write(p, u, uh));
        gc_assert_ok(gc_plan_write(p, v, vh));
        gc_assert_ok(gc_plan_run(p));
        gc_assert_ok(gc_plan_read(p, f, got));
        gc_assert_ok(gc_plan_read(p, z, gz));
        for (int i = 0; i < 35; i++) {
            double ea = exp((double)xh[i]), cc = ea / (1 + exp(-2 * ea));
            want[i] = (float)(tanh(cc) * tanh(cc));
        }
        for (int i = 0; i < 16; i++) wz[i] = (float)(exp((double)uh[i % 4]) + vh[i / 4]);
        char label[300];
        label_for(label, sizeof label, "diamond with in-place reuse", devs[d]);
        gc_assert_tensor_close(got, want, 35, CHAIN_ATOL, CHAIN_RTOL, label);
        label_for(label, sizeof label, "broadcast add over a dying (1,4) input", devs[d]);
        int64_t zs[2] = {4, 4};
        gc_assert_tensor_close_shape(gz, wz, zs, 2, CHAIN_ATOL, CHAIN_RTOL, label);
        gc_plan_destroy(p);
        gc_graph_destroy(g);
    }
}

/* With the device's maximum allocation lowered to three (16,16) tensors, a
 * graph keeping four alive at once needs a second arena; results must not
 * change. A tensor larger than the limit fails to plan with a status. */
void gc_test_arena_split(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[d], &g));
        struct gc_tensor *x = input2(g, "x", 16, 16);
        struct gc_tensor *a = gc_exp(g, x), *b = gc_tanh(g, x), *c = gc_sigmoid(g, x);
        struct gc_tensor *y = gc_mul(g, gc_add(g, a, b), c);
        struct gc_tensor *big = gc_scale(g, input2(g, "big", 40, 40), 2.0f, 0);
        gc_assert_ok(gc_graph_status(g));
        uint64_t saved = devs[d]->info.max_alloc;
        devs[d]->info.max_alloc = 3 * 256 * 4;
        struct gc_plan *p = NULL, *pbig = NULL;
        gc_status s = gc_plan_create(g, 1, &y, &p);
        gc_status sbig = gc_plan_create(g, 1, &big, &pbig);
        devs[d]->info.max_alloc = saved;
        gc_assert_ok(s);
        assert_int_equal(sbig, GC_DEVICE_NOMEM);
        assert_null(pbig);
        struct gc_plan_stats st;
        gc_plan_get_stats(p, &st);
        assert_true(st.arena_count >= 2);
        float xh[256], got[256], want[256];
        gc_test_fill_uniform(xh, 256, 21, -1.0f, 1.0f);
        for (int i = 0; i < 256; i++) {
            double v = xh[i];
            want[i] = (float)((exp(v) + tanh(v)) / (1 + exp(-v)));
        }
        gc_assert_ok(gc_plan_write(p, x, xh));
        run_and_read(p, y, got);
        char label[300];
        label_for(label, sizeof label, "split arenas", devs[d]);
        gc_assert_tensor_close(got, want, 256, CHAIN_ATOL, CHAIN_RTOL, label);
        gc_plan_destroy(p);
        gc_graph_destroy(g);
    }
}

/* A bad builder call returns NULL and records the first error, naming the
 * op; later builders return NULL without replacing it; planning refuses. */
void gc_test_sticky_error(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    struct gc_graph *g;
    gc_assert_ok(gc_graph_create(devs[0], &g));
    struct gc_tensor *x = input2(g, "x", 2, 3), *z = input2(g, "z", 4, 5);
    assert_null(gc_add(g, x, z));
    assert_int_equal(gc_graph_status(g), GC_INVALID_ARG);
    assert_non_null(strstr(gc_graph_error(g), "add"));
    assert_non_null(strstr(gc_graph_error(g), "(2,3)"));
    assert_null(gc_relu(g, x)); /* sticky: valid call, still NULL */
    assert_null(gc_matmul(g, x, z, false, false));
    assert_non_null(strstr(gc_graph_error(g), "add")); /* the first error stays */
    struct gc_plan *p = NULL;
    assert_int_equal(gc_plan_create(g, 1, &x, &p), GC_INVALID_ARG);
    assert_null(p);
    struct gc_tensor *dx;
    assert_int_equal(gc_grad(g, x, 1, &x, &dx), GC_INVALID_ARG);
    gc_graph_destroy(g);

    gc_assert_ok(gc_graph_create(devs[0], &g));
    x = input2(g, "x", 2, 3);
    assert_null(gc_matmul(g, x, x, false, false));
    assert_non_null(strstr(gc_graph_error(g), "matmul"));
    gc_graph_destroy(g);
}

/* Every op in the list either has a backward or is zero-gradient, so no
 * real op can reach autodiff's "no gradient" path; the node's op is
 * switched to `input` (no backward, not zero-gradient) to reach it. */
void gc_test_no_gradient(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    for (int op = 0; op < GC_OP_COUNT; op++) {
        const struct gc_op_desc *d = gc__op_descs[op];
        if (op != GC_OP_INPUT && op != GC_OP_PARAM)
            assert_true(d->backward != NULL || d->zero_grad);
    }
    struct gc_graph *g;
    gc_assert_ok(gc_graph_create(devs[0], &g));
    struct gc_tensor *x = input2(g, "x", 2, 3), *y = gc_relu(g, x);
    y->op = GC_OP_INPUT; /* a node with an input but no gradient */
    struct gc_tensor *loss = gc_sum(g, y), *dx = NULL;
    assert_int_equal(gc_grad(g, loss, 1, &x, &dx), GC_UNSUPPORTED);
    assert_non_null(strstr(gc_last_error(), "'input'"));
    assert_non_null(strstr(gc_last_error(), "no gradient"));
    assert_int_equal(gc_graph_status(g), GC_UNSUPPORTED); /* sticky too */
    y->op = GC_OP_RELU;
    gc_graph_destroy(g);
}

/* loss = sum(x * detach(x)) -> d/dx = x (not 2x); sum(tanh(detach(x))) -> 0. */
void gc_test_detach(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[d], &g));
        struct gc_tensor *x = input2(g, "x", 7, 5), *dx[2];
        struct gc_tensor *l1 = gc_sum(g, gc_mul(g, x, gc_detach(g, x)));
        struct gc_tensor *l2 = gc_sum(g, gc_tanh(g, gc_detach(g, x)));
        gc_assert_ok(gc_grad(g, l1, 1, &x, &dx[0]));
        gc_assert_ok(gc_grad(g, l2, 1, &x, &dx[1]));
        struct gc_plan *p;
        gc_assert_ok(gc_plan_create(g, 2, dx, &p));
        float xh[35], g1[35], g2[35], zero[35] = {0};
        gc_test_fill_uniform(xh, 35, 31, -1.0f, 1.0f);
        gc_assert_ok(gc_plan_write(p, x, xh));
        gc_assert_ok(gc_plan_run(p));
        gc_assert_ok(gc_plan_read(p, dx[0], g1));
        gc_assert_ok(gc_plan_read(p, dx[1], g2));
        char label[300];
        label_for(label, sizeof label, "d sum(x*detach(x))/dx", devs[d]);
        gc_assert_tensor_close(g1, xh, 35, 0, 0, label);
        label_for(label, sizeof label, "d sum(tanh(detach(x)))/dx", devs[d]);
        gc_assert_tensor_close(g2, zero, 35, 0, 0, label);
        gc_plan_destroy(p);
        gc_graph_destroy(g);
    }
}

/* y = tanh(x) used three times (y*y, y, and through x directly):
 * loss = sum(y*y + y + x) -> d/dx = (2y + 1)(1 - y^2) + 1. */
void gc_test_accumulate(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[d], &g));
        struct gc_tensor *x = input2(g, "x", 7, 5), *y = gc_tanh(g, x), *dx;
        struct gc_tensor *loss = gc_sum(g, gc_add(g, gc_add(g, gc_mul(g, y, y), y), x));
        gc_assert_ok(gc_grad(g, loss, 1, &x, &dx));
        struct gc_plan *p;
        gc_assert_ok(gc_plan_create(g, 1, &dx, &p));
        float xh[35], got[35], want[35];
        gc_test_fill_uniform(xh, 35, 41, -1.0f, 1.0f);
        for (int i = 0; i < 35; i++) {
            double t = tanh((double)xh[i]);
            want[i] = (float)((2 * t + 1) * (1 - t * t) + 1);
        }
        gc_assert_ok(gc_plan_write(p, x, xh));
        run_and_read(p, dx, got);
        char label[300];
        label_for(label, sizeof label, "gradient of a tensor used three times", devs[d]);
        gc_assert_tensor_close(got, want, 35, CHAIN_ATOL, CHAIN_RTOL, label);
        gc_plan_destroy(p);
        gc_graph_destroy(g);
    }
}
