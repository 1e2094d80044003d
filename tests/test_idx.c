/* SPDX-License-Identifier: MIT */
/* IDX reader (raw, .gz, memory), its bad-input corpus, and the Fashion-MNIST
 * helpers against Debian's real data set. Host only; leak-checked. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"
#include "gancl/idx.h"
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

/* idx_images.*: (7, 4, 5) with value (i * 20 + k) & 255 (tools/gen_data_fixtures.c) */
static void check_images(const struct gc_idx *idx)
{
    assert_int_equal(idx->ndim, 3);
    assert_int_equal(idx->dims[0], 7);
    assert_int_equal(idx->dims[1], 4);
    assert_int_equal(idx->dims[2], 5);
    assert_int_equal(idx->size, 140);
    for (int i = 0; i < 140; i++) assert_int_equal(idx->data[i], i & 255);
}

static void test_idx_raw_gz_memory(void **state)
{
    (void)state;
    struct gc_idx idx;
    gc_assert_ok(gc_idx_read(&idx, fixture("idx_images.idx"), 3));
    check_images(&idx);
    gc_idx_free(&idx);
    gc_assert_ok(gc_idx_read(&idx, fixture("idx_images.idx.gz"), 0));
    check_images(&idx);
    gc_idx_free(&idx);
    gc_idx_free(&idx); /* a zeroed struct is a no-op */
    gc_idx_free(NULL);

    static const char *const files[] = {"idx_images.idx", "idx_images.idx.gz"};
    for (int f = 0; f < 2; f++) {
        size_t len;
        unsigned char *buf = slurp(fixture(files[f]), &len);
        gc_assert_ok(gc_idx_decode(&idx, buf, len, files[f], 3));
        check_images(&idx);
        gc_idx_free(&idx);
        free(buf);
    }

    gc_assert_ok(gc_idx_read(&idx, fixture("idx_labels.idx"), 1));
    static const uint8_t labels[7] = {9, 0, 0, 3, 0, 2, 7};
    assert_int_equal(idx.ndim, 1);
    assert_int_equal(idx.dims[0], 7);
    assert_memory_equal(idx.data, labels, 7);
    gc_idx_free(&idx);
}

static void test_idx_wrong_ndim_and_missing(void **state)
{
    (void)state;
    struct gc_idx idx = {0};
    const char *path = fixture("idx_labels.idx");
    assert_int_equal(gc_idx_read(&idx, path, 3), GC_FORMAT);
    assert_non_null(strstr(gc_last_error(), path));
    assert_null(idx.data); /* untouched */
    path = fixture("no_such_file.idx");
    assert_int_equal(gc_idx_read(&idx, path, 0), GC_NOT_FOUND);
    assert_non_null(strstr(gc_last_error(), path));
}

/* Every bad/idx_* file: the expected status from both entry points, a
 * message naming the file, nothing leaked (cmocka checks at test end). */
static void test_idx_bad_corpus(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        gc_status expect;
    } bad[] = {
        {"idx_bad_crc.idx.gz", GC_FORMAT},     {"idx_bad_magic.idx", GC_FORMAT},
        {"idx_bad_type.idx", GC_FORMAT},       {"idx_garbage.idx.gz", GC_FORMAT},
        {"idx_header_lies.idx", GC_FORMAT},    {"idx_header_lies.idx.gz", GC_FORMAT},
        {"idx_huge_dims.idx", GC_LIMIT},       {"idx_short_header.idx", GC_FORMAT},
        {"idx_trailing_data.idx", GC_FORMAT},  {"idx_truncated.idx.gz", GC_FORMAT},
        {"idx_zero.idx", GC_FORMAT},           {"idx_zero_dims.idx", GC_FORMAT},
    };
    const size_t nbad = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < nbad; i++) {
        char name[256];
        snprintf(name, sizeof name, "bad/%s", bad[i].file);
        const char *path = fixture(name);
        struct gc_idx idx = {0};
        gc_status s = gc_idx_read(&idx, path, 0);
        if (s != bad[i].expect)
            fail_msg("%s: got %s (%s), expected %s", bad[i].file, gc_status_name(s),
                     gc_last_error(), gc_status_name(bad[i].expect));
        if (!strstr(gc_last_error(), path)) fail_msg("message does not name the file: %s", gc_last_error());
        assert_null(idx.data);
        size_t len;
        unsigned char *buf = slurp(path, &len);
        s = gc_idx_decode(&idx, buf, len, path, 0);
        free(buf);
        if (s != bad[i].expect)
            fail_msg("%s (memory): got %s (%s)", bad[i].file, gc_status_name(s), gc_last_error());
        if (!strstr(gc_last_error(), path)) fail_msg("message does not name the file: %s", gc_last_error());
    }
    /* The corpus and this table must not drift apart. */
    DIR *d = opendir(fixture("bad"));
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "idx_", 4) != 0) continue;
        size_t i = 0;
        while (i < nbad && strcmp(bad[i].file, e->d_name) != 0) i++;
        if (i == nbad) fail_msg("bad/%s is not covered by test_idx_bad_corpus", e->d_name);
    }
    closedir(d);
}

static void test_fmnist_train_and_test(void **state)
{
    (void)state;
    struct gc_fmnist ds;
    gc_assert_ok(gc_fmnist_load(&ds, NULL, GC_FMNIST_TRAIN, -1));
    assert_int_equal(ds.n, 60000);
    assert_int_equal(ds.h, 28);
    assert_int_equal(ds.w, 28);
    /* Known values (checked with numpy): labels start 9 0 0 3 0 2 7, image 0
     * sums to 76247 and has 217 at (14, 14); every class has 6000 images. */
    static const uint8_t first[7] = {9, 0, 0, 3, 0, 2, 7};
    assert_memory_equal(ds.labels, first, 7);
    long sum = 0;
    for (int i = 0; i < 784; i++) sum += ds.images[i];
    assert_int_equal(sum, 76247);
    assert_int_equal(ds.images[14 * 28 + 14], 217);
    int count[10] = {0};
    for (int64_t i = 0; i < ds.n; i++) count[ds.labels[i]]++;
    for (int c = 0; c < 10; c++) assert_int_equal(count[c], 6000);
    gc_fmnist_free(&ds);

    gc_assert_ok(gc_fmnist_load(&ds, GC_FMNIST_DEFAULT_DIR, GC_FMNIST_TEST, -1));
    assert_int_equal(ds.n, 10000);
    assert_int_equal(ds.labels[0], 9);
    assert_int_equal(ds.labels[1], 2);
    gc_fmnist_free(&ds);
    gc_fmnist_free(&ds);
}

static void test_fmnist_class_filter(void **state)
{
    (void)state;
    struct gc_fmnist all, sneakers;
    gc_assert_ok(gc_fmnist_load(&all, NULL, GC_FMNIST_TRAIN, -1));
    gc_assert_ok(gc_fmnist_load(&sneakers, NULL, GC_FMNIST_TRAIN, 7));
    assert_int_equal(sneakers.n, 6000);
    for (int64_t i = 0; i < sneakers.n; i++) assert_int_equal(sneakers.labels[i], 7);
    /* file order is kept: the first two sneakers are images 6 and 14 */
    assert_memory_equal(sneakers.images, all.images + 6 * 784, 784);
    assert_memory_equal(sneakers.images + 784, all.images + 14 * 784, 784);
    gc_fmnist_free(&all);
    gc_fmnist_free(&sneakers);
    assert_int_equal(gc_fmnist_load(&all, NULL, GC_FMNIST_TRAIN, 10), GC_INVALID_ARG);
    assert_int_equal(gc_fmnist_load(&all, "/nonexistent", GC_FMNIST_TRAIN, -1), GC_NOT_FOUND);
    assert_non_null(strstr(gc_last_error(), "/nonexistent"));
}

static void test_fmnist_class_names(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int cls;
    } ok[] = {{"7", 7},          {"0", 0},           {"sneaker", 7},    {"Sneaker", 7},
              {"ankle-boot", 9}, {"ankle_boot", 9},  {"Ankle boot", 9}, {"t-shirt", 0},
              {"T-shirt/top", 0}, {"top", 0},        {"trouser", 1},    {"pullover", 2},
              {"dress", 3},      {"coat", 4},        {"sandal", 5},     {"shirt", 6},
              {"bag", 8}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int c = -1;
        gc_assert_ok(gc_fmnist_class_parse(ok[i].text, &c));
        assert_int_equal(c, ok[i].cls);
    }
    static const char *const bad[] = {"", "10", "-1", "boot", "sneakers2", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int c = -1;
        assert_int_equal(gc_fmnist_class_parse(bad[i], &c), GC_INVALID_ARG);
        assert_int_equal(c, -1);
    }
    for (int c = 0; c < 10; c++) {
        int back = -1;
        gc_assert_ok(gc_fmnist_class_parse(gc_fmnist_class_name(c), &back));
        assert_int_equal(back, c);
    }
    assert_null(gc_fmnist_class_name(10));
}

static void test_fmnist_to_float(void **state)
{
    (void)state;
    struct gc_fmnist ds;
    gc_assert_ok(gc_fmnist_load(&ds, NULL, GC_FMNIST_TEST, -1));
    float *x = gc_malloc(3 * 32 * 32 * sizeof *x);
    assert_non_null(x);
    gc_fmnist_to_float(x, &ds, 5, 3, 2); /* (3, 1, 32, 32) */
    for (int i = 0; i < 3; i++) {
        const float *img = x + i * 1024;
        const uint8_t *src = ds.images + (5 + i) * 784;
        for (int y = 0; y < 32; y++)
            for (int xx = 0; xx < 32; xx++) {
                float v = img[y * 32 + xx];
                int in = y >= 2 && y < 30 && xx >= 2 && xx < 30;
                /* torchvision: Pad(2) with 0, ToTensor, Normalize(0.5, 0.5) */
                float expect = in ? ((float)src[(y - 2) * 28 + xx - 2] / 255.0f - 0.5f) / 0.5f : -1.0f;
                assert_true(v == expect);
                assert_true(v >= -1.0f && v <= 1.0f);
            }
    }
    gc_fmnist_to_float(x, &ds, 0, 1, 0); /* unpadded (1, 1, 28, 28) */
    assert_true(x[14 * 28 + 14] == ((float)ds.images[14 * 28 + 14] / 255.0f - 0.5f) / 0.5f);
    gc_free(x);
    gc_fmnist_free(&ds);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_idx_raw_gz_memory),   T(test_idx_wrong_ndim_and_missing),
        T(test_idx_bad_corpus),      T(test_fmnist_train_and_test),
        T(test_fmnist_class_filter), T(test_fmnist_class_names),
        T(test_fmnist_to_float),
    };
    return cmocka_run_group_tests_name("idx", tests, NULL, NULL);
}
