/* SPDX-License-Identifier: MIT */
/* The softmax family (host/ops/softmax.c) on every device: log_softmax
 * forward and backward against the double references of ref/softmax_ref.c
 * on odd shapes and on logits far beyond exp's float range, a finite-
 * difference gradcheck, a second-order gradcheck (its backward is built from
 * differentiable ops), and cross-entropy's value and gradient
 * (softmax - target) / N. Registered in test_ops.c's `elsewhere` table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gancl/softmax.h"
#include "harness.h"
#include "ref/softmax_ref.h"

/* Forward/backward: float kernels vs double references, |x| <= ~100. */
#define ATOL 2e-5
#define RTOL 2e-5
/* Central differences in float with step 1e-2 on a loss of O(10) terms:
 * truncation ~1e-5, rounding ~1e-5 / 1e-2 = 1e-3 relative. */
#define FD_EPS 1e-2f
#define FD_ATOL 3e-3
#define FD_RTOL 3e-3

static const char *dev_name(struct gc_device *dev)
{
    return gc_device_get_info(dev)->platform_name;
}

struct sm {
    struct gc_graph *g;
    struct gc_tensor *x, *w, *v, *y, *loss, *dx;
    struct gc_plan *p;
};

/* y = log_softmax(x), loss = sum(y * w), dx = d loss / dx; second order:
 * loss2 = sum(dx * v) and its gradient. */
static void sm_build(struct sm *s, struct gc_device *dev, int ndim, const int64_t *shape,
                     bool second)
{
    gc_assert_ok(gc_graph_create(dev, &s->g));
    s->x = gc_input(s->g, "x", ndim, shape);
    s->w = gc_input(s->g, "w", ndim, shape);
    s->y = gc_log_softmax(s->g, s->x);
    s->loss = gc_sum(s->g, gc_mul(s->g, s->y, s->w));
    gc_assert_ok(gc_grad(s->g, s->loss, 1, &s->x, &s->dx));
    if (second) {
        s->v = gc_input(s->g, "v", ndim, shape);
        s->loss = gc_sum(s->g, gc_mul(s->g, s->dx, s->v));
        gc_assert_ok(gc_grad(s->g, s->loss, 1, &s->x, &s->dx));
    }
    gc_assert_ok(gc_graph_status(s->g));
    struct gc_tensor *outs[3] = {s->y, s->loss, s->dx};
    gc_assert_ok(gc_plan_create(s->g, 3, outs, &s->p));
}

static void sm_free(struct sm *s)
{
    gc_plan_destroy(s->p);
    gc_graph_destroy(s->g);
}

static double loss_at(struct sm *s, const float *x)
{
    float l;
    gc_assert_ok(gc_plan_write(s->p, s->x, x));
    gc_assert_ok(gc_plan_run(s->p));
    gc_assert_ok(gc_plan_read(s->p, s->loss, &l));
    return l;
}

static void fd_check(struct sm *s, float *x, int64_t n, const float *dx, const char *label)
{
    float *fd = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        float x0 = x[i];
        x[i] = x0 + FD_EPS;
        double lp = loss_at(s, x);
        x[i] = x0 - FD_EPS;
        double lm = loss_at(s, x);
        x[i] = x0;
        fd[i] = (float)((lp - lm) / (2.0 * FD_EPS));
    }
    gc_assert_tensor_close(dx, fd, n, FD_ATOL, FD_RTOL, label);
    free(fd);
}

static void one_case(struct gc_device *dev, int ndim, const int64_t *shape, float lo, float hi,
                     const char *name)
{
    int64_t n = 1, c = shape[ndim - 1];
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    float *x = malloc(sizeof(float) * (size_t)n), *w = malloc(sizeof(float) * (size_t)n);
    float *y = malloc(sizeof(float) * (size_t)n), *dx = malloc(sizeof(float) * (size_t)n);
    float *ey = malloc(sizeof(float) * (size_t)n), *edx = malloc(sizeof(float) * (size_t)n);
    gc_test_fill_uniform(x, n, 41 + (uint64_t)n, lo, hi);
    gc_test_fill_uniform(w, n, 43 + (uint64_t)n, -1.0f, 1.0f);
    struct sm s;
    sm_build(&s, dev, ndim, shape, false);
    gc_assert_ok(gc_plan_write(s.p, s.w, w));
    loss_at(&s, x);
    gc_assert_ok(gc_plan_read(s.p, s.y, y));
    gc_assert_ok(gc_plan_read(s.p, s.dx, dx));
    gc_sref_log_softmax(x, n / c, c, ey);
    gc_sref_log_softmax_vjp(x, w, n / c, c, edx);
    char lb[300];
    snprintf(lb, sizeof lb, "log_softmax %s@%s forward", name, dev_name(dev));
    gc_assert_tensor_close(y, ey, n, ATOL, RTOL, lb);
    snprintf(lb, sizeof lb, "log_softmax %s@%s backward", name, dev_name(dev));
    gc_assert_tensor_close(dx, edx, n, ATOL, RTOL, lb);
    if (hi - lo < 20) { /* finite differences need a loss of moderate size */
        snprintf(lb, sizeof lb, "log_softmax %s@%s gradcheck", name, dev_name(dev));
        fd_check(&s, x, n, dx, lb);
    }
    sm_free(&s);
    free(x), free(w), free(y), free(dx), free(ey), free(edx);
}

static void test_log_softmax(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        one_case(devs[d], 2, (int64_t[]){7, 5}, -3.0f, 3.0f, "(7,5)");
        one_case(devs[d], 3, (int64_t[]){3, 4, 10}, -4.0f, 4.0f, "(3,4,10)");
        one_case(devs[d], 1, (int64_t[]){13}, -2.0f, 2.0f, "(13)");
        /* exp(100) overflows float: only a max-subtracted kernel survives */
        one_case(devs[d], 2, (int64_t[]){5, 11}, 60.0f, 100.0f, "(5,11) large logits");
        one_case(devs[d], 2, (int64_t[]){5, 11}, -100.0f, -60.0f, "(5,11) very negative logits");
    }
}

static void test_log_softmax_second_order(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    const int64_t shape[2] = {3, 6}, n = 18;
    float x[18], w[18], v[18], dx[18];
    gc_test_fill_uniform(x, n, 51, -2.0f, 2.0f);
    gc_test_fill_uniform(w, n, 52, -1.0f, 1.0f);
    gc_test_fill_uniform(v, n, 53, -1.0f, 1.0f);
    for (int d = 0; d < nd; d++) {
        struct sm s;
        sm_build(&s, devs[d], 2, shape, true);
        gc_assert_ok(gc_plan_write(s.p, s.w, w));
        gc_assert_ok(gc_plan_write(s.p, s.v, v));
        loss_at(&s, x);
        gc_assert_ok(gc_plan_read(s.p, s.dx, dx));
        char lb[300];
        snprintf(lb, sizeof lb, "log_softmax (3,6)@%s second-order gradcheck",
                 dev_name(devs[d]));
        fd_check(&s, x, n, dx, lb);
        sm_free(&s);
    }
}

static void test_cross_entropy(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    enum { N = 9, C = 10 };
    float x[N * C], t[N * C] = {0}, dx[N * C], edx[N * C], l;
    gc_test_fill_uniform(x, N * C, 61, -5.0f, 5.0f);
    for (int i = 1; i < N; i++)
        t[i * C + (i * 7) % C] = 1.0f; /* one-hot rows */
    t[0] = t[C - 1] = 0.5f;            /* and a soft one */
    for (int i = 0; i < N; i++) {
        double m = x[i * C], s = 0;
        for (int c = 1; c < C; c++)
            m = x[i * C + c] > m ? x[i * C + c] : m;
        for (int c = 0; c < C; c++)
            s += exp(x[i * C + c] - m);
        for (int c = 0; c < C; c++)
            edx[i * C + c] = (float)((exp(x[i * C + c] - m) / s - t[i * C + c]) / N);
    }
    double el = gc_sref_cross_entropy(x, t, N, C);
    for (int d = 0; d < nd; d++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[d], &g));
        const int64_t sh[2] = {N, C};
        struct gc_tensor *xi = gc_input(g, "x", 2, sh), *ti = gc_input(g, "t", 2, sh), *gx;
        struct gc_tensor *loss = gc_cross_entropy(g, xi, ti);
        gc_assert_ok(gc_grad(g, loss, 1, &xi, &gx));
        struct gc_plan *p;
        struct gc_tensor *outs[2] = {loss, gx};
        gc_assert_ok(gc_plan_create(g, 2, outs, &p));
        gc_assert_ok(gc_plan_write(p, xi, x));
        gc_assert_ok(gc_plan_write(p, ti, t));
        gc_assert_ok(gc_plan_run(p));
        gc_assert_ok(gc_plan_read(p, loss, &l));
        gc_assert_ok(gc_plan_read(p, gx, dx));
        float elf = (float)el;
        gc_assert_tensor_close(&l, &elf, 1, ATOL, RTOL, "cross_entropy value");
        gc_assert_tensor_close(dx, edx, N * C, ATOL, RTOL, "cross_entropy gradient");
        gc_plan_destroy(p);
        /* shape errors are reported, not asserted */
        struct gc_tensor *bad = gc_input(g, "b", 1, (int64_t[]){C});
        assert_null(gc_cross_entropy(g, bad, bad));
        assert_int_equal(gc_graph_status(g), GC_INVALID_ARG);
        gc_graph_destroy(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_softmax),
        cmocka_unit_test(test_log_softmax_second_order),
        cmocka_unit_test(test_cross_entropy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
