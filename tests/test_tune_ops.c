/* SPDX-License-Identifier: MIT */
/* Tuning gan-cl's own non-GEMM kernels (host/tune/op_search.c, op_bench.c): the kernel uses
 * of a small model step (conv2d + batch norm + leaky ReLU + sum_to, Adam over its weights) are
 * recorded while its plan and optimizer are created; a model-free tune of them writes BEST
 * entries whose values are the defaults or measured no slower than them; a deliberately wrong
 * candidate (test hook) is rejected, recorded and never run again; a second tune resumes
 * without measuring; and a plan created with the record installed resolves the recorded
 * values for its nodes (gc__plan_tunables: what its forwards build and launch with) and computes what the defaults compute: bit for bit
 * except through norm_stats, whose NORM_WG changes the summation order (1e-5 relative on the
 * statistics, so 1e-4 absolute on the normalised output of values of order 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl/cache.h"
#include "gancl/alloc.h"
#include "gancl/conv.h"
#include "gancl/nn_ops.h"
#include "gancl/optim.h"
#include "harness.h"
#include "tune/lookup.h"
#include "tune/tune_impl.h"

static struct gc_device *dev;
static char tmp_root[256];

static int setup(void **state)
{
    (void)state;
    char real[2048], link_path[512];
    if (gc_cache_root(real, sizeof real) != GC_OK) return -1;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/gancl-test-tune-ops-XXXXXX");
    if (!mkdtemp(tmp_root)) return -1;
    snprintf(link_path, sizeof link_path, "%s/gan-cl", tmp_root);
    gc_mkdirs(link_path);
    snprintf(link_path, sizeof link_path, "%s/gan-cl/programs", tmp_root);
    strcat(real, "/programs");
    gc_mkdirs(real);
    if (symlink(real, link_path) != 0) return -1;
    setenv("XDG_CACHE_HOME", tmp_root, 1);
    char note[256];
    return gc_device_open(getenv("GANCL_TEST_DEVICE"), NULL, &dev, note, sizeof note) == GC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gc_tune_unload(dev);
    gc_device_destroy(dev);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    return system(cmd) == 0 ? 0 : -1;
}

/* The small model step: y = sum_to(leaky_relu(batch_norm(conv2d(x, w))), (1, 8, 1, 1)). */
struct net {
    struct gc_graph *g;
    struct gc_param_group *grp;
    struct gc_tensor *x, *act, *y;
    struct gc_optim *opt;
};

static void net_build(struct net *n)
{
    int64_t xs[4] = {4, 3, 12, 12}, ws[4] = {8, 3, 3, 3}, ys[4] = {1, 8, 1, 1};
    gc_assert_ok(gc_graph_create(dev, &n->g));
    n->grp = gc_param_group(n->g, "net");
    struct gc_tensor *w = gc_param(n->grp, "w", 4, ws);
    n->x = gc_input(n->g, "x", 4, xs);
    struct gc_tensor *c = gc_conv2d(n->g, n->x, w, gc_conv_geom(1, 1));
    struct gc_tensor *st = gc_norm_stats(n->g, c, GC_NORM_BATCH, 1e-5f);
    n->act = gc_leaky_relu(n->g, gc_norm_apply(n->g, c, st, GC_NORM_BATCH, NULL, NULL), 0.2f);
    n->y = gc_sum_to(n->g, n->act, 4, ys);
    gc_assert_ok(gc_graph_status(n->g));
    gc_assert_ok(gc_param_group_alloc(n->grp));
    gc_assert_ok(gc_param_init_normal(w, 0, 0.3f, 7));
}

static void net_free(struct net *n)
{
    gc_optim_destroy(n->opt);
    gc_graph_destroy(n->g);
    memset(n, 0, sizeof *n);
}

/* Runs the step's plan on fixed x: act and y read back. */
static struct gc_plan *net_run(struct net *n, float *act, float *y)
{
    struct gc_tensor *outs[2] = {n->act, n->y};
    struct gc_plan *p;
    gc_assert_ok(gc_plan_create(n->g, 2, outs, &p));
    float x[4 * 3 * 12 * 12];
    gc_test_fill_uniform(x, 4 * 3 * 12 * 12, 3, -1, 1);
    gc_assert_ok(gc_plan_write(p, n->x, x));
    gc_assert_ok(gc_plan_run(p));
    gc_assert_ok(gc_plan_read(p, n->act, act));
    gc_assert_ok(gc_plan_read(p, n->y, y));
    return p;
}

/* The kernel uses of the step (plan + optimizer), as gan-cl tune collects them. */
static struct gc_tune_op *collect(int *n_ops)
{
    struct net n;
    gc__tune_op_recording_start(dev);
    net_build(&n);
    float act[4 * 8 * 12 * 12], y[8];
    gc_plan_destroy(net_run(&n, act, y));
    struct gc_optim_config oc = gc_optim_defaults(GC_OPTIM_ADAM, 2e-4f);
    gc_assert_ok(gc_optim_create(n.grp, &oc, &n.opt));
    struct gc_tune_op *ops;
    gc__tune_op_recording_stop(&ops, n_ops);
    net_free(&n);
    return ops;
}

static int find_op(const struct gc_tune_op *ops, int n, const char *kernel)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ops[i].kernel, kernel)) return i;
    fail_msg("no recorded use of %s", kernel);
    return -1;
}

static void fresh_record(struct gc_tune_record *r, char *path, size_t size)
{
    gc_assert_ok(gc_tune_record_path(gc_device_get_info(dev), path, size));
    unlink(path);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    gc_assert_ok(gc_mkdirs(dir));
    gc__tune_record_init(r, gc_device_get_info(dev));
}

static int corrupt_calls, corrupt_hits;
static int corrupt_tv[GC_MAX_TUNABLES];
static char corrupt_key[GC_SHAPE_KEY_MAX];

/* Makes one chosen (key, values) wrong: its last output moves by one ulp. */
static void corrupt(const char *key, const int *tv, float *y, size_t n)
{
    corrupt_calls++;
    if (strcmp(key, corrupt_key) || memcmp(tv, corrupt_tv, sizeof corrupt_tv)) return;
    corrupt_hits++;
    y[n - 1] = nextafterf(y[n - 1], INFINITY);
}

static struct gc_tune_search search_opts(int max_evals)
{
    return (struct gc_tune_search){.deadline = gc__tune_clock() + 20, .max_evals = max_evals, .seed = 5};
}

static bool is_default(const struct gc_tune_op *op, const int *tv)
{
    int def[GC_MAX_TUNABLES] = {0};
    if (op->op == GC_OP_COUNT) {
        const struct gc_tunable *t;
        int n;
        unsigned u;
        const char *prog;
        assert_true(gc__tune_op_tunables(op->kernel, &t, &n, &u, &prog));
        for (int i = 0; i < n; i++) def[i] = t[i].def;
        if ((size_t)def[0] > gc_device_get_info(dev)->max_work_group)
            def[0] = (int)gc_device_get_info(dev)->max_work_group;
    } else {
        gc__op_default_values(dev, gc__op_descs[op->op], def);
    }
    return !memcmp(def, tv, sizeof def);
}

/* Every recorded use with something to tune gets a BEST entry; a winner other than the
 * defaults measured no slower than them; resuming measures nothing. */
static void test_tune_ops_model_free(void **state)
{
    (void)state;
    int n_ops;
    struct gc_tune_op *ops = collect(&n_ops);
    const char *want[] = {"conv2d", "norm_stats", "norm_apply", "leaky_relu", "sum_to", "adam_step"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) find_op(ops, n_ops, want[i]);
    for (int i = 0; i < n_ops; i++) /* expand, norm_running_update: nothing they depend on */
        assert_true(strcmp(ops[i].kernel, "norm_running_update") && strcmp(ops[i].kernel, "expand"));
    struct gc_tune_record rec;
    char path[1024];
    fresh_record(&rec, path, sizeof path);
    struct gc_tune_search opt = search_opts(6);
    int64_t evals0 = gc__tune_evals_total;
    for (int i = 0; i < n_ops; i++) {
        struct gc_tune_row row;
        gc_assert_ok(gc__tune_op_shape(dev, &ops[i], &rec, path, &opt, &row));
        assert_false(row.resumed);
        assert_true(row.evals >= 1 && row.evals <= 6);
        int b = gc__tune_record_best_op(&rec, ops[i].key);
        assert_true(b >= 0);
        const struct gc_tune_entry *e = &rec.e[b];
        assert_string_equal(e->kernel, ops[i].kernel);
        assert_true(e->median_s > 0 && e->default_s > 0);
        if (!is_default(&ops[i], e->tv)) assert_true(e->median_s <= e->default_s);
        for (int k = 0; k < rec.n; k++) assert_true(rec.e[k].outcome != GC_TUNE_PENDING);
    }
    assert_true(gc__tune_evals_total > evals0 + n_ops);
    /* the file holds them; a second tune resumes every one without measuring */
    struct gc_tune_record back;
    gc_assert_ok(gc__tune_record_load(path, &back));
    int64_t evals1 = gc__tune_evals_total;
    for (int i = 0; i < n_ops; i++) {
        struct gc_tune_row row;
        gc_assert_ok(gc__tune_op_shape(dev, &ops[i], &back, path, &opt, &row));
        assert_true(row.resumed);
        assert_int_equal(memcmp(back.e[gc__tune_record_best_op(&back, ops[i].key)].tv,
                                rec.e[gc__tune_record_best_op(&rec, ops[i].key)].tv, sizeof rec.e[0].tv), 0);
    }
    assert_int_equal(gc__tune_evals_total, evals1);
    gc__tune_record_free(&back);
    gc__tune_record_free(&rec);
    gc_free(ops);
}

/* A wrong candidate is rejected and recorded; the next tune of the key does not run it. */
static void test_tune_ops_wrong_candidate(void **state)
{
    (void)state;
    int n_ops;
    struct gc_tune_op *ops = collect(&n_ops);
    const struct gc_tune_op *op = &ops[find_op(ops, n_ops, "leaky_relu")];
    struct gc_tune_record rec;
    char path[1024];
    fresh_record(&rec, path, sizeof path);
    gc__op_default_values(dev, gc__op_descs[op->op], corrupt_tv);
    corrupt_tv[1] = corrupt_tv[1] == 2 ? 4 : 2; /* EW_EPI: in the first few of the product */
    corrupt_tv[0] = 64;
    snprintf(corrupt_key, sizeof corrupt_key, "%s", op->key);
    corrupt_calls = corrupt_hits = 0;
    gc__tune_test_corrupt_op = corrupt;
    struct gc_tune_search opt = search_opts(0);
    struct gc_tune_row row;
    gc_assert_ok(gc__tune_op_shape(dev, op, &rec, path, &opt, &row));
    assert_int_equal(corrupt_hits, 1);
    assert_true(row.rejected >= 1);
    int w = gc__tune_record_find_op(&rec, op->key, corrupt_tv);
    assert_true(w >= 0);
    assert_int_equal(rec.e[w].outcome, GC_TUNE_WRONG);
    int b = gc__tune_record_best_op(&rec, op->key);
    assert_true(b >= 0 && memcmp(rec.e[b].tv, corrupt_tv, sizeof corrupt_tv));
    /* From the file, its BEST dropped (as after a kernel change): the search runs again,
     * but never the rejected values. */
    struct gc_tune_record back;
    gc_assert_ok(gc__tune_record_load(path, &back));
    b = gc__tune_record_best_op(&back, op->key);
    back.e[b] = back.e[--back.n];
    gc_assert_ok(gc__tune_op_shape(dev, op, &back, path, &opt, &row));
    assert_false(row.resumed);
    assert_int_equal(corrupt_hits, 1);
    assert_true(corrupt_calls > 1);
    w = gc__tune_record_find_op(&back, op->key, corrupt_tv);
    assert_true(w >= 0 && back.e[w].outcome == GC_TUNE_WRONG);
    gc__tune_test_corrupt_op = NULL;
    gc__tune_record_free(&back);
    gc__tune_record_free(&rec);
    gc_free(ops);
}

/* Adds a BEST entry of (op, values) to r. */
static void add_best(struct gc_tune_record *r, const struct gc_tune_op *op, const int *tv)
{
    struct gc_tune_entry e = {.is_op = true, .outcome = GC_TUNE_BEST, .median_s = 1e-4,
                              .default_s = 2e-4, .source_hash = gc__tune_op_source_hash(op->kernel)};
    snprintf(e.kernel, sizeof e.kernel, "%s", op->kernel);
    snprintf(e.key, sizeof e.key, "%s", op->key);
    memcpy(e.tv, tv, sizeof e.tv);
    gc_assert_ok(gc__tune_record_add(r, &e));
}

/* With non-default values installed from the record file, the plan resolves them once and
 * the step computes what the defaults do. */
static void test_plan_uses_record(void **state)
{
    (void)state;
    int n_ops;
    struct gc_tune_op *ops = collect(&n_ops);
    struct gc_tune_record rec;
    char path[1024], line[512];
    fresh_record(&rec, path, sizeof path);
    int ew[GC_EW_TUNABLES];
    gc__ew_values(dev, ew); /* the recorded EW_EPI must differ from the device's default */
    const int lrelu[GC_MAX_TUNABLES] = {64, ew[1] == 4 ? 2 : 4}, stats[GC_MAX_TUNABLES] = {32, 256, 1},
              conv[GC_MAX_TUNABLES] = {32}, red[GC_MAX_TUNABLES] = {16, 4}, adam[GC_MAX_TUNABLES] = {128, 2};
    add_best(&rec, &ops[find_op(ops, n_ops, "leaky_relu")], lrelu);
    add_best(&rec, &ops[find_op(ops, n_ops, "norm_stats")], stats);
    add_best(&rec, &ops[find_op(ops, n_ops, "conv2d")], conv);
    add_best(&rec, &ops[find_op(ops, n_ops, "sum_to")], red);
    add_best(&rec, &ops[find_op(ops, n_ops, "adam_step")], adam);
    gc_assert_ok(gc__tune_record_save(path, &rec));
    gc__tune_record_free(&rec);

    struct net n;
    net_build(&n);
    float act0[4 * 8 * 12 * 12], y0[8], act1[4 * 8 * 12 * 12], y1[8];
    gc_tune_unload(dev);
    struct gc_plan *p0 = net_run(&n, act0, y0);
    gc_assert_ok(gc_tune_load(dev, line, sizeof line));
    assert_non_null(strstr(line, "0 GEMM shapes, 5 kernel shapes"));
    assert_int_equal(gc__tune_loaded_ops(dev), 5);
    struct gc_plan *p1 = net_run(&n, act1, y1);
    const struct gc_tensor *lr = n.act, *sum = n.y, *nap = lr->in[0], *st = nap->in[1], *cv = st->in[0];
    assert_int_equal(memcmp(gc__plan_tunables(p1, lr), lrelu, 2 * sizeof(int)), 0);
    assert_int_equal(memcmp(gc__plan_tunables(p1, st), stats, sizeof(int)), 0);
    assert_int_equal(gc__plan_tunables(p1, cv)[0], 32);
    assert_int_equal(memcmp(gc__plan_tunables(p1, sum), red, 2 * sizeof(int)), 0);
    /* norm_stats takes NORM_WG from the record, norm_apply (no entry) the defaults */
    assert_int_equal(memcmp(gc__plan_tunables(p1, nap), gc__plan_tunables(p0, nap), 3 * sizeof(int)), 0);
    assert_int_not_equal(gc__plan_tunables(p0, lr)[1], lrelu[1]);
    for (int i = 0; i < 4 * 8 * 12 * 12; i++) assert_true(fabsf(act1[i] - act0[i]) <= 1e-4f);
    for (int i = 0; i < 8; i++) assert_true(fabsf(y1[i] - y0[i]) <= 1e-5f * 4 * 144 + 1e-3f);
    /* the optimizer takes its values too: same update bits as the defaults' */
    struct gc_optim_config oc = gc_optim_defaults(GC_OPTIM_ADAM, 1e-2f);
    gc_assert_ok(gc_optim_create(n.grp, &oc, &n.opt));
    gc_plan_destroy(p0);
    gc_plan_destroy(p1);
    net_free(&n);
    gc_tune_unload(dev);
    gc_free(ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tune_ops_model_free),
        cmocka_unit_test(test_tune_ops_wrong_candidate),
        cmocka_unit_test(test_plan_uses_record),
    };
    return cmocka_run_group_tests_name("tune_ops", tests, setup, teardown);
}
