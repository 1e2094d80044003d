/* SPDX-License-Identifier: MIT */
/* The tuner (host/tune): a wrong candidate is rejected, recorded and never run again; an
 * interrupted tune resumes without re-measuring finished shapes; the record round-trips
 * through its file and the lookup's fallback chain (own device -> same device, other driver
 * -> same vendor and type -> defaults); a changed kernel source invalidates an entry.
 * Records go to a temporary $XDG_CACHE_HOME whose programs/ links to the real program cache
 * (the candidates' kernels are the ones every other test builds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl/cache.h"
#include "gancl/alloc.h"
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
    snprintf(tmp_root, sizeof tmp_root, "/tmp/gancl-test-tune-XXXXXX");
    if (!mkdtemp(tmp_root)) return -1;
    snprintf(link_path, sizeof link_path, "%s/gan-cl", tmp_root);
    gc_mkdirs(link_path);
    snprintf(link_path, sizeof link_path, "%s/gan-cl/programs", tmp_root);
    gc_mkdirs(real);
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

static void record_path(char *buf, size_t size)
{
    gc_assert_ok(gc_tune_record_path(gc_device_get_info(dev), buf, size));
}

static void fresh_record(struct gc_tune_record *r, char *path, size_t size)
{
    record_path(path, size);
    unlink(path);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    gc_assert_ok(gc_mkdirs(dir));
    gc__tune_record_init(r, gc_device_get_info(dev));
}

/* An odd shape (tails in every dimension), B transposed, with padded leading dimensions. */
static struct gc_gemm_desc odd_shape(int64_t m)
{
    return (struct gc_gemm_desc){.tb = true, .m = m, .n = 29, .k = 23, .lda = 25, .ldb = 24, .ldc = 31,
                                 .batch = 1, .alpha = 1, .beta = 0};
}

static int corrupt_calls, corrupt_at, interrupt_at, reruns;
static struct gc_gemm_config corrupted;
static volatile sig_atomic_t stop;

/* Test hook: the corrupt_at-th candidate verified gets one wrong output; the interrupt_at-th
 * raises the interrupt flag (as SIGINT would). */
static void corrupt(const struct gc_gemm_config *cfg, float *c, size_t n)
{
    (void)n;
    ++corrupt_calls;
    if (!corrupt_at && gc__tune_config_eq(cfg, &corrupted)) ++reruns;
    if (corrupt_calls == corrupt_at) {
        corrupted = *cfg;
        c[0] += 1.0f;
    }
    if (corrupt_calls == interrupt_at) stop = 1;
}

static struct gc_tune_search search_opts(int max_evals)
{
    return (struct gc_tune_search){.deadline = gc__tune_clock() + 300, .max_evals = max_evals,
                                   .clblast = false, .interrupted = &stop, .seed = 1};
}

static void test_wrong_candidate_rejected(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = odd_shape(37);
    struct gc_tune_search opt = search_opts(3);
    struct gc_tune_row row;
    corrupt_calls = 0, corrupt_at = 2, interrupt_at = 0, stop = 0;
    gc__tune_test_corrupt = corrupt;
    gc_assert_ok(gc__tune_gemm_shape(dev, &d, &r, path, &opt, &row, NULL));
    struct gc_tune_shape sh;
    gc__tune_shape_of(&d, &sh);
    int w = gc__tune_record_find(&r, &sh, &corrupted), b = gc__tune_record_best(&r, &sh);
    assert_true(w >= 0);
    assert_int_equal(r.e[w].outcome, GC_TUNE_WRONG);
    assert_true(b >= 0);
    assert_false(gc__tune_config_eq(&r.e[b].cfg, &corrupted));
    assert_int_equal(row.rejected, 1);

    /* From the file, as a later tune sees it: the wrong candidate is never verified again. */
    struct gc_tune_record again;
    gc_assert_ok(gc__tune_record_load(path, &again));
    b = gc__tune_record_best(&again, &sh);
    assert_true(b >= 0);
    again.e[b] = again.e[--again.n]; /* forget the winner */
    corrupt_at = 0, reruns = 0;
    int64_t before = gc__tune_evals_total;
    opt = search_opts(3);
    gc_assert_ok(gc__tune_gemm_shape(dev, &d, &again, path, &opt, &row, NULL));
    assert_true(gc__tune_evals_total - before >= 1);
    w = gc__tune_record_find(&again, &sh, &corrupted);
    assert_true(w >= 0);
    assert_int_equal(again.e[w].outcome, GC_TUNE_WRONG);
    assert_false(gc__tune_config_eq(&again.e[gc__tune_record_best(&again, &sh)].cfg, &corrupted));
    assert_int_equal(reruns, 0);
    assert_int_equal(row.rejected, 0); /* skipped, not re-run and rejected again */
    gc__tune_test_corrupt = NULL;
    gc__tune_record_free(&r);
    gc__tune_record_free(&again);
}

static void test_interrupted_tune_resumes(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc shapes[2] = {odd_shape(37), odd_shape(45)};
    struct gc_tune_row row;
    gc__tune_test_corrupt = corrupt;
    corrupt_calls = 0, corrupt_at = 0, interrupt_at = 3, stop = 0; /* 2 for shape 0, then stop */
    struct gc_tune_search opt = search_opts(2);
    gc_assert_ok(gc__tune_gemm_shape(dev, &shapes[0], &r, path, &opt, &row, NULL));
    assert_false(row.resumed);
    opt = search_opts(2);
    assert_int_equal(gc__tune_gemm_shape(dev, &shapes[1], &r, path, &opt, &row, NULL), GC_INTERRUPTED);
    gc__tune_record_free(&r);
    gc_clear_error();

    /* A new process: the first shape comes from the file, only the second is measured. */
    struct gc_tune_record again;
    gc_assert_ok(gc__tune_record_load(path, &again));
    stop = 0, interrupt_at = 0, corrupt_calls = 0;
    opt = search_opts(2);
    gc_assert_ok(gc__tune_gemm_shape(dev, &shapes[0], &again, path, &opt, &row, NULL));
    assert_true(row.resumed);
    assert_int_equal(corrupt_calls, 0);
    opt = search_opts(2);
    gc_assert_ok(gc__tune_gemm_shape(dev, &shapes[1], &again, path, &opt, &row, NULL));
    assert_false(row.resumed);
    assert_int_equal(corrupt_calls, 2);
    gc__tune_test_corrupt = NULL;
    gc__tune_record_free(&again);
}

/* A BEST entry for shape d with a config other than the default (gemm_cpu 12x32 on CPUs,
 * gemm_tiled 32x32 elsewhere), as a finished tune writes it. */
static struct gc_tune_entry best_entry(const struct gc_gemm_desc *d)
{
    struct gc_tune_entry e = {.kernel = "gemm", .outcome = GC_TUNE_BEST, .median_s = 1e-3, .min_s = 9e-4};
    gc__tune_shape_of(d, &e.shape);
    gc__gemm_default_config(gc_device_get_info(dev), d, &e.cfg);
    if (e.cfg.impl == GC_GEMM_OWN_CPU) e.cfg.mr = 12, e.cfg.nr = 32, e.cfg.mc = 96, e.cfg.nc = 128;
    else e.cfg.impl = GC_GEMM_OWN_TILED, e.cfg.tsm = e.cfg.tsn = 32, e.cfg.wptm = e.cfg.wptn = 2;
    e.source_hash = gc__tune_source_hash(e.cfg.impl);
    return e;
}

static void save_as(struct gc_tune_record *r, const char *file)
{
    char path[2048];
    record_path(path, sizeof path);
    *strrchr(path, '/') = '\0';
    strncat(path, "/", sizeof path - strlen(path) - 1);
    strncat(path, file, sizeof path - strlen(path) - 1);
    gc_assert_ok(gc__tune_record_save(path, r));
}

static void expect_lookup(const struct gc_gemm_desc *d, const struct gc_gemm_config *want)
{
    struct gc_gemm_config got;
    bool hit = gc__tune_lookup_gemm(dev, d, &got);
    assert_int_equal(hit, want != NULL);
    if (want) assert_true(gc__tune_config_eq(&got, want));
}

static void test_record_roundtrip_and_fallback(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024], line[1536];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = odd_shape(37), other = odd_shape(38);
    struct gc_tune_entry e = best_entry(&d);
    gc_assert_ok(gc__tune_record_add(&r, &e));
    gc_assert_ok(gc__tune_record_save(path, &r));

    gc_assert_ok(gc_tune_load(dev, line, sizeof line));
    assert_non_null(strstr(line, "this device and driver"));
    expect_lookup(&d, &e.cfg);
    expect_lookup(&other, NULL);
    gc_tune_unload(dev);
    expect_lookup(&d, NULL);

    /* The same device under another driver. */
    unlink(path);
    snprintf(r.driver, sizeof r.driver, "other-driver");
    save_as(&r, "same-device-other-driver.json");
    gc_assert_ok(gc_tune_load(dev, line, sizeof line));
    assert_non_null(strstr(line, "same device"));
    expect_lookup(&d, &e.cfg);

    /* Same vendor and type, another device: used when nothing closer exists. */
    snprintf(r.name, sizeof r.name, "another device");
    save_as(&r, "same-device-other-driver.json");
    gc_assert_ok(gc_tune_load(dev, line, sizeof line));
    assert_non_null(strstr(line, "same vendor and type"));
    expect_lookup(&d, &e.cfg);

    /* Another vendor: nothing applies, the defaults and a hint. */
    r.vendor_id ^= 0xffff;
    save_as(&r, "same-device-other-driver.json");
    gc_tune_unload(dev);
    assert_int_equal(gc_tune_load(dev, line, sizeof line), GC_NOT_FOUND);
    assert_non_null(strstr(line, "run `gan-cl tune --device"));
    expect_lookup(&d, NULL);
    char other_file[1024];
    snprintf(other_file, sizeof other_file, "%s", path);
    *strrchr(other_file, '/') = '\0';
    strncat(other_file, "/same-device-other-driver.json", sizeof other_file - strlen(other_file) - 1);
    assert_int_equal(unlink(other_file), 0);
    gc__tune_record_free(&r);
}

static void test_stale_source_hash_invalidates(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024], line[1536];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = odd_shape(37);
    struct gc_tune_entry e = best_entry(&d);
    e.source_hash ^= 1; /* measured with another cl/gemm.cl */
    gc_assert_ok(gc__tune_record_add(&r, &e));
    gc_assert_ok(gc__tune_record_save(path, &r));
    gc_assert_ok(gc_tune_load(dev, line, sizeof line));
    assert_non_null(strstr(line, "0 GEMM shapes"));
    expect_lookup(&d, NULL);
    struct gc_tune_shape sh;
    gc__tune_shape_of(&d, &sh);
    assert_int_equal(gc__tune_record_best(&r, &sh), -1); /* a tune measures it again */
    gc_tune_unload(dev);
    gc__tune_record_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_roundtrip_and_fallback),
        cmocka_unit_test(test_stale_source_hash_invalidates),
        cmocka_unit_test(test_wrong_candidate_rejected),
        cmocka_unit_test(test_interrupted_tune_resumes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
