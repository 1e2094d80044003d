/* SPDX-License-Identifier: MIT */
/* Inception-v3, pytorch-fid's FID variant (host/eval/inception.c), against
 * pytorch-fid's own network code with identical random weights
 * (tools/gen_inception_fixtures.py: Philox weights by state_dict name, the
 * same images), on every test device: the 2048-d pool features whole and
 * sampled logits, with and without the fc bias.
 *
 * Error metric, per tensor: max |gan-cl - PyTorch| / max |PyTorch|, which
 * must be <= 1e-4 (the acceptance bound). Both sides are float32
 * through 94 convolutions summed in different orders; PyTorch's float32 run
 * is itself 2-5e-7 from its float64 run (the generator prints it), so 1e-4
 * leaves room for summation order and still fails any wrong layer, padding,
 * pool or resize (those move features by 1e-2 or more).
 *
 * Three images (rgb: 2 of 37x53, gray: 1 of 28x28 repeated to 3 channels):
 * the network costs ~6 GFLOP per image whatever the input size.
 *
 * The weights are written to a temporary safetensors file and read back
 * through gc_inception_load, the path `gan-cl eval` uses. With
 * GANCL_INCEPTION_WEIGHTS=FILE the test loads FILE instead: tools/
 * check-inception passes the file tools/convert_fid_inception.py made from
 * the generator's torch.save'd state_dict, which must give the same numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gancl/inception.h"
#include "gancl/philox.h"
#include "gancl/safetensors.h"
#include "harness.h"

#define REL_TOL 1e-4
#define WEIGHT_SEED 2015
#define IMAGE_SEED 1205
#define SAMPLES 128
#define SAMPLE_MUL 2654435761u

static const struct {
    const char *name;
    int64_t shape[4];
} cases[] = {{"rgb", {2, 3, 37, 53}}, {"gray", {1, 1, 28, 28}}};

static uint32_t fnv1a32(const char *s)
{
    uint32_t h = 0x811C9DC5u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x01000193u;
    return h;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The generator's ranges (see tools/gen_inception_fixtures.py). */
static void weight_range(const struct gc_tensor *p, double *lo, double *hi)
{
    const char *name = gc_tensor_name(p);
    if (ends_with(name, ".conv.weight") || strcmp(name, "fc.weight") == 0) {
        double fan = (double)(gc_tensor_numel(p) / gc_tensor_dim(p, 0));
        double a = sqrt((strcmp(name, "fc.weight") == 0 ? 3.0 : 6.0) / fan);
        *lo = -a, *hi = a;
    } else if (strcmp(name, "fc.bias") == 0) {
        *lo = -0.1, *hi = 0.1;
    } else if (ends_with(name, ".weight") || ends_with(name, ".running_var")) {
        *lo = 0.5, *hi = 1.5;
    } else {
        assert_true(ends_with(name, ".bias") || ends_with(name, ".running_mean"));
        *lo = -0.2, *hi = 0.2;
    }
}

/* Philox weights for every parameter of m, saved as safetensors at path. */
static void write_weights(struct gc_inception *m, const char *path)
{
    struct gc_param_group *grp = gc_inception_params(m);
    int n = gc_param_group_count(grp);
    assert_int_equal(n, 94 * 5 + 2); /* 94 BasicConv2d (conv + 4 BatchNorm tensors), fc */
    float *all = malloc(sizeof(float) * (size_t)gc_param_group_numel(grp));
    struct gc_st_tensor *t = calloc((size_t)n, sizeof *t);
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        struct gc_tensor *p = gc_param_group_at(grp, i);
        double lo, hi;
        weight_range(p, &lo, &hi);
        uint32_t stream = fnv1a32(gc_tensor_name(p));
        int64_t k = gc_tensor_numel(p);
        for (int64_t j = 0; j < k; j++)
            all[off + j] = (float)(lo + (hi - lo) * (double)gc_philox_uniform(WEIGHT_SEED, stream,
                                                                              0, (uint64_t)j));
        t[i] = (struct gc_st_tensor){.name = gc_tensor_name(p), .dtype = GC_ST_F32,
                                     .ndim = gc_tensor_ndim(p), .data = all + off,
                                     .nbytes = sizeof(float) * (size_t)k};
        for (int d = 0; d < t[i].ndim; d++) t[i].shape[d] = gc_tensor_dim(p, d);
        off += k;
    }
    gc_assert_ok(gc_safetensors_save(path, t, n, NULL, 0));
    free(t);
    free(all);
}

/* max |a - b| / max |b| over n values */
static double rel_err(const float *a, const float *b, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

static void compare(const struct gc_fixture *fx, const char *cs, const char *tag, const float *got,
                    int64_t n, bool sampled, const char *dev)
{
    char name[64];
    snprintf(name, sizeof name, "%s_%s", cs, tag);
    const float *want = gc_fixture_get(fx, name, NULL, NULL);
    float pick[SAMPLES];
    if (sampled) {
        for (int k = 0; k < SAMPLES; k++) pick[k] = got[((uint64_t)k * SAMPLE_MUL) % (uint64_t)n];
        got = pick, n = SAMPLES;
    }
    assert_int_equal(gc_fixture_numel(fx, name), n);
    double e = rel_err(got, want, n);
    print_message("inception %s %-16s on %s: max |gan-cl - PyTorch| / max |PyTorch| = %.2e\n", cs,
                  tag, dev, e);
    if (!(e <= REL_TOL))
        fail_msg("inception %s %s on %s: relative error %.3g > %g", cs, tag, dev, e, REL_TOL);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The weights every test reads: GANCL_INCEPTION_WEIGHTS, or Philox weights
 * written to a temporary file by the group setup. */
static char weights[4096];
static bool weights_tmp;

static int setup(void **state)
{
    (void)state;
    const char *given = getenv("GANCL_INCEPTION_WEIGHTS");
    if (given && *given) {
        snprintf(weights, sizeof weights, "%s", given);
        return 0;
    }
    snprintf(weights, sizeof weights, "/tmp/gancl-inception-XXXXXX");
    int fd = mkstemp(weights);
    if (fd < 0) return -1;
    close(fd);
    weights_tmp = true;
    struct gc_device **devs;
    gc_test_devices(&devs);
    struct gc_inception *m;
    if (gc_inception_create(devs[0], 1, 1, 28, 28, &m) != GC_OK) return -1;
    write_weights(m, weights);
    gc_inception_destroy(m);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (weights_tmp) unlink(weights);
    return 0;
}

static void test_against_pytorch(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_fixture *fx = gc_fixture_load("inception.gcf");
    for (int d = 0; d < nd; d++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const int64_t *s = cases[c].shape;
            struct gc_inception *m;
            gc_assert_ok(gc_inception_create(devs[d], (int)s[0], (int)s[1], (int)s[2], (int)s[3], &m));
            gc_assert_ok(gc_inception_load(m, weights));
            int64_t n = s[0] * s[1] * s[2] * s[3];
            float *x = malloc(sizeof(float) * (size_t)n);
            for (int64_t i = 0; i < n; i++)
                x[i] = gc_philox_uniform(IMAGE_SEED + c, 0, 0, (uint64_t)i);
            float *f = malloc(sizeof(float) * (size_t)(s[0] * GC_INCEPTION_FEATURES));
            float *l = malloc(sizeof(float) * (size_t)(s[0] * GC_INCEPTION_CLASSES));
            float *u = malloc(sizeof(float) * (size_t)(s[0] * GC_INCEPTION_CLASSES));
            double t0 = now();
            gc_assert_ok(gc_inception_forward(m, x, f, l, u));
            const char *dev = gc_device_get_info(devs[d])->platform_name;
            /* one run only (rusticl's llvmpipe takes ~30 s per image): the
             * time includes building or loading the kernels */
            print_message("inception %s on %s: %.2f s for %lld images\n", cases[c].name, dev,
                          now() - t0, (long long)s[0]);
            compare(fx, cases[c].name, "features", f, s[0] * GC_INCEPTION_FEATURES, false, dev);
            compare(fx, cases[c].name, "logits", l, s[0] * GC_INCEPTION_CLASSES, true, dev);
            compare(fx, cases[c].name, "logits_unbiased", u, s[0] * GC_INCEPTION_CLASSES, true, dev);
            free(x), free(f), free(l), free(u);
            gc_inception_destroy(m);
        }
    gc_fixture_free(fx);
}

/* A weights file without one tensor, or with a wrong shape, fails naming the
 * file and the tensor; the network keeps its weights. */
static void test_bad_weights(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    struct gc_inception *m;
    gc_assert_ok(gc_inception_create(devs[0], 1, 1, 28, 28, &m));
    char path[] = "/tmp/gancl-inception-bad-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    float w[32 * 3 * 3 * 3];
    memset(w, 0, sizeof w);
    struct gc_st_tensor t = {.name = "Conv2d_1a_3x3.conv.weight", .dtype = GC_ST_F32, .ndim = 4,
                             .shape = {32, 3, 3, 3}, .data = w, .nbytes = sizeof(float) * 864};
    gc_assert_ok(gc_safetensors_save(path, &t, 1, NULL, 0));
    assert_int_equal(gc_inception_load(m, path), GC_NOT_FOUND);
    assert_non_null(strstr(gc_last_error(), "Conv2d_1a_3x3.bn.weight"));
    assert_non_null(strstr(gc_last_error(), path));
    t.shape[1] = 2, t.nbytes = sizeof(float) * 576; /* 2 input channels */
    gc_assert_ok(gc_safetensors_save(path, &t, 1, NULL, 0));
    assert_int_equal(gc_inception_load(m, path), GC_FORMAT);
    assert_non_null(strstr(gc_last_error(), "Conv2d_1a_3x3.conv.weight"));
    unlink(path);
    assert_int_not_equal(gc_inception_load(m, path), GC_OK); /* gone */
    assert_non_null(strstr(gc_last_error(), path));
    assert_int_equal(gc_inception_create(devs[0], 1, 2, 28, 28, &m), GC_INVALID_ARG);
    gc_inception_destroy(m);
}

static int sh(const char *cmd, char *out, size_t size)
{
    FILE *p = popen(cmd, "r");
    if (!p) fail_msg("cannot run %s", cmd);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* `gan-cl eval --features inception:FILE` end to end on 10 + 10 Fashion-
 * MNIST images (PoCL, ~10 s): scores labelled inception; a missing weights
 * file fails with exit 1 naming it, an unknown network is a usage error (2). */
static void test_cli(void **state)
{
    (void)state;
    const char *bin = getenv("GANCL_BIN");
    if (!bin) fail_msg("GANCL_BIN is not set (run through meson test)");
    static char cmd[8192], out[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' eval --real fashion-mnist --fake fashion-mnist-test --n 10 --device 0 "
             "--features 'inception:%s' --json 2>&1",
             bin, weights);
    int rc = sh(cmd, out, sizeof out);
    if (rc != 0) fail_msg("%s exited with %d: %s", cmd, rc, out);
    if (!strstr(out, "\"features\": \"inception\"") || !strstr(out, "\"n_fake\": 10"))
        fail_msg("eval --features inception: unexpected output %s", out);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --fake fashion-mnist-test --n 10 --features inception:/nonexistent/w.st 2>&1",
             bin);
    rc = sh(cmd, out, sizeof out);
    if (rc != 1 || !strstr(out, "/nonexistent/w.st"))
        fail_msg("missing weights: exit %d, output %s", rc, out);
    snprintf(cmd, sizeof cmd, "'%s' eval --fake fashion-mnist-test --features vgg 2>&1", bin);
    rc = sh(cmd, out, sizeof out);
    if (rc != 2 || !strstr(out, "inception:FILE"))
        fail_msg("unknown network: exit %d, output %s", rc, out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_weights),
        cmocka_unit_test(test_against_pytorch),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
