/* SPDX-License-Identifier: MIT */
/* The tuner (host/tune): a wrong candidate is rejected, recorded and never run again; a hung
 * one is not run on shapes that share its program; an interrupted tune resumes without
 * re-measuring finished shapes; the record round-trips
 * through its file and the lookup's fallback chain (own device -> same device, other driver
 * -> same vendor and type -> defaults); a changed kernel source invalidates an entry.
 * CLBlast's own parameter sets: the validity rules, a wrong set rejected and recorded and
 * never re-run, the build-time budget, and a recorded set applied by the GEMM default path.
 * Records go to a temporary $XDG_CACHE_HOME whose programs/ links to the real program cache
 * (the candidates' kernels are the ones every other test builds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl/cache.h"
#include "cl/clblast.h"
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

static int pick_at, picked_calls;
static bool have_pick;
static struct gc_gemm_config picked;

/* Test hook: the pick_at-th candidate verified becomes `picked`; counts its verifications. */
static void pick(const struct gc_gemm_config *cfg, float *c, size_t n)
{
    (void)c, (void)n;
    if (++corrupt_calls == pick_at) picked = *cfg, have_pick = true;
    if (have_pick && gc__tune_config_eq(cfg, &picked)) ++picked_calls;
}

/* A config recorded hung (or crashed) on one shape is not run on another shape with the same
 * transposes (the same program, search.c's rejected_before); with other transposes it is. */
static void test_hung_config_not_retried(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc a = odd_shape(37), b = odd_shape(45), c = odd_shape(53);
    c.tb = false, c.ldb = 29; /* B (k, n) */
    struct gc_tune_search opt = search_opts(3);
    struct gc_tune_row row;
    gc__tune_test_corrupt = pick;
    corrupt_calls = 0, pick_at = 2, have_pick = false, stop = 0;
    gc_assert_ok(gc__tune_gemm_shape(dev, &b, &r, path, &opt, &row, NULL)); /* picks the 2nd */
    assert_true(have_pick);
    gc__tune_record_free(&r);

    fresh_record(&r, path, sizeof path);
    struct gc_tune_entry e = {.kernel = "gemm", .outcome = GC_TUNE_HUNG, .cfg = picked,
                              .source_hash = gc__tune_source_hash(picked.impl)};
    gc__tune_shape_of(&a, &e.shape);
    gc_assert_ok(gc__tune_record_add(&r, &e));
    picked_calls = 0;
    opt = search_opts(3);
    gc_assert_ok(gc__tune_gemm_shape(dev, &b, &r, path, &opt, &row, NULL));
    assert_int_equal(picked_calls, 0);
    assert_int_equal(row.evals, 3); /* the search went on without it */
    opt = search_opts(3);
    gc_assert_ok(gc__tune_gemm_shape(dev, &c, &r, path, &opt, &row, NULL));
    assert_int_equal(picked_calls, 1);
    gc__tune_test_corrupt = NULL;
    gc__tune_record_free(&r);
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

static int thin_verified;

static void count_thin(const struct gc_gemm_config *cfg)
{
    if (cfg->impl == GC_GEMM_OWN_THIN) thin_verified++;
}

/* A GEMV shape (NT 1x36x700): gemm_thin's candidates are in the likely set on every device
 * (on PoCL the default is one too), verified like any other; the winner is kept in the record
 * and read back from the file with its THIN_ tunables. */
static void test_thin_candidates(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = {.tb = true, .m = 1, .n = 36, .k = 700, .lda = 700, .ldb = 703,
                             .ldc = 36, .batch = 1, .alpha = 1, .beta = 0};
    struct gc_tune_search opt = search_opts(4);
    struct gc_tune_row row;
    stop = 0;
    thin_verified = 0;
    gc__tune_test_before_verify = count_thin;
    gc_assert_ok(gc__tune_gemm_shape(dev, &d, &r, path, &opt, &row, NULL));
    gc__tune_test_before_verify = NULL;
    assert_true(thin_verified >= 3);
    struct gc_tune_shape sh;
    gc__tune_shape_of(&d, &sh);
    int b = gc__tune_record_best(&r, &sh);
    assert_true(b >= 0);
    struct gc_tune_record again;
    gc_assert_ok(gc__tune_record_load(path, &again));
    int b2 = gc__tune_record_best(&again, &sh);
    assert_true(b2 >= 0);
    assert_true(gc__tune_config_eq(&again.e[b2].cfg, &r.e[b].cfg));
    if (r.e[b].cfg.impl == GC_GEMM_OWN_THIN) assert_true(again.e[b2].cfg.thin_wg > 0);
    gc__tune_record_free(&again);
    gc__tune_record_free(&r);
}

static void test_record_roundtrip_and_fallback(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024], line[1536];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = odd_shape(37), other = odd_shape(38), bad = odd_shape(39);
    struct gc_tune_entry e = best_entry(&d), e_bad = best_entry(&bad);
    gc__tune_layout_of(&d, &e.layout);
    gc_assert_ok(gc__tune_record_add(&r, &e));
    e_bad.layout = (struct gc_tune_layout){.lda = 25, .ldb = 24, .ldc = 28}; /* ldc < n = 29 */
    gc_assert_ok(gc__tune_record_add(&r, &e_bad));
    gc_assert_ok(gc__tune_record_save(path, &r));

    gc_assert_ok(gc_tune_load(dev, line, sizeof line));
    assert_non_null(strstr(line, "this device and driver"));
    expect_lookup(&d, &e.cfg);
    expect_lookup(&other, NULL);
    /* What gc-bench-gemm --record enumerates: the installed entries with the layout they were
     * tuned with (through the file); an impossible layout is dropped, the entry kept. */
    struct gc_tune_shape sh, want;
    struct gc_tune_layout lay;
    struct gc_gemm_config cfg;
    gc__tune_shape_of(&d, &want);
    assert_true(gc__tune_loaded_choice(dev, 0, &sh, &lay, &cfg));
    assert_true(gc__tune_shape_eq(&sh, &want));
    assert_true(gc__tune_config_eq(&cfg, &e.cfg));
    assert_int_equal(lay.lda, 25);
    assert_int_equal(lay.ldb, 24);
    assert_int_equal(lay.ldc, 31);
    assert_true(gc__tune_loaded_choice(dev, 1, &sh, &lay, &cfg));
    assert_int_equal(sh.m, 39);
    assert_int_equal(lay.ldc, 0);
    assert_false(gc__tune_loaded_choice(dev, 2, &sh, &lay, &cfg));
    gc_tune_unload(dev);
    expect_lookup(&d, NULL);
    assert_false(gc__tune_loaded_choice(dev, 0, &sh, &lay, &cfg));

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
    struct gc_tune_shape none;
    struct gc_tune_layout none_layout;
    struct gc_gemm_config none_cfg;
    assert_false(gc__tune_loaded_choice(dev, 0, &none, &none_layout, &none_cfg));
    struct gc_tune_shape sh;
    gc__tune_shape_of(&d, &sh);
    assert_int_equal(gc__tune_record_best(&r, &sh), -1); /* a tune measures it again */
    gc_tune_unload(dev);
    gc__tune_record_free(&r);
}

/* ---- CLBlast parameter sets ---- */

static void test_clblast_rules(void **state)
{
    (void)state;
    struct gc_clblast_params def, p;
    gc_assert_ok(gc__clblast_defaults(dev, &def));
    assert_true(def.set);
    const struct gc_device_info *real = gc_device_get_info(dev);
    gc_assert_ok(gc__clblast_params_check(real, &def));
    struct gc_tune_shape sh = {.m = 37, .n = 29, .k = 23, .batch = 1};
    int n = 0;
    for (int i = 0; gc__tune_clblast_likely(real, &def, &sh, i, &p); i++, n++) {
        gc_assert_ok(gc__clblast_params_check(real, &p));
        assert_false(gc__clblast_params_eq(&p, &def)); /* each differs from the defaults */
    }
    assert_true(n >= 5);
    /* A small device: 64 work-items, 16 KB of local memory. */
    struct gc_device_info small = *real;
    small.max_work_group = 64;
    small.local_mem = 16384;
    p = def;
    int x0[GC_CLB_XGEMM_COUNT] = {0, 1, 32, 2, 8, 8, 64, 8, 8, 64, 1, 1, 0, 0, 4, 4};
    int d0[GC_CLB_DIRECT_COUNT] = {2, 8, 8, 8, 8, 1, 1, 4, 4, 32};
    memcpy(p.xgemm, x0, sizeof x0);
    memcpy(p.direct, d0, sizeof d0);
    gc_assert_ok(gc__clblast_params_check(&small, &p)); /* 4*32*(64+64) = 16 KB, 64 items */
    p.xgemm[GC_CLB_VWM] = 16; /* MWG 64 % (MDIMC 8 * VWM 16) != 0 */
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    p.xgemm[GC_CLB_VWM] = 3; /* not a vector width */
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    memcpy(p.xgemm, x0, sizeof x0);
    p.xgemm[GC_CLB_KWG] = 4; /* KDIMA = 8*8/8 = 8 does not divide KWG */
    p.xgemm[GC_CLB_KWI] = 2;
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    memcpy(p.xgemm, x0, sizeof x0);
    p.xgemm[GC_CLB_MWG] = p.xgemm[GC_CLB_NWG] = 128; /* 32 KB of local memory */
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    p.xgemm[GC_CLB_SA] = p.xgemm[GC_CLB_SB] = 0; /* no local memory: fits */
    gc_assert_ok(gc__clblast_params_check(&small, &p));
    memcpy(p.xgemm, x0, sizeof x0);
    p.xgemm[GC_CLB_MDIMC] = p.xgemm[GC_CLB_NDIMC] = 16; /* 256 work-items > 64 */
    p.xgemm[GC_CLB_MDIMA] = p.xgemm[GC_CLB_NDIMB] = 16;
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    memcpy(p.xgemm, x0, sizeof x0);
    p.xgemm[GC_CLB_GEMMK] = 1; /* kernel 1 takes neither local memory nor KWG > 1 */
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    memcpy(p.xgemm, x0, sizeof x0);
    p.direct[GC_CLB_WGD] = 64; /* 4*64*(128+2) = 33 KB of local memory */
    p.direct[GC_CLB_MDIMAD] = p.direct[GC_CLB_NDIMBD] = 8;
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    p.direct[GC_CLB_WGD] = 24; /* 24 % (MDIMCD 8 * VWMD 4) != 0 */
    assert_int_equal(gc__clblast_params_check(&small, &p), GC_INVALID_ARG);
    gc_clear_error();
    /* Random draws are valid, and kernel 1 is never drawn on a CPU. */
    uint64_t rng = 7;
    for (int i = 0; i < 50; i++) {
        assert_true(gc__tune_clblast_random(real, &def, &rng, &p));
        gc_assert_ok(gc__clblast_params_check(real, &p));
        if (real->type == GC_DEVICE_CPU) assert_int_equal(p.xgemm[GC_CLB_GEMMK], 0);
    }
}

static int clb_calls;
static struct gc_gemm_config clb_wrong;
static bool clb_have_wrong;

/* Test hook: the first CLBlast parameter set verified gets one wrong output element; later
 * verifications of that set are counted in reruns. */
static void corrupt_clblast(const struct gc_gemm_config *cfg, float *c, size_t n)
{
    (void)n;
    if (cfg->impl != GC_GEMM_CLBLAST || !cfg->clb.set) return;
    ++clb_calls;
    if (clb_have_wrong && gc__tune_config_eq(cfg, &clb_wrong)) ++reruns;
    if (!clb_have_wrong) {
        clb_wrong = *cfg;
        clb_have_wrong = true;
        c[0] *= 1e30f; /* as CLBlast's own tuner's pick on this machine: max error 1e36 */
    }
}

static struct gc_tune_search clblast_opts(int max_evals, double *build_s)
{
    struct gc_tune_search o = search_opts(max_evals);
    o.clblast = 2;
    o.clblast_build_s = build_s;
    return o;
}

static void test_wrong_clblast_set_rejected(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = odd_shape(37);
    double build_s = 0; /* no build-time limit here: the deadline is minutes away */
    /* default, CLBlast's defaults (the same on llvmpipe), and one or two parameter sets. */
    struct gc_tune_search opt = clblast_opts(3, &build_s);
    struct gc_tune_row row, crow;
    clb_calls = 0, clb_have_wrong = false, reruns = 0, stop = 0;
    gc__tune_test_corrupt = corrupt_clblast;
    gc_assert_ok(gc__tune_gemm_shape(dev, &d, &r, path, &opt, &row, &crow));
    assert_true(clb_have_wrong);
    struct gc_tune_shape sh;
    gc__tune_shape_of(&d, &sh);
    int w = gc__tune_record_find(&r, &sh, &clb_wrong), b = gc__tune_record_best(&r, &sh);
    assert_true(w >= 0);
    assert_int_equal(r.e[w].outcome, GC_TUNE_WRONG);
    assert_true(r.e[w].error > 1e20);
    assert_true(b >= 0);
    assert_false(gc__tune_config_eq(&r.e[b].cfg, &clb_wrong));
    assert_int_equal(row.rejected, 1);
    /* CLBlast's own row: its defaults measured, a time for the best correct set or the defaults. */
    assert_string_equal(crow.kernel, "clblast");
    assert_true(crow.default_s > 0 && crow.tuned_s > 0);
    assert_true(gc__tune_record_clblast(&r, &sh) >= 0);

    /* From the file, as a later tune sees it: the wrong set is never verified again. */
    struct gc_tune_record again;
    gc_assert_ok(gc__tune_record_load(path, &again));
    w = gc__tune_record_find(&again, &sh, &clb_wrong);
    assert_true(w >= 0);
    assert_int_equal(again.e[w].outcome, GC_TUNE_WRONG);
    b = gc__tune_record_best(&again, &sh);
    again.e[b] = again.e[--again.n]; /* forget the winner */
    int before = clb_calls;
    opt = clblast_opts(3, &build_s);
    gc_assert_ok(gc__tune_gemm_shape(dev, &d, &again, path, &opt, &row, &crow));
    assert_true(clb_calls > before); /* another set was measured instead */
    assert_int_equal(reruns, 0);
    assert_int_equal(row.rejected, 0);
    gc__tune_test_corrupt = NULL;
    gc__tune_record_free(&r);
    gc__tune_record_free(&again);
}

/* With one CLBlast build estimated longer than the time left, no parameter set is started
 * (on PoCL a build takes 10-150 s); CLBlast's defaults are still measured. */
static void test_clblast_budget(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = odd_shape(41);
    double build_s = 1e4;
    struct gc_tune_search opt = clblast_opts(0, &build_s);
    opt.deadline = gc__tune_clock() + 60;
    struct gc_tune_row row, crow;
    clb_calls = 0;
    clb_have_wrong = true; /* count only */
    clb_wrong = (struct gc_gemm_config){0};
    gc__tune_test_corrupt = corrupt_clblast;
    gc_assert_ok(gc__tune_gemm_shape(dev, &d, &r, path, &opt, &row, &crow));
    gc__tune_test_corrupt = NULL;
    assert_int_equal(clb_calls, 0);
    assert_string_equal(crow.kernel, "clblast");
    assert_int_equal(crow.evals, 1);
    assert_string_equal(crow.params, "clblast");
    for (int i = 0; i < r.n; i++) assert_false(r.e[i].cfg.impl == GC_GEMM_CLBLAST && r.e[i].cfg.clb.set);
    gc__tune_record_free(&r);
}

/* A recorded CLBlast set reaches the GEMM default path: applied for its shape only, the
 * result right, CLBlast's defaults back for another shape. */
static void test_clblast_set_applied(void **state)
{
    (void)state;
    struct gc_tune_record r;
    char path[1024], line[1536];
    fresh_record(&r, path, sizeof path);
    struct gc_gemm_desc d = {.m = 16, .n = 24, .k = 8, .lda = 8, .ldb = 24, .ldc = 24, .batch = 1,
                             .alpha = 1, .beta = 0};
    struct gc_gemm_desc other = d;
    other.n = other.ldb = other.ldc = 16;
    struct gc_tune_entry e = {.kernel = "gemm", .outcome = GC_TUNE_BEST, .median_s = 1e-3, .min_s = 1e-3};
    gc__tune_shape_of(&d, &e.shape);
    e.cfg.impl = GC_GEMM_CLBLAST;
    struct gc_clblast_params def;
    gc_assert_ok(gc__clblast_defaults(dev, &def));
    assert_true(gc__tune_clblast_likely(gc_device_get_info(dev), &def, &e.shape, 0, &e.cfg.clb));
    e.source_hash = gc__tune_source_hash(GC_GEMM_CLBLAST);
    gc_assert_ok(gc__tune_record_add(&r, &e));
    gc_assert_ok(gc__tune_record_save(path, &r));
    gc_assert_ok(gc_tune_load(dev, line, sizeof line));
    struct gc_gemm_config got;
    assert_true(gc__tune_lookup_gemm(dev, &d, &got));
    assert_true(gc__tune_config_eq(&got, &e.cfg)); /* through the file: the set round-trips */

    float ha[16 * 8], hb[8 * 24], hc[16 * 24];
    for (int i = 0; i < 16 * 8; i++) ha[i] = (float)(i % 7) - 3;
    for (int i = 0; i < 8 * 24; i++) hb[i] = (float)(i % 5) - 2;
    cl_mem a, b, c;
    gc_assert_ok(gc__buffer_create(dev, sizeof ha, &a));
    gc_assert_ok(gc__buffer_create(dev, sizeof hb, &b));
    gc_assert_ok(gc__buffer_create(dev, sizeof hc, &c));
    struct gc_device *dv = dev;
    assert_int_equal(clEnqueueWriteBuffer(dv->queue, a, CL_TRUE, 0, sizeof ha, ha, 0, NULL, NULL), CL_SUCCESS);
    assert_int_equal(clEnqueueWriteBuffer(dv->queue, b, CL_TRUE, 0, sizeof hb, hb, 0, NULL, NULL), CL_SUCCESS);
    gc_assert_ok(gc__gemm(dev, &d, a, 0, b, 0, c, 0, NULL));
    assert_int_equal(clEnqueueReadBuffer(dv->queue, c, CL_TRUE, 0, sizeof hc, hc, 0, NULL, NULL), CL_SUCCESS);
    struct gc_clblast_params now;
    gc__clblast_in_effect(dev, &now);
    assert_true(gc__clblast_params_eq(&now, &e.cfg.clb));
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 24; j++) {
            float want = 0; /* small integers: exact in fp32 */
            for (int p = 0; p < 8; p++) want += ha[i * 8 + p] * hb[p * 24 + j];
            assert_true(hc[i * 24 + j] == want);
        }
    /* A shape without an entry, forced onto CLBlast: its defaults come back. */
    struct gc_gemm_config plain = {.impl = GC_GEMM_CLBLAST};
    gc_assert_ok(gc__gemm(dev, &other, a, 0, b, 0, c, 0, &plain));
    gc_assert_ok(gc_device_finish(dev));
    gc__clblast_in_effect(dev, &now);
    assert_true(gc__clblast_params_eq(&now, &def));
    gc__buffer_release(a);
    gc__buffer_release(b);
    gc__buffer_release(c);
    gc_tune_unload(dev);
    gc__tune_record_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thin_candidates),
        cmocka_unit_test(test_record_roundtrip_and_fallback),
        cmocka_unit_test(test_stale_source_hash_invalidates),
        cmocka_unit_test(test_wrong_candidate_rejected),
        cmocka_unit_test(test_interrupted_tune_resumes),
        cmocka_unit_test(test_hung_config_not_retried),
        cmocka_unit_test(test_clblast_rules),
        cmocka_unit_test(test_clblast_budget),
        cmocka_unit_test(test_wrong_clblast_set_rejected),
        cmocka_unit_test(test_clblast_set_applied),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
