/* SPDX-License-Identifier: MIT */
/* safetensors: round trip, F16/BF16 reading, writer argument checks,
 * atomic replacement under SIGKILL, every truncation of a valid file, the
 * bad-input corpus, and interop with Python's `safetensors` package in both
 * directions (tools/check_safetensors.py; fails, never skips, without it). */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gancl/alloc.h"
#include "gancl/safetensors.h"
#include "harness.h"

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

static const char *fixture(const char *name)
{
    static char path[4096];
    const char *root = getenv("GANCL_FIXTURES");
    if (!root) fail_msg("GANCL_FIXTURES is not set (run through meson test)");
    snprintf(path, sizeof path, "%s/data/%s", root, name);
    return path;
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char path[256];
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/gancl-st-XXXXXX");
        if (!mkdtemp(tmpdir)) fail_msg("mkdtemp failed");
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* ---- the reference set (mirrored in tools/check_safetensors.py) ---------- */

static float w_[105];
static uint16_t h_[24];
static int64_t idx_[5];
static int32_t i32_[6];
static uint8_t u8_[17];
static double d_[3];
static float scalar_ = 3.25f;
static float empty_[1];

/* exact for the normal values used here */
static uint16_t half_bits(float v)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    if ((b & 0x7fffffff) == 0) return (uint16_t)(b >> 16);
    uint32_t e = ((b >> 23) & 0xff) - 127 + 15;
    return (uint16_t)((b >> 16 & 0x8000) | e << 10 | (b >> 13 & 0x3ff));
}

#define N_REF 8
static struct gc_st_tensor ref[N_REF];
static const struct gc_st_meta meta[] = {
    {"format", "pt"},
    {"model", "dcgan32"},
    {"config", "{\"nz\": 100, \"ngf\": 64}"},
    {"unicode", "h\xc3\xa9llo \xe2\x9c\x93"},
};
#define N_META ((int)(sizeof meta / sizeof meta[0]))

static void reference_tensors(void)
{
    for (int i = 0; i < 105; i++) w_[i] = (float)((i * 37 % 1000 - 500) / 64.0);
    for (int i = 0; i < 24; i++) h_[i] = half_bits((float)((i % 64 - 32) / 8.0));
    for (int i = 0; i < 5; i++) idx_[i] = (int64_t)i * 1000003 - ((int64_t)1 << 40);
    for (int i = 0; i < 6; i++) i32_[i] = -7 * i;
    for (int i = 0; i < 17; i++) u8_[i] = (uint8_t)((i * 3) & 255);
    for (int i = 0; i < 3; i++) d_[i] = (i + 1) / 3.0;
    const struct gc_st_tensor t[N_REF] = {
        {"w", GC_ST_F32, 3, {3, 5, 7}, w_, sizeof w_},
        {"h", GC_ST_F16, 2, {4, 6}, h_, sizeof h_},
        {"idx", GC_ST_I64, 1, {5}, idx_, sizeof idx_},
        {"i32", GC_ST_I32, 2, {2, 3}, i32_, sizeof i32_},
        {"u8", GC_ST_U8, 1, {17}, u8_, sizeof u8_},
        {"d", GC_ST_F64, 1, {3}, d_, sizeof d_},
        {"scalar", GC_ST_F32, 0, {0}, &scalar_, sizeof scalar_},
        {"empty", GC_ST_F32, 2, {0, 4}, empty_, 0},
    };
    memcpy(ref, t, sizeof t);
}

static void check_reference(const struct gc_safetensors *st)
{
    assert_int_equal(gc_safetensors_count(st), N_REF);
    for (int i = 0; i < N_REF; i++) {
        const struct gc_st_tensor *t = gc_safetensors_find(st, ref[i].name);
        if (!t) fail_msg("tensor %s missing", ref[i].name);
        assert_string_equal(t->name, ref[i].name);
        assert_int_equal(t->dtype, ref[i].dtype);
        assert_int_equal(t->ndim, ref[i].ndim);
        for (int d = 0; d < t->ndim; d++) assert_int_equal(t->shape[d], ref[i].shape[d]);
        assert_int_equal(t->nbytes, ref[i].nbytes);
        if (t->nbytes) assert_memory_equal(t->data, ref[i].data, t->nbytes);
    }
    assert_int_equal(gc_safetensors_meta_count(st), N_META);
    for (int i = 0; i < N_META; i++) {
        const char *v = gc_safetensors_meta_get(st, meta[i].key);
        assert_non_null(v);
        assert_string_equal(v, meta[i].value);
    }
    assert_null(gc_safetensors_find(st, "nope"));
    assert_null(gc_safetensors_meta_get(st, "nope"));
}

static void test_round_trip(void **state)
{
    (void)state;
    reference_tensors();
    const char *path = tmp_path("round.safetensors");
    gc_assert_ok(gc_safetensors_save(path, ref, N_REF, meta, N_META));
    struct gc_safetensors *st = NULL;
    gc_assert_ok(gc_safetensors_load(&st, path));
    check_reference(st);
    /* File order is the Python package's: larger dtype first, then name, so
     * every tensor is aligned to its element size. */
    static const char *const order[N_REF] = {"idx", "d", "empty", "scalar", "w", "i32", "h", "u8"};
    for (int i = 0; i < N_REF; i++) {
        const struct gc_st_tensor *t = gc_safetensors_tensor(st, i);
        assert_string_equal(t->name, order[i]);
        assert_int_equal(((uintptr_t)t->data - (uintptr_t)gc_safetensors_tensor(st, 0)->data) %
                             gc_st_dtype_size(t->dtype),
                         0);
    }
    assert_null(gc_safetensors_tensor(st, N_REF));
    float w[105];
    gc_assert_ok(gc_safetensors_read_f32(st, "w", w, 3, (const int64_t[]){3, 5, 7}));
    assert_memory_equal(w, w_, sizeof w);
    float h[24];
    gc_assert_ok(gc_safetensors_read_f32(st, "h", h, 2, (const int64_t[]){4, 6}));
    for (int i = 0; i < 24; i++) assert_true(h[i] == (float)((i % 64 - 32) / 8.0));
    gc_safetensors_destroy(st);
    gc_safetensors_destroy(NULL);

    /* header length is a multiple of 8, padded with spaces */
    size_t len;
    unsigned char *buf = slurp(path, &len);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | buf[i];
    assert_int_equal(hl % 8, 0);
    assert_true(buf[8] == '{');
    free(buf);

    /* no tensors and no metadata is a valid file too */
    gc_assert_ok(gc_safetensors_save(path, NULL, 0, NULL, 0));
    gc_assert_ok(gc_safetensors_load(&st, path));
    assert_int_equal(gc_safetensors_count(st), 0);
    assert_int_equal(gc_safetensors_meta_count(st), 0);
    gc_safetensors_destroy(st);
    unlink(path);
}

static void test_half_and_read_f32_errors(void **state)
{
    (void)state;
    struct gc_safetensors *st;
    gc_assert_ok(gc_safetensors_load(&st, fixture("st_half.safetensors")));
    float h[5], b[2];
    gc_assert_ok(gc_safetensors_read_f32(st, "h", h, 1, (const int64_t[]){5}));
    assert_true(h[0] == 1.0f && h[1] == -2.0f && h[2] == 0.5f && h[3] == 65504.0f);
    assert_true(h[4] == 5.9604644775390625e-08f); /* 2^-24, the smallest subnormal */
    gc_assert_ok(gc_safetensors_read_f32(st, "b", b, 1, (const int64_t[]){2}));
    assert_true(b[0] == 1.0f && b[1] == -3.5f);
    assert_string_equal(gc_safetensors_meta_get(st, "k"), "v");
    assert_int_equal(gc_safetensors_read_f32(st, "zz", h, 1, (const int64_t[]){5}), GC_NOT_FOUND);
    assert_non_null(strstr(gc_last_error(), "st_half.safetensors"));
    assert_int_equal(gc_safetensors_read_f32(st, "h", h, 1, (const int64_t[]){4}), GC_FORMAT);
    assert_int_equal(gc_safetensors_read_f32(st, "h", h, 2, (const int64_t[]){5, 1}), GC_FORMAT);
    gc_safetensors_destroy(st);

    reference_tensors();
    const char *path = tmp_path("u8.safetensors");
    gc_assert_ok(gc_safetensors_save(path, &ref[4], 1, NULL, 0));
    gc_assert_ok(gc_safetensors_load(&st, path));
    float u[17];
    assert_int_equal(gc_safetensors_read_f32(st, "u8", u, 1, (const int64_t[]){17}), GC_FORMAT);
    gc_safetensors_destroy(st);
    unlink(path);
}

static void test_writer_rejects_bad_arguments(void **state)
{
    (void)state;
    reference_tensors();
    const char *path = tmp_path("never.safetensors");
    struct gc_st_tensor t[2] = {ref[0], ref[0]};
    assert_int_equal(gc_safetensors_save(path, t, 2, NULL, 0), GC_INVALID_ARG); /* duplicate */
    t[1].name = "__metadata__";
    assert_int_equal(gc_safetensors_save(path, t, 2, NULL, 0), GC_INVALID_ARG);
    t[1].name = "";
    assert_int_equal(gc_safetensors_save(path, t, 2, NULL, 0), GC_INVALID_ARG);
    t[1] = ref[0];
    t[1].name = "w2";
    t[1].nbytes -= 4;
    assert_int_equal(gc_safetensors_save(path, t, 2, NULL, 0), GC_INVALID_ARG);
    t[1].nbytes += 4;
    t[1].shape[0] = -3;
    assert_int_equal(gc_safetensors_save(path, t, 2, NULL, 0), GC_INVALID_ARG);
    t[1].shape[0] = 3;
    t[1].dtype = GC_ST_DTYPE_COUNT;
    assert_int_equal(gc_safetensors_save(path, t, 2, NULL, 0), GC_INVALID_ARG);
    const struct gc_st_meta dup[2] = {{"a", "1"}, {"a", "2"}};
    assert_int_equal(gc_safetensors_save(path, ref, 1, dup, 2), GC_INVALID_ARG);
    const struct gc_st_meta bad_utf8[1] = {{"a", "\xff"}};
    assert_int_equal(gc_safetensors_save(path, ref, 1, bad_utf8, 1), GC_INVALID_ARG);
    assert_int_equal(access(path, F_OK), -1); /* nothing was written */
    assert_int_equal(gc_safetensors_save("/nonexistent-dir/x.safetensors", ref, 1, NULL, 0),
                     GC_IO);
    assert_non_null(strstr(gc_last_error(), "/nonexistent-dir/x.safetensors"));
}

/* The whole file, every prefix of it, and single-byte damage in the header:
 * always a clean status, never a crash (a tiny deterministic fuzz). */
static void test_truncations_and_damage(void **state)
{
    (void)state;
    reference_tensors();
    const char *path = tmp_path("trunc.safetensors");
    gc_assert_ok(gc_safetensors_save(path, ref, N_REF, meta, N_META));
    size_t len;
    unsigned char *buf = slurp(path, &len);
    struct gc_safetensors *st;
    gc_assert_ok(gc_safetensors_parse(&st, buf, len, "mem"));
    check_reference(st);
    gc_safetensors_destroy(st);
    for (size_t n = 0; n < len; n++) {
        st = NULL;
        gc_status s = gc_safetensors_parse(&st, buf, n, "mem");
        if (s == GC_OK) fail_msg("a %zu-byte prefix of a %zu-byte file was accepted", n, len);
        assert_null(st);
        assert_non_null(strstr(gc_last_error(), "mem"));
    }
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | buf[i];
    for (size_t i = 0; i < 8 + hl; i++) {
        unsigned char keep = buf[i];
        static const unsigned char repl[] = {0, '"', '}', ']', '9', '-', 0xff};
        for (size_t r = 0; r < sizeof repl; r++) {
            buf[i] = repl[r];
            if (gc_safetensors_parse(&st, buf, len, "mem") == GC_OK) gc_safetensors_destroy(st);
        }
        buf[i] = keep;
    }
    free(buf);
    unlink(path);
}

static void test_bad_corpus(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "st_array_after_brace.safetensors",   "st_bad_dtype.safetensors",
        "st_bad_utf8.safetensors",            "st_dtype_not_string.safetensors",
        "st_duplicate_name.safetensors",      "st_fractional_offset.safetensors",
        "st_gap.safetensors",                 "st_header_len_huge.safetensors",
        "st_header_len_over_limit.safetensors", "st_header_longer_than_file.safetensors",
        "st_invalid_json.safetensors",        "st_leading_space.safetensors",
        "st_metadata_not_string.safetensors", "st_missing_offsets.safetensors",
        "st_negative_offset.safetensors",     "st_negative_shape.safetensors",
        "st_not_object.safetensors",          "st_out_of_range.safetensors",
        "st_overlap.safetensors",             "st_reversed_offsets.safetensors",
        "st_shape_mismatch.safetensors",      "st_shape_overflow.safetensors",
        "st_short.safetensors",               "st_trailing_data.safetensors",
        "st_trailing_garbage.safetensors",    "st_zero.safetensors",
    };
    const size_t nbad = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < nbad; i++) {
        char name[256];
        snprintf(name, sizeof name, "bad/%s", bad[i]);
        const char *path = fixture(name);
        struct gc_safetensors *st = NULL;
        gc_status s = gc_safetensors_load(&st, path);
        if (s != GC_FORMAT)
            fail_msg("%s: got %s (%s), expected GC_FORMAT", bad[i], gc_status_name(s),
                     gc_last_error());
        if (!strstr(gc_last_error(), path)) fail_msg("message does not name the file: %s", gc_last_error());
        assert_null(st);
    }
    DIR *d = opendir(fixture("bad"));
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "st_", 3) != 0) continue;
        size_t i = 0;
        while (i < nbad && strcmp(bad[i], e->d_name) != 0) i++;
        if (i == nbad) fail_msg("bad/%s is not covered by test_bad_corpus", e->d_name);
    }
    closedir(d);
}

/* A writer killed (SIGKILL) at any moment leaves the previous file loadable:
 * readers see the old version or the new one, never a torn file. */
static void test_atomic_under_sigkill(void **state)
{
    (void)state;
    gc_test_use_libc_alloc(); /* the child must not use cmocka's allocator */
    enum { N = 4 << 20 };     /* 16 MB per version: the write takes a while */
    float *data = malloc(N * sizeof *data);
    assert_non_null(data);
    const char *path = tmp_path("atomic.safetensors");
    struct gc_st_tensor t = {"x", GC_ST_F32, 1, {N}, data, N * sizeof *data};
    for (int i = 0; i < N; i++) data[i] = 1.0f;
    const struct gc_st_meta va = {"version", "A"}, vb = {"version", "B"};
    gc_assert_ok(gc_safetensors_save(path, &t, 1, &va, 1));
    int saw_b = 0;
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int i = 0; i < N; i++) data[i] = 2.0f;
            for (;;) gc_safetensors_save(path, &t, 1, &vb, 1);
        }
        struct timespec ts = {0, (long)(round % 6) * 7000000L + 500000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int wst;
        waitpid(pid, &wst, 0);
        struct gc_safetensors *st;
        gc_assert_ok(gc_safetensors_load(&st, path));
        const char *v = gc_safetensors_meta_get(st, "version");
        assert_non_null(v);
        const struct gc_st_tensor *x = gc_safetensors_find(st, "x");
        float expect = v[0] == 'A' ? 1.0f : 2.0f;
        saw_b |= v[0] == 'B';
        const float *xv = x->data;
        for (int i = 0; i < N; i += 4099) assert_true(xv[i] == expect);
        assert_true(xv[N - 1] == expect);
        gc_safetensors_destroy(st);
    }
    (void)saw_b; /* which version survives depends on timing; both are fine */
    /* remove the temp files the killed writers left behind */
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "atomic.safetensors.tmp.", 23) == 0) {
            char p[512];
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
    }
    if (d) closedir(d);
    unlink(path);
    free(data);
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/* gan-cl -> Python and Python -> gan-cl. No Python or no package is a
 * failure: tools/test installs the package (tools/pyenv), CI must run this. */
static void test_python_interop(void **state)
{
    (void)state;
    const char *root = getenv("GANCL_SOURCE_ROOT");
    if (!root) fail_msg("GANCL_SOURCE_ROOT is not set (run through meson test)");
    /* tools/test points GANCL_PYTHON at a venv with numpy + safetensors (tools/pyenv) */
    const char *py = getenv("GANCL_PYTHON");
    if (!py || !*py) py = "python3";
    reference_tensors();
    char ours[256], theirs[256], cmd[2048];
    snprintf(ours, sizeof ours, "%s", tmp_path("from_gancl.safetensors"));
    snprintf(theirs, sizeof theirs, "%s", tmp_path("from_python.safetensors"));
    gc_assert_ok(gc_safetensors_save(ours, ref, N_REF, meta, N_META));
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/check_safetensors.py' verify '%s'", py, root, ours);
    int rc = run(cmd);
    if (rc != 0) fail_msg("Python could not load gan-cl's file identically (exit %d): %s", rc, cmd);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/check_safetensors.py' write '%s'", py, root, theirs);
    rc = run(cmd);
    if (rc != 0) fail_msg("Python could not write the reference file (exit %d): %s", rc, cmd);
    struct gc_safetensors *st;
    gc_assert_ok(gc_safetensors_load(&st, theirs));
    check_reference(st);
    gc_safetensors_destroy(st);
    unlink(ours);
    unlink(theirs);
}

static void test_dtype_table(void **state)
{
    (void)state;
    assert_string_equal(gc_st_dtype_name(GC_ST_F32), "F32");
    assert_string_equal(gc_st_dtype_name(GC_ST_BF16), "BF16");
    assert_int_equal(gc_st_dtype_size(GC_ST_I64), 8);
    assert_int_equal(gc_st_dtype_size(GC_ST_F16), 2);
    assert_null(gc_st_dtype_name(GC_ST_DTYPE_COUNT));
    assert_int_equal(gc_st_dtype_size(GC_ST_DTYPE_COUNT), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_dtype_table),
        T(test_round_trip),
        T(test_half_and_read_f32_errors),
        T(test_writer_rejects_bad_arguments),
        T(test_truncations_and_damage),
        T(test_bad_corpus),
        T(test_atomic_under_sigkill),
        T(test_python_interop),
    };
    int rc = cmocka_run_group_tests_name("safetensors", tests, NULL, NULL);
    if (tmpdir[0]) rmdir(tmpdir);
    return rc;
}
