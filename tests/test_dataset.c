/* SPDX-License-Identifier: MIT */
/* Datasets and preprocessing: every --preprocess mode against PIL's pixels
 * (fixtures from tools/gen_transform_fixtures.py: the reference
 * implementation's transform code on Pillow), the float conversion and
 * padding, each layout (folder, unaligned, aligned, Fashion-MNIST, two
 * classes as two domains) built in a temp folder by the test, determinism of
 * the random crops/flips, and the errors for missing/empty folders and
 * unreadable files. Host only; allocations are leak-checked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/transform.h"
#include "gancl/alloc.h"
#include "gancl/dataset.h"
#include "gancl/idx.h"
#include "gancl/image.h"
#include "harness.h"

static char tmpdir[256];

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

/* A fresh folder under the test's temp folder. */
static const char *fresh(const char *name)
{
    static char path[512];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/gc-test-dataset-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    mkdir(path, 0755);
    return path;
}

static void mk(const char *dir, const char *sub)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    mkdir(p, 0755);
}

/* A w x h image of c channels, every pixel `v` (left half) / `v2` (right half). */
static void write_img(const char *dir, const char *name, int w, int h, int c, int v, int v2)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct gc_image img = {w, h, c, malloc((size_t)(w * h * c))};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) img.data[(y * w + x) * c + k] = (uint8_t)(x < w / 2 ? v : v2);
    gc_test_use_libc_alloc();
    gc_assert_ok(gc_image_write_png(p, &img));
    gc_test_use_cmocka_alloc();
    free(img.data);
}

static void write_bytes(const char *dir, const char *name, const char *bytes)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(bytes, f);
    fclose(f);
}

static float px(int v)
{
    return ((float)v / 255.0f - 0.5f) / 0.5f;
}

/* ---- parity with PIL ------------------------------------------------------ */

static void test_pil_parity(void **state)
{
    (void)state;
    FILE *f = fopen(fixture("xf_cases.txt"), "r");
    assert_non_null(f);
    char line[512], name[64], input[32], mode[64];
    int cases = 0, worst = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        int load, crop, cx, cy, flip, ch;
        assert_int_equal(sscanf(line, "%63s %31s %63s %d %d %d %d %d %d", name, input, mode, &load,
                                &crop, &cx, &cy, &flip, &ch),
                         9);
        char fin[64], fout[96];
        snprintf(fin, sizeof fin, "xf_in_%s.png", input);
        snprintf(fout, sizeof fout, "xf_%s.png", name);
        struct gc_transform t;
        gc_transform_default(&t);
        gc_assert_ok(gc_preprocess_parse(mode, &t.preprocess));
        t.load_size = load;
        t.crop_size = crop;
        t.channels = ch;
        struct gc_image in, expect, got;
        gc_assert_ok(gc_image_load(&in, fixture(fin), ch, 0)); /* RGB -> L as PIL's convert("L") */
        gc_assert_ok(gc_image_load(&expect, fixture(fout), ch, 0));
        struct gc__xf_params p = {cx, cy, flip != 0};
        if (t.preprocess == GC_PRE_RESIZE_CENTER_CROP) { /* the centre is computed, not drawn */
            t.no_flip = true;
            gc__xf_draw(&t, in.w, in.h, (uint32_t[4]){~0u, ~0u, ~0u, ~0u}, &p);
            if (p.crop_x != cx || p.crop_y != cy || p.flip)
                fail_msg("%s: centre (%d, %d) flip %d, torchvision (%d, %d) 0", name, p.crop_x,
                         p.crop_y, p.flip, cx, cy);
        }
        gc_assert_ok(gc__xf_apply(&got, &in, &t, &p, fin));
        if (got.w != expect.w || got.h != expect.h)
            fail_msg("%s: %dx%d, PIL %dx%d", name, got.w, got.h, expect.w, expect.h);
        int maxd = 0, at = -1;
        for (int i = 0; i < got.w * got.h * got.c; i++) {
            int d = abs((int)got.data[i] - (int)expect.data[i]);
            if (d > maxd) maxd = d, at = i;
        }
        printf("# %-10s %-21s %2dx%-2d -> %2dx%-2d  max |gan-cl - PIL| = %d\n", name, mode, in.w,
               in.h, got.w, got.h, maxd);
        if (maxd > 0)
            fail_msg("%s: pixel %d (x %d, y %d) differs from PIL by %d", name, at,
                     at / got.c % got.w, at / got.c / got.w, maxd);
        if (maxd > worst) worst = maxd;
        gc_image_free(&in);
        gc_image_free(&expect);
        gc_image_free(&got);
        cases++;
    }
    fclose(f);
    assert_int_equal(cases, 16);
    assert_int_equal(worst, 0);
}

/* A 1-pixel-wide spike: PIL's kernel values (a = -0.5) at known offsets. */
static void test_resize_identity_and_bad_sizes(void **state)
{
    (void)state;
    uint8_t d[6] = {10, 20, 30, 40, 50, 60};
    struct gc_image in = {3, 2, 1, d}, out;
    gc_assert_ok(gc__resize_bicubic(&out, &in, 3, 2)); /* same size: a copy, as Image.resize */
    assert_memory_equal(out.data, d, 6);
    gc_image_free(&out);
    struct gc_transform t;
    gc_transform_default(&t);
    t.preprocess = GC_PRE_NONE;
    int w, h;
    assert_int_equal(gc__xf_out_size(&t, 1, 1, &w, &h, "tiny.png"), GC_INVALID_ARG);
    assert_non_null(strstr(gc_last_error(), "tiny.png"));
    gc_assert_ok(gc__xf_out_size(&t, 30, 26, &w, &h, NULL)); /* round half to even: 32 x 24 */
    assert_int_equal(w, 32);
    assert_int_equal(h, 24);
    t.preprocess = GC_PRE_CROP;
    t.crop_size = 4;
    assert_int_equal(gc__xf_out_size(&t, 3, 9, &w, &h, "small.png"), GC_INVALID_ARG);
    assert_non_null(strstr(gc_last_error(), "small.png"));
}

static void test_to_float_and_pad(void **state)
{
    (void)state;
    uint8_t d[2 * 1 * 3] = {0, 128, 255, 255, 0, 51};
    struct gc_image img = {2, 1, 3, d};
    float out[3 * 3 * 4];
    gc__xf_to_float(out, &img, 1); /* (3, 1 + 2, 2 + 2) */
    assert_true(out[0] == -1.0f && out[4 * 3 - 1] == -1.0f);
    assert_true(out[1 * 4 + 1] == -1.0f && out[1 * 4 + 2] == 1.0f);       /* R */
    assert_true(out[12 + 1 * 4 + 1] == px(128) && out[12 + 1 * 4 + 2] == -1.0f); /* G */
    assert_true(out[24 + 1 * 4 + 2] == px(51));                           /* B */
    assert_true(fabsf(px(51) - (-0.6f)) < 1e-6f);
}

/* ---- layouts ---------------------------------------------------------------- */

static struct gc_dataset_opts plain_opts(const char *spec)
{
    struct gc_dataset_opts o = {.spec = spec};
    gc_transform_default(&o.transform);
    o.transform.preprocess = GC_PRE_NONE; /* 8x8 images stay 8x8 */
    o.transform.no_flip = true;
    return o;
}

static void test_folder_recursive_sorted(void **state)
{
    (void)state;
    const char *dir = fresh("folder");
    mk(dir, "sub");
    mk(dir, "sub/deeper");
    write_img(dir, "b.PNG", 8, 8, 3, 20, 20);
    write_img(dir, "a.png", 8, 8, 3, 10, 10);
    write_img(dir, "sub/c.jpg.png", 8, 8, 1, 30, 30);
    write_img(dir, "sub/deeper/d.png", 8, 8, 3, 40, 40);
    write_bytes(dir, "notes.txt", "not an image");
    write_bytes(dir, "sub/e.gif", "GIF89a");
    struct gc_dataset_opts o = plain_opts(dir);
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    assert_int_equal(gc_dataset_size(ds), 4);
    assert_int_equal(gc_dataset_domains(ds), 1);
    const char *want[4] = {"/a.png", "/b.PNG", "/sub/c.jpg.png", "/sub/deeper/d.png"};
    int vals[4] = {10, 20, 30, 40};
    float x[3 * 8 * 8];
    int c, h, w;
    gc_dataset_shape(ds, &c, &h, &w);
    assert_true(c == 3 && h == 8 && w == 8);
    for (int i = 0; i < 4; i++) {
        const char *p = gc_dataset_path(ds, 0, i);
        assert_non_null(p);
        assert_string_equal(p + strlen(dir), want[i]);
        gc_assert_ok(gc_dataset_get(ds, i, 1, 0, x, NULL));
        for (int k = 0; k < 3 * 64; k++) assert_true(x[k] == px(vals[i])); /* grey -> RGB too */
    }
    gc_dataset_destroy(ds);
}

/* Image value identifies the file: A images 10 + i, B images 100 + i. */
static void test_unaligned(void **state)
{
    (void)state;
    const char *dir = fresh("cyclegan");
    char p[600];
    mk(dir, "trainA");
    mk(dir, "trainB");
    mk(dir, "testA");
    mk(dir, "testB");
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/trainA", dir);
        char n[32];
        snprintf(n, sizeof n, "a%d.png", i);
        write_img(p, n, 8, 8, 3, 10 + i, 10 + i);
    }
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/trainB", dir);
        char n[32];
        snprintf(n, sizeof n, "b%d.png", i);
        write_img(p, n, 8, 8, 3, 100 + i, 100 + i);
    }
    snprintf(p, sizeof p, "%s/testA", dir);
    write_img(p, "t.png", 8, 8, 3, 7, 7);
    snprintf(p, sizeof p, "%s/testB", dir);
    write_img(p, "t.png", 8, 8, 3, 8, 8);
    struct gc_dataset_opts o = plain_opts(dir);
    o.serial = true;
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o)); /* AUTO finds trainA/trainB */
    assert_int_equal(gc_dataset_domains(ds), 2);
    assert_int_equal(gc_dataset_size(ds), 5); /* max(|A|, |B|) */
    float a[192], b[192];
    for (int i = 0; i < 5; i++) {
        gc_assert_ok(gc_dataset_get(ds, i, 3, 0, a, b));
        assert_true(a[0] == px(10 + i % 3) && b[0] == px(100 + i));
    }
    gc_dataset_destroy(ds);
    o.serial = false; /* B at random, a function of (seed, epoch, index) */
    gc_assert_ok(gc_dataset_open(&ds, &o));
    int seen[5] = {0};
    for (int e = 0; e < 8; e++) {
        for (int i = 0; i < 5; i++) {
            float b2[192];
            gc_assert_ok(gc_dataset_get(ds, i, 3, e, a, b));
            gc_assert_ok(gc_dataset_get(ds, i, 3, e, a, b2));
            assert_memory_equal(b, b2, sizeof b);
            int v = (int)lrintf((b[0] * 0.5f + 0.5f) * 255.0f) - 100;
            assert_true(v >= 0 && v < 5);
            seen[v]++;
            assert_true(a[0] == px(10 + i % 3));
        }
    }
    for (int i = 0; i < 5; i++) assert_true(seen[i] > 0);
    gc_dataset_destroy(ds);
    o.phase = "test";
    o.b_to_a = true;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    gc_assert_ok(gc_dataset_get(ds, 0, 3, 0, a, b));
    assert_true(a[0] == px(8) && b[0] == px(7));
    gc_dataset_destroy(ds);
    /* the same folders given as "A|B" */
    char spec[1300];
    snprintf(spec, sizeof spec, "%s/trainA|%s/trainB", dir, dir);
    o = plain_opts(spec);
    o.serial = true;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    assert_int_equal(gc_dataset_size(ds), 5);
    gc_assert_ok(gc_dataset_get(ds, 4, 3, 0, a, b));
    assert_true(a[0] == px(11) && b[0] == px(104));
    gc_dataset_destroy(ds);
    /* --max_dataset_size 2: the first two sorted paths of each domain */
    o.max_size = 2;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    assert_int_equal(gc_dataset_size(ds), 2);
    assert_int_equal(gc_dataset_domain_size(ds, 1), 2);
    for (int i = 0; i < 2; i++) {
        gc_assert_ok(gc_dataset_get(ds, i, 3, 0, a, b));
        assert_true(a[0] == px(10 + i) && b[0] == px(100 + i));
    }
    gc_dataset_destroy(ds);
}

static void test_aligned(void **state)
{
    (void)state;
    const char *dir = fresh("pix2pix");
    mk(dir, "train");
    char p[600];
    snprintf(p, sizeof p, "%s/train", dir);
    write_img(p, "0.jpg.png", 16, 8, 3, 50, 200); /* A = left 8x8, B = right 8x8 */
    struct gc_dataset_opts o = plain_opts(dir);
    o.layout = GC_LAYOUT_ALIGNED;
    o.transform.preprocess = GC_PRE_RESIZE_AND_CROP;
    o.transform.load_size = 12;
    o.transform.crop_size = 6;
    o.transform.no_flip = false;
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    assert_int_equal(gc_dataset_domains(ds), 2);
    int c, h, w;
    gc_dataset_shape(ds, &c, &h, &w);
    assert_true(c == 3 && h == 6 && w == 6);
    float a[108], b[108];
    gc_assert_ok(gc_dataset_get(ds, 0, 9, 0, a, b));
    for (int i = 0; i < 108; i++) assert_true(a[i] == px(50) && b[i] == px(200));
    gc_dataset_destroy(ds);
    o.b_to_a = true;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    gc_assert_ok(gc_dataset_get(ds, 0, 9, 0, a, b));
    assert_true(a[0] == px(200) && b[0] == px(50));
    gc_dataset_destroy(ds);
}

/* Crops and flips: a function of (seed, epoch, index); aligned halves share them. */
static void test_random_is_keyed(void **state)
{
    (void)state;
    const char *dir = fresh("keyed");
    char p[700];
    snprintf(p, sizeof p, "%s/ramp.png", dir);
    struct gc_image img = {24, 20, 1, malloc(24 * 20)};
    for (int i = 0; i < 24 * 20; i++) img.data[i] = (uint8_t)(i * 7);
    gc_test_use_libc_alloc();
    gc_assert_ok(gc_image_write_png(p, &img));
    gc_test_use_cmocka_alloc();
    free(img.data);
    struct gc_dataset_opts o = plain_opts(dir);
    o.transform.channels = 1;
    o.transform.preprocess = GC_PRE_CROP;
    o.transform.crop_size = 8;
    o.transform.no_flip = false;
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    float x[64], y[64];
    int differ = 0;
    for (int e = 0; e < 16; e++) {
        gc_assert_ok(gc_dataset_get(ds, 0, 5, e, x, NULL));
        gc_assert_ok(gc_dataset_get(ds, 0, 5, e, y, NULL));
        assert_memory_equal(x, y, sizeof x);
        gc_assert_ok(gc_dataset_get(ds, 0, 6, e, y, NULL));
        differ += memcmp(x, y, sizeof x) != 0;
    }
    assert_true(differ >= 12);
    gc_dataset_destroy(ds);
}

static void test_fashion_mnist(void **state)
{
    (void)state;
    struct gc_dataset_opts o = plain_opts("fashion-mnist:sneaker");
    o.phase = "test";
    o.transform.channels = 1;
    o.transform.pad = 2;
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    assert_int_equal(gc_dataset_size(ds), 1000);
    int c, h, w;
    gc_dataset_shape(ds, &c, &h, &w);
    assert_true(c == 1 && h == 32 && w == 32);
    struct gc_fmnist fm;
    gc_assert_ok(gc_fmnist_load(&fm, NULL, GC_FMNIST_TEST, 7));
    float x[1024], ref[1024];
    for (int64_t i = 0; i < 1000; i += 111) { /* the same floats as gc_fmnist_to_float */
        gc_assert_ok(gc_dataset_get(ds, i, 1, 0, x, NULL));
        gc_fmnist_to_float(ref, &fm, i, 1, 2);
        assert_memory_equal(x, ref, sizeof x);
    }
    gc_fmnist_free(&fm);
    gc_dataset_destroy(ds);
    /* two classes as the two domains of an unpaired task, as 3 channels */
    o = plain_opts("fashion-mnist:sneaker|fashion-mnist:ankle-boot");
    o.phase = "test";
    o.transform.pad = 2;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    assert_int_equal(gc_dataset_domains(ds), 2);
    assert_int_equal(gc_dataset_domain_size(ds, 1), 1000);
    gc_dataset_shape(ds, &c, &h, &w);
    assert_true(c == 3 && h == 32 && w == 32);
    float a[3 * 1024], b[3 * 1024];
    gc_assert_ok(gc_dataset_get(ds, 3, 1, 0, a, b));
    assert_memory_equal(a, a + 1024, 1024 * sizeof(float)); /* grey replicated */
    assert_true(a[0] == -1.0f && b[0] == -1.0f);             /* padding */
    gc_dataset_destroy(ds);
    o.spec = "fashion-mnist:sandal-boot";
    assert_int_equal(gc_dataset_open(&ds, &o), GC_INVALID_ARG);
}

/* ---- errors --------------------------------------------------------------- */

static void expect_error(const struct gc_dataset_opts *o, gc_status want, const char *names)
{
    struct gc_dataset *ds = NULL;
    gc_status s = gc_dataset_open(&ds, o);
    if (s != want) fail_msg("%s: %s, expected %s (%s)", o->spec, gc_status_name(s), gc_status_name(want), gc_last_error());
    if (!strstr(gc_last_error(), names)) fail_msg("'%s' does not name %s", gc_last_error(), names);
    assert_null(ds);
}

static void test_errors(void **state)
{
    (void)state;
    const char *dir = fresh("errors");
    char p[700], spec[700];
    snprintf(p, sizeof p, "%s/missing", dir);
    struct gc_dataset_opts o = plain_opts(p);
    expect_error(&o, GC_NOT_FOUND, "errors/missing");
    mk(dir, "empty");
    snprintf(p, sizeof p, "%s/empty", dir);
    write_bytes(p, "readme.txt", "no images here");
    o.spec = p;
    expect_error(&o, GC_NOT_FOUND, "errors/empty");
    /* unaligned with trainB missing */
    mk(dir, "half");
    snprintf(p, sizeof p, "%s/half", dir);
    mk(p, "trainA");
    snprintf(spec, sizeof spec, "%s/half/trainA", dir);
    write_img(spec, "x.png", 8, 8, 3, 1, 1);
    o.spec = p;
    o.layout = GC_LAYOUT_UNALIGNED;
    expect_error(&o, GC_NOT_FOUND, "half/trainB");
    o.layout = GC_LAYOUT_ALIGNED;
    expect_error(&o, GC_NOT_FOUND, "half/train");
    o.layout = GC_LAYOUT_AUTO;
    /* a file named .png that is not one: open is fine (lists only), get fails naming it */
    mk(dir, "bad");
    snprintf(p, sizeof p, "%s/bad", dir);
    write_img(p, "a.png", 8, 8, 3, 1, 1);
    write_bytes(p, "b.png", "this is not a PNG file");
    o.spec = p;
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    float x[192];
    gc_status s = gc_dataset_get(ds, 1, 0, 0, x, NULL);
    assert_int_equal(s, GC_FORMAT);
    assert_non_null(strstr(gc_last_error(), "bad/b.png"));
    gc_dataset_destroy(ds);
    /* the first image bad: open fails (it gives the item shape) */
    write_bytes(p, "0.png", "\x89PNG\r\n\x1a\n truncated");
    expect_error(&o, GC_FORMAT, "bad/0.png");
    /* sizes that cannot be batched with --preprocess none */
    mk(dir, "sizes");
    snprintf(p, sizeof p, "%s/sizes", dir);
    write_img(p, "a.png", 8, 8, 3, 1, 1);
    write_img(p, "b.png", 12, 8, 3, 1, 1);
    o.spec = p;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    assert_int_equal(gc_dataset_get(ds, 1, 0, 0, x, NULL), GC_FORMAT);
    assert_non_null(strstr(gc_last_error(), "sizes/b.png"));
    gc_dataset_destroy(ds);
    /* crop larger than the image */
    o.transform.preprocess = GC_PRE_CROP;
    o.transform.crop_size = 10;
    expect_error(&o, GC_INVALID_ARG, "sizes/a.png");
    o.transform.preprocess = GC_PRE_RESIZE_AND_CROP;
    o.transform.load_size = 8;
    expect_error(&o, GC_INVALID_ARG, "--load_size 8");
    enum gc_preprocess pre;
    assert_int_equal(gc_preprocess_parse("resize", &pre), GC_INVALID_ARG);
    assert_non_null(strstr(gc_last_error(), "resize"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pil_parity),     T(test_resize_identity_and_bad_sizes), T(test_to_float_and_pad),
        T(test_folder_recursive_sorted), T(test_unaligned),       T(test_aligned),
        T(test_random_is_keyed), T(test_fashion_mnist),            T(test_errors),
    };
    int rc = cmocka_run_group_tests_name("dataset", tests, NULL, NULL);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) rc = rc ? rc : 1;
    }
    return rc;
}
