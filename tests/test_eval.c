/* SPDX-License-Identifier: MIT */
/* Metrics (host/eval/): closed forms — FID(x, x) = 0, commuting (diagonal)
 * covariances, a non-commuting 2x2 pair worked by hand, IS of uniform and
 * of confident balanced predictions, P&R/D&C of a set against itself — and a
 * cross-check of every metric against tools/eval_ref.py (numpy/scipy, the
 * reference implementations' own formulas) on the same feature file, to
 * 1e-6 relative. Without $GANCL_PYTHON (set by tools/test) the cross-check
 * fails: it never skips. Also `gan-cl eval` end to end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gancl/alloc.h"
#include "gancl/eval.h"
#include "gancl/idx.h"
#include "gancl/image.h"
#include "gancl/safetensors.h"
#include "harness.h"

/* Closed forms are exact up to double rounding of O(d) terms of size ~10. */
#define TOL_CLOSED 1e-10
/* The cross-check: the bound; float32 features, double everywhere
 * after, so the two implementations differ only by summation order. */
#define TOL_REF 1e-6

static int setup(void **state)
{
    (void)state;
    gc_test_use_cmocka_alloc();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gc_test_use_libc_alloc();
    return 0;
}

/* Relative error (absolute below 1), failing the test above tol. */
static double close_rel(double got, double want, double tol, const char *what)
{
    double err = fabs(got - want), scale = fabs(want) > 1 ? fabs(want) : 1;
    if (!(err <= tol * scale))
        fail_msg("%s: got %.12g expected %.12g (error %.3g, tolerance %.3g)", what, got, want,
                 err / scale, tol);
    return err / scale;
}

/* Deterministic correlated features: x_i = A z_i + shift, z ~ U(-1, 1). */
static float *features(int64_t n, int d, uint64_t seed, float shift, float mix)
{
    float *z = malloc(sizeof(float) * (size_t)(n * d)),
          *x = malloc(sizeof(float) * (size_t)(n * d));
    gc_test_fill_uniform(z, n * d, seed, -1.0f, 1.0f);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < d; k++) {
            float v = z[i * d + k] + shift * (float)(k % 3);
            if (k > 0) v += mix * z[i * d + k - 1];
            x[i * d + k] = v * (1.0f + 0.1f * (float)k);
        }
    free(z);
    return x;
}

static void test_fid_self(void **state)
{
    (void)state;
    float *x = features(300, 12, 1, 0.5f, 0.7f);
    double f = -1;
    gc_assert_ok(gc_eval_fid(x, 300, x, 300, 12, &f));
    /* tr S scale ~ 12 * 1.5: sqrt of the eigenvalues is exact to ~1e-15 relative */
    close_rel(f, 0.0, TOL_CLOSED, "FID(x, x)");
    free(x);
}

static void test_fid_diagonal(void **state)
{
    (void)state;
    /* commuting covariances: FID = |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2 */
    enum { D = 5 };
    double a[D] = {1, 4, 0.25, 9, 2}, b[D] = {4, 1, 1, 9, 0.5};
    double m1[D] = {0, 1, 2, 3, 4}, m2[D] = {1, 1, 2, 3, 2};
    double s1[D * D] = {0}, s2[D * D] = {0}, want = 5; /* (0-1)^2 + (4-2)^2 */
    for (int i = 0; i < D; i++) {
        s1[i * D + i] = a[i], s2[i * D + i] = b[i];
        want += (sqrt(a[i]) - sqrt(b[i])) * (sqrt(a[i]) - sqrt(b[i]));
    }
    double f;
    int retried = -1;
    gc_assert_ok(gc_eval_frechet(m1, s1, m2, s2, D, 1e-6, &f, &retried));
    close_rel(f, want, TOL_CLOSED, "FID of diagonal covariances");
    assert_int_equal(retried, 0);
}

static void test_fid_noncommuting(void **state)
{
    (void)state;
    /* S1 = [[2, 1], [1, 2]], S2 = diag(1, 4): S1 S2 = [[2, 4], [1, 8]] != S2 S1.
     * For a 2x2 matrix M with positive eigenvalues, tr sqrt(M) = sqrt(tr M +
     * 2 sqrt(det M)); tr(S1 S2) = 10, det = 3 * 4 = 12, so
     * FID = tr S1 + tr S2 - 2 sqrt(10 + 4 sqrt 3) = 9 - 2 sqrt(10 + 4 sqrt 3). */
    double s1[4] = {2, 1, 1, 2}, s2[4] = {1, 0, 0, 4}, mu[2] = {0.5, -1};
    double f, want = 9.0 - 2.0 * sqrt(10.0 + 4.0 * sqrt(3.0));
    gc_assert_ok(gc_eval_frechet(mu, s1, mu, s2, 2, 1e-6, &f, NULL));
    close_rel(f, want, TOL_CLOSED, "FID of the 2x2 non-commuting pair");
    gc_assert_ok(gc_eval_frechet(mu, s2, mu, s1, 2, 1e-6, &f, NULL));
    close_rel(f, want, TOL_CLOSED, "FID of the 2x2 pair, swapped");
}

static void test_mean_cov(void **state)
{
    (void)state;
    /* (1,2), (3,6), (5,4): mean (3,4); deviations (-2,-2), (0,2), (2,0);
     * cov with N-1 = [[8, 4], [4, 8]] / 2 */
    float x[6] = {1, 2, 3, 6, 5, 4};
    double mu[2], c[4];
    gc_assert_ok(gc_eval_mean_cov(x, 3, 2, mu, c));
    close_rel(mu[0], 3, TOL_CLOSED, "mean 0");
    close_rel(mu[1], 4, TOL_CLOSED, "mean 1");
    close_rel(c[0], 4, TOL_CLOSED, "cov 00");
    close_rel(c[1], 2, TOL_CLOSED, "cov 01");
    close_rel(c[3], 4, TOL_CLOSED, "cov 11");
    assert_int_equal(gc_eval_mean_cov(x, 1, 2, mu, c), GC_INVALID_ARG);
}

static void test_inception_score(void **state)
{
    (void)state;
    enum { N = 100, C = 10 };
    float *z = calloc(N * C, sizeof(float));
    double m, s;
    gc_assert_ok(gc_eval_inception_score(z, N, C, 10, &m, &s)); /* uniform: KL 0 */
    close_rel(m, 1.0, TOL_CLOSED, "IS of uniform predictions");
    close_rel(s, 0.0, TOL_CLOSED, "IS std of uniform predictions");
    for (int i = 0; i < N; i++)
        z[i * C + i % C] = 200.0f; /* one-hot, balanced per split */
    gc_assert_ok(gc_eval_inception_score(z, N, C, 10, &m, &s));
    close_rel(m, (double)C, 1e-9, "IS of confident balanced predictions");
    free(z);
}

static void test_prdc_self(void **state)
{
    (void)state;
    float *x = features(200, 8, 3, 0.0f, 0.3f);
    struct gc_prdc r;
    gc_assert_ok(gc_eval_prdc(x, 200, x, 200, 8, 3, 5, &r));
    close_rel(r.precision, 1, 0, "precision of x vs x");
    close_rel(r.recall, 1, 0, "recall of x vs x");
    close_rel(r.coverage, 1, 0, "coverage of x vs x");
    assert_int_equal(gc_eval_prdc(x, 3, x, 200, 8, 3, 5, &r), GC_INVALID_ARG);
    free(x);
}

/* ---- the numpy/scipy cross-check ---------------------------------------- */
static double json_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v)) fail_msg("tools/eval_ref.py output has no number '%s'", k);
    return v->valuedouble;
}

static cJSON *run_reference(const char *file)
{
    const char *py = getenv("GANCL_PYTHON"), *root = getenv("GANCL_SOURCE_ROOT");
    if (!py || !*py)
        fail_msg("GANCL_PYTHON is not set: run through tools/test (tools/pyenv makes it)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/eval_ref.py' '%s'", py, root ? root : ".", file);
    FILE *p = popen(cmd, "r");
    if (!p) fail_msg("cannot run %s", cmd);
    static char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    if (rc != 0) fail_msg("%s exited with %d: %s", cmd, rc, out);
    cJSON *o = cJSON_Parse(out);
    if (!o) fail_msg("%s printed no JSON: %s", cmd, out);
    return o;
}

static void cross_check(int64_t nr, int64_t nf, int d, float shift, const char *label)
{
    enum { C = 10 };
    float *real = features(nr, d, 11, 0.0f, 0.6f), *fake = features(nf, d, 12, shift, 0.4f);
    float *logits = malloc(sizeof(float) * (size_t)(nf * C));
    gc_test_fill_uniform(logits, nf * C, 13, -4.0f, 4.0f);
    char dir[] = "/tmp/gancl-eval-XXXXXX", path[256];
    if (!mkdtemp(dir)) fail_msg("mkdtemp failed");
    snprintf(path, sizeof path, "%s/features.safetensors", dir);
    struct gc_st_tensor t[3] = {
        {"real", GC_ST_F32, 2, {nr, d}, real, sizeof(float) * (size_t)(nr * d)},
        {"fake", GC_ST_F32, 2, {nf, d}, fake, sizeof(float) * (size_t)(nf * d)},
        {"logits", GC_ST_F32, 2, {nf, C}, logits, sizeof(float) * (size_t)(nf * C)},
    };
    gc_assert_ok(gc_safetensors_save(path, t, 3, NULL, 0));
    struct gc_eval_scores s;
    gc_assert_ok(gc_eval_all(real, nr, fake, nf, d, logits, C, &s));
    cJSON *ref = run_reference(path);
    unlink(path);
    rmdir(dir);
    char what[128];
    double worst = 0;
    const char *worst_key = "";
#define CHECK(field, key)                                                                          \
    do {                                                                                           \
        snprintf(what, sizeof what, "%s: %s", label, key);                                         \
        double e_ = close_rel(field, json_num(ref, key), TOL_REF, what);                           \
        if (e_ >= worst) worst = e_, worst_key = key;                                              \
    } while (0)
    CHECK(s.fid, "fid");
    CHECK(s.fid, "fid_eig");
    CHECK(s.kid_mean, "kid_mean");
    CHECK(s.kid_std, "kid_std");
    CHECK((double)s.kid_subset_size, "kid_subset_size");
    CHECK(s.prdc.precision, "precision");
    CHECK(s.prdc.recall, "recall");
    CHECK(s.prdc.density, "density");
    CHECK(s.prdc.coverage, "coverage");
    CHECK(s.is_mean, "is_mean");
    CHECK(s.is_std, "is_std");
#undef CHECK
    print_message("%s: FID %.6f KID %.6g P %.4f R %.4f D %.4f C %.4f IS %.4f; largest "
                  "relative difference from numpy/scipy %.2g (%s)\n",
                  label, s.fid, s.kid_mean, s.prdc.precision, s.prdc.recall, s.prdc.density,
                  s.prdc.coverage, s.is_mean, worst, worst_key);
    /* the metrics must not be degenerate, or agreement proves little */
    if (!(s.fid > 0.01 && s.prdc.precision > 0 && s.prdc.precision < 1 && s.prdc.recall < 1))
        fail_msg("%s: degenerate test data (FID %g, precision %g, recall %g)", label, s.fid,
                 s.prdc.precision, s.prdc.recall);
    cJSON_Delete(ref);
    free(real), free(fake), free(logits);
}

static void test_reference_small(void **state)
{
    (void)state;
    cross_check(700, 650, 16, 0.3f, "700 vs 650, d 16");
}

static void test_reference_wide(void **state)
{
    (void)state;
    /* d close to n: covariances far from isotropic, sqrtm's hard case; also
     * odd sizes that exercise every tail of the blocked kernels */
    cross_check(301, 263, 97, 0.1f, "301 vs 263, d 97");
}

/* `gan-cl eval` end to end with the committed fmnist weights: real test
 * images against real training images must score as near-identical sets,
 * and a missing --fake is a usage error (exit 2). */
static void test_cli(void **state)
{
    (void)state;
    const char *bin = getenv("GANCL_BIN");
    if (!bin) fail_msg("GANCL_BIN is not set (run through meson test)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' eval --real fashion-mnist --fake fashion-mnist-test --n 300 --seed 3 --json "
             "2>/dev/null",
             bin);
    FILE *p = popen(cmd, "r");
    if (!p) fail_msg("cannot run %s", cmd);
    static char out[4096];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    if (rc != 0) fail_msg("%s exited with %d: %s", cmd, rc, out);
    cJSON *o = cJSON_Parse(out);
    if (!o) fail_msg("%s printed no JSON: %s", cmd, out);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "features");
    if (!cJSON_IsString(f) || strcmp(f->valuestring, "fmnist") != 0)
        fail_msg("eval --json does not label its features fmnist: %s", out);
    /* two samples of 300 real images: FID (fmnist) is sampling noise, a few
     * units at most, and most samples fall inside the other set's k-NN balls */
    double fid = json_num(o, "fid"), prec = json_num(o, "precision"), rec = json_num(o, "recall");
    if (!(fid >= 0 && fid < 10 && prec > 0.5 && rec > 0.5))
        fail_msg("real vs real scores look wrong: %s", out);
    assert_int_equal((int)json_num(o, "n_real"), 300);
    cJSON_Delete(o);
    snprintf(cmd, sizeof cmd, "'%s' eval --n 300 >/dev/null 2>&1", bin);
    rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
}

/* Runs `cmd`, returns its exit status and stdout+stderr in out. */
static int run_capture(const char *cmd, char *out, size_t size)
{
    char full[2600];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) fail_msg("cannot run %s", cmd);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The same 60 Fashion-MNIST test images as 28x28 grey PNGs (in a nested
 * folder) and as 32x32 RGB PNGs padded by 2 with black: by eval_frame.h's
 * rules both give the classifier identical frames (RGB of equal channels is
 * the grey value under PIL's luminance; 28x28 is padded, 32x32 kept), so
 * FID (fmnist) is 0 up to rounding and every point covers its twin. Then
 * the errors: a missing folder, an empty one and a corrupt image are named. */
static void test_cli_folders(void **state)
{
    (void)state;
    const char *bin = getenv("GANCL_BIN");
    if (!bin) fail_msg("GANCL_BIN is not set (run through meson test)");
    char root[256], a[300], b[300], path[400], cmd[2048];
    static char out[8192];
    snprintf(root, sizeof root, "/tmp/gancl-eval-%ld", (long)getpid());
    snprintf(a, sizeof a, "%s/grey28", root);
    snprintf(b, sizeof b, "%s/rgb32", root);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/sub %s %s/empty", a, b, root);
    assert_int_equal(system(cmd), 0);
    struct gc_fmnist ds = {0};
    gc_assert_ok(gc_fmnist_load(&ds, NULL, GC_FMNIST_TEST, -1));
    uint8_t rgb[32 * 32 * 3];
    for (int i = 0; i < 60; i++) {
        const uint8_t *px = ds.images + (size_t)i * 28 * 28;
        snprintf(path, sizeof path, "%s/%s%03d.png", a, i % 2 ? "sub/" : "", i);
        gc_assert_ok(gc_image_write_png(path, &(struct gc_image){28, 28, 1, (uint8_t *)px}));
        memset(rgb, 0, sizeof rgb);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                for (int k = 0; k < 3; k++) rgb[((y + 2) * 32 + x + 2) * 3 + k] = px[y * 28 + x];
        snprintf(path, sizeof path, "%s/%03d.png", b, i);
        gc_assert_ok(gc_image_write_png(path, &(struct gc_image){32, 32, 3, rgb}));
    }
    gc_fmnist_free(&ds);
    snprintf(cmd, sizeof cmd, "'%s' eval --real %s --fake %s --n 60 --json", bin, a, b);
    int rc = run_capture(cmd, out, sizeof out);
    if (rc != 0) fail_msg("%s exited with %d: %s", cmd, rc, out);
    cJSON *o = cJSON_Parse(strchr(out, '{'));
    if (!o) fail_msg("%s printed no JSON: %s", cmd, out);
    printf("# 28x28 grey vs 32x32 RGB padded: FID (fmnist) %.3g, precision %.3f, recall %.3f\n",
           json_num(o, "fid"), json_num(o, "precision"), json_num(o, "recall"));
    /* identical features: only rounding remains, amplified by the square root
     * of the ~0 eigenvalues of a rank-deficient covariance (60 samples, 64
     * features: sqrt(1e-12) = 1e-6); two real samples differ by units */
    assert_true(fabs(json_num(o, "fid")) < 1e-4);
    assert_true(json_num(o, "precision") == 1.0 && json_num(o, "recall") == 1.0);
    assert_int_equal((int)json_num(o, "n_real"), 60);
    assert_int_equal((int)json_num(o, "n_fake"), 60);
    cJSON_Delete(o);

    struct { const char *real, *fake, *expect; } bad[3] = {
        {"%s/missing", "%s/empty", "missing: no such folder"},
        {"%s/grey28", "%s/empty", "empty: no images"},
        {"%s/grey28", "%s/rgb32", "rgb32/007.png"},
    };
    snprintf(path, sizeof path, "%s/007.png", b); /* a truncated PNG */
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 40), 0);
    fclose(f);
    for (int i = 0; i < 3; i++) {
        char r[400], fk[400];
        snprintf(r, sizeof r, bad[i].real, root);
        snprintf(fk, sizeof fk, bad[i].fake, root);
        snprintf(cmd, sizeof cmd, "'%s' eval --real %s --fake %s --n 60", bin, r, fk);
        rc = run_capture(cmd, out, sizeof out);
        printf("# %s -> %d: %s", cmd, rc, out);
        if (rc != 1 || !strstr(out, bad[i].expect))
            fail_msg("%s: exit %d (want 1), message without '%s': %s", cmd, rc, bad[i].expect, out);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fid_self, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fid_diagonal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fid_noncommuting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mean_cov, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inception_score, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prdc_self, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_wide, setup, teardown),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_cli_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
