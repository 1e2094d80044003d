/* SPDX-License-Identifier: MIT */
/* CycleGAN's discriminators against PyTorch on every test device: the
 * reference PixelDiscriminator(3, ndf 3) and NLayerDiscriminator(3, ndf 2,
 * n_layers 2) with batch norm, random weights and running statistics
 * (tests/fixtures/cyclegan_d.safetensors, tools/gen_cyclegan_fixtures.py),
 * loaded by their reference names: the eval-mode output (running
 * statistics), the train-mode output (batch statistics) and the running
 * statistics that train-mode forward leaves (momentum 0.1, unbiased
 * variance). The generators' golden is in the models suite (converted
 * through tools/convert_cyclegan_pth.py and run by `gan-cl translate`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/safetensors.h"
#include "harness.h"
#include "models/cyclegan_nets.h"
#include "models/state_io.h"

/* Sums of <= 48 products in float32 against PyTorch's float32 on the CPU. */
#define D_ATOL 1e-5
#define D_RTOL 1e-5

static float *read_all(struct gc_safetensors *st, const char *name, int64_t *numel)
{
    const struct gc_st_tensor *t = gc_safetensors_find(st, name);
    if (!t) fail_msg("fixture lacks %s", name);
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    float *buf = malloc(sizeof(float) * (size_t)n);
    assert_non_null(buf);
    gc_assert_ok(gc_safetensors_read_f32(st, name, buf, t->ndim, t->shape));
    *numel = n;
    return buf;
}

static void expect_close(struct gc_plan *p, struct gc_tensor *y, struct gc_safetensors *st,
                         const char *name)
{
    int64_t n;
    float *want = read_all(st, name, &n), *got = malloc(sizeof(float) * (size_t)n);
    assert_non_null(got);
    assert_int_equal(gc_tensor_numel(y), n);
    gc_assert_ok(gc_plan_read(p, y, got));
    gc_assert_tensor_close(got, want, n, D_ATOL, D_RTOL, name);
    free(want);
    free(got);
}

/* The running statistics of the net's batch norm(s) after the train run. */
static void expect_stats(const struct gc_cg_net *net, struct gc_safetensors *st,
                         const char *tag)
{
    char name[160];
    for (int i = 0; i < net->n_layers; i++) {
        const struct gc_cg_layer *l = &net->layer[i];
        if (l->kind != GC_CG_NORM) continue;
        struct gc_tensor *stats[2] = {l->running_mean, l->running_var};
        for (int k = 0; k < 2; k++) {
            snprintf(name, sizeof name, "%s_after.%s", tag, gc_tensor_name(stats[k]));
            int64_t n;
            float *want = read_all(st, name, &n), got[64];
            assert_true(n <= 64);
            gc_assert_ok(gc_param_read(stats[k], got));
            gc_assert_tensor_close(got, want, n, D_ATOL, D_RTOL, name);
            free(want);
        }
    }
}

static void check_d(struct gc_device *dev, struct gc_safetensors *st, const char *path,
                    const char *tag, enum gc_cg_netd kind, int ndf)
{
    struct gc_cyclegan_config c = {.ndf = ndf, .netD = kind, .n_layers_D = 2,
                                   .norm = GC_CG_NORM_BATCH};
    struct gc_graph *g;
    struct gc_cg_net net;
    char name[64];
    gc_assert_ok(gc_graph_create(dev, &g));
    gc_cg_discriminator_declare(g, tag, &c, 3, &net);
    snprintf(name, sizeof name, "%s.input", tag);
    const struct gc_st_tensor *in = gc_safetensors_find(st, name);
    assert_non_null(in);
    struct gc_tensor *x = gc_input(g, "x", 4, in->shape);
    struct gc_tensor *y_eval = gc_cg_forward(g, &net, x, GC_CG_EVAL, 0);
    struct gc_tensor *y_train = gc_cg_forward(g, &net, x, GC_CG_TRAIN, 0);
    gc_assert_ok(gc_graph_status(g));
    gc_assert_ok(gc_param_group_alloc(net.group));
    gc_assert_ok(gc_param_group_alloc(net.buffers));
    gc_assert_ok(gc__sr_group(st, net.group, NULL, path));
    gc_assert_ok(gc__sr_group(st, net.buffers, NULL, path));
    struct gc_plan *pe, *pt;
    gc_assert_ok(gc_plan_create(g, 1, &y_eval, &pe));
    gc_assert_ok(gc_plan_create(g, 1, &y_train, &pt));
    int64_t n;
    float *xv = read_all(st, name, &n);
    gc_assert_ok(gc_plan_write(pe, x, xv));
    gc_assert_ok(gc_plan_run(pe));
    snprintf(name, sizeof name, "%s.expected_eval", tag);
    expect_close(pe, y_eval, st, name);
    gc_assert_ok(gc_plan_write(pt, x, xv));
    gc_assert_ok(gc_plan_run(pt));
    snprintf(name, sizeof name, "%s.expected_train", tag);
    expect_close(pt, y_train, st, name);
    expect_stats(&net, st, tag);
    free(xv);
    gc_plan_destroy(pe);
    gc_plan_destroy(pt);
    gc_graph_destroy(g);
}

static void test_discriminators(void **state)
{
    (void)state;
    const char *dir = getenv("GANCL_FIXTURES");
    if (!dir) fail_msg("GANCL_FIXTURES is not set (run through meson test)");
    char path[512];
    snprintf(path, sizeof path, "%s/cyclegan_d.safetensors", dir);
    struct gc_safetensors *st;
    gc_assert_ok(gc_safetensors_load(&st, path));
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        check_d(devs[d], st, path, "pixel", GC_CG_D_PIXEL, 3);
        check_d(devs[d], st, path, "nlayer", GC_CG_D_N_LAYERS, 2);
    }
    gc_safetensors_destroy(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discriminators),
    };
    return cmocka_run_group_tests_name("cyclegan", tests, NULL, NULL);
}
