/* SPDX-License-Identifier: MIT */
/* Image decoding against known pixels: every PNG colour type, bit depth,
 * palette/tRNS and interlace variant and the JPEG flavours written by
 * tools/gen_data_fixtures.c; channel conversion; pixel limits; the bad-input
 * corpus (file and memory entry points); PNG writing and sample grids.
 * Host only; allocations are leak-checked (libpng's go through gc_malloc). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gancl/alloc.h"
#include "gancl/image.h"
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

/* ---- the generator's pixel functions (tools/gen_data_fixtures.c) -------- */

#define W 13
#define H 11
#define JW 32
#define JH 24

static int f8(int x, int y, int c)
{
    return (x * 7 + y * 13 + c * 71 + 5) & 255;
}

static int low(int bits, int x, int y)
{
    return (x + 2 * y) % (1 << bits);
}

static int pal_n(int bits)
{
    return bits == 8 ? 200 : 1 << bits;
}

static void pal_px(int bits, int x, int y, int trns, uint8_t *o)
{
    int i = (x + 3 * y) % pal_n(bits);
    o[0] = (uint8_t)i, o[1] = (uint8_t)(255 - i), o[2] = (uint8_t)((i * 37) & 255);
    if (trns) o[3] = (uint8_t)(i < 16 ? 255 - 2 * i : 255);
}

static int jpg_px(int x, int y, int c)
{
    return c == 0 ? 40 + 5 * x : c == 1 ? 30 + 7 * y : 200 - 3 * x - 2 * y;
}

enum kind { GREY_LOW, GREY, GREY_TRNS, GA, RGB, RGB_TRNS, RGBA, PAL, PAL_TRNS };

/* The expected native decode: 8-bit samples after expansion. 16-bit files
 * hold f8 * 257 + d with |d| <= 100, so rounding to 8 bits gives f8 back
 * (taking the high byte instead would not). */
static int expected(enum kind k, int bits, int x, int y, uint8_t *o)
{
    switch (k) {
    case GREY_LOW:
        o[0] = (uint8_t)(low(bits, x, y) * 255 / ((1 << bits) - 1));
        return 1;
    case GREY:
        o[0] = (uint8_t)f8(x, y, 0);
        return 1;
    case GREY_TRNS:
        o[0] = (uint8_t)f8(x, y, 0);
        o[1] = o[0] == f8(8, 3, 0) ? 0 : 255;
        return 2;
    case GA:
        o[0] = (uint8_t)f8(x, y, 0), o[1] = (uint8_t)f8(x, y, 3);
        return 2;
    case RGB:
    case RGB_TRNS:
    case RGBA:
        for (int c = 0; c < 3; c++) o[c] = (uint8_t)f8(x, y, c);
        if (k == RGB) return 3;
        o[3] = k == RGBA ? (uint8_t)f8(x, y, 3)
               : o[0] == f8(8, 3, 0) && o[1] == f8(8, 3, 1) && o[2] == f8(8, 3, 2) ? 0
                                                                                  : 255;
        return 4;
    case PAL:
    case PAL_TRNS:
        pal_px(bits, x, y, k == PAL_TRNS, o);
        return k == PAL ? 3 : 4;
    }
    return 0;
}

/* The documented conversion, written out independently of the library. */
static void convert_px(const uint8_t *s, int sc, uint8_t *o, int dc)
{
    int colour = sc >= 3, alpha = sc == 2 || sc == 4;
    uint8_t g = colour ? (uint8_t)((19595u * s[0] + 38470u * s[1] + 7471u * s[2] + 32768u) >> 16)
                       : s[0];
    uint8_t a = alpha ? s[sc - 1] : 255;
    if (dc <= 2) o[0] = g;
    else
        for (int c = 0; c < 3; c++) o[c] = colour ? s[c] : s[0];
    if (dc == 2 || dc == 4) o[dc - 1] = a;
}

static const struct {
    const char *file;
    enum kind kind;
    int bits;
} pngs[] = {
    {"png_g1.png", GREY_LOW, 1},        {"png_g2.png", GREY_LOW, 2},
    {"png_g4.png", GREY_LOW, 4},        {"png_g8.png", GREY, 8},
    {"png_g16.png", GREY, 16},          {"png_g8_trns.png", GREY_TRNS, 8},
    {"png_ga8.png", GA, 8},             {"png_ga16.png", GA, 16},
    {"png_rgb8.png", RGB, 8},           {"png_rgb16.png", RGB, 16},
    {"png_rgb8_trns.png", RGB_TRNS, 8}, {"png_rgba8.png", RGBA, 8},
    {"png_rgba16.png", RGBA, 16},       {"png_pal1.png", PAL, 1},
    {"png_pal2.png", PAL, 2},           {"png_pal4.png", PAL, 4},
    {"png_pal8.png", PAL, 8},           {"png_pal8_trns.png", PAL_TRNS, 8},
    {"png_pal4_trns.png", PAL_TRNS, 4}, {"png_g2_adam7.png", GREY_LOW, 2},
    {"png_rgb8_adam7.png", RGB, 8},     {"png_rgba16_adam7.png", RGBA, 16},
    {"png_pal8_trns_adam7.png", PAL_TRNS, 8},
};

static void test_png_every_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pngs / sizeof pngs[0]; i++) {
        const char *path = fixture(pngs[i].file);
        for (int want = 0; want <= 4; want++) {
            struct gc_image img;
            gc_assert_ok(gc_image_load(&img, path, want, 0));
            uint8_t nat[4], conv[4];
            int nc = expected(pngs[i].kind, pngs[i].bits, 0, 0, nat);
            int ec = want ? want : nc;
            if (img.w != W || img.h != H || img.c != ec)
                fail_msg("%s (channels %d): %dx%dx%d, expected %dx%dx%d", pngs[i].file, want,
                         img.w, img.h, img.c, W, H, ec);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    expected(pngs[i].kind, pngs[i].bits, x, y, nat);
                    const uint8_t *e = nat;
                    if (want) {
                        convert_px(nat, nc, conv, want);
                        e = conv;
                    }
                    for (int c = 0; c < ec; c++) {
                        int got = img.data[(y * W + x) * ec + c];
                        if (got != e[c])
                            fail_msg("%s (channels %d) at (x %d, y %d, c %d): %d, expected %d",
                                     pngs[i].file, want, x, y, c, got, e[c]);
                    }
                }
            gc_image_free(&img);
        }
    }
    /* the fixture list and the generator must not drift apart */
    DIR *d = opendir(fixture("."));
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "png_", 4) != 0) continue;
        size_t i = 0;
        while (i < sizeof pngs / sizeof pngs[0] && strcmp(pngs[i].file, e->d_name) != 0) i++;
        if (i == sizeof pngs / sizeof pngs[0]) fail_msg("%s is not checked", e->d_name);
    }
    closedir(d);
}

/* JPEG is lossy: the fixtures are smooth gradients at quality 100 (4:4:4)
 * or 95 (4:2:0), so each sample stays within a few levels of the source.
 * Measured with libjpeg-turbo 2.1: q100 max 3, mean 0.37 (grey exact);
 * q95 4:2:0 max 6, mean 0.93. The bounds add a margin; a decoder that got
 * colour conversion or upsampling wrong is off by tens. */
#define JPEG_TOL_MAX_Q100 4
#define JPEG_TOL_MEAN_Q100 1.0
#define JPEG_TOL_MAX_Q95_420 8
#define JPEG_TOL_MEAN_Q95_420 2.0

static void test_jpeg_flavours(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int c, tol_max;
        double tol_mean;
    } j[] = {
        {"jpg_rgb_baseline.jpg", 3, JPEG_TOL_MAX_Q100, JPEG_TOL_MEAN_Q100},
        {"jpg_rgb_progressive.jpg", 3, JPEG_TOL_MAX_Q100, JPEG_TOL_MEAN_Q100},
        {"jpg_rgb_420.jpg", 3, JPEG_TOL_MAX_Q95_420, JPEG_TOL_MEAN_Q95_420},
        {"jpg_grey.jpg", 1, JPEG_TOL_MAX_Q100, JPEG_TOL_MEAN_Q100},
        {"jpg_grey_progressive.jpg", 1, JPEG_TOL_MAX_Q100, JPEG_TOL_MEAN_Q100},
    };
    for (size_t i = 0; i < sizeof j / sizeof j[0]; i++) {
        struct gc_image img;
        gc_assert_ok(gc_image_load(&img, fixture(j[i].file), 0, 0));
        assert_int_equal(img.w, JW);
        assert_int_equal(img.h, JH);
        assert_int_equal(img.c, j[i].c);
        int maxe = 0;
        double sum = 0;
        for (int y = 0; y < JH; y++)
            for (int x = 0; x < JW; x++)
                for (int c = 0; c < img.c; c++) {
                    int e = abs(img.data[(y * JW + x) * img.c + c] - jpg_px(x, y, c));
                    maxe = e > maxe ? e : maxe;
                    sum += e;
                }
        double mean = sum / (JW * JH * img.c);
        if (maxe > j[i].tol_max || mean > j[i].tol_mean)
            fail_msg("%s: max error %d (bound %d), mean %.3f (bound %.3f)", j[i].file, maxe,
                     j[i].tol_max, mean, j[i].tol_mean);
        /* conversion of a decoded JPEG follows the same rules as PNG */
        struct gc_image conv;
        gc_assert_ok(gc_image_load(&conv, fixture(j[i].file), img.c == 1 ? 3 : 1, 0));
        for (int p = 0; p < JW * JH; p++) {
            uint8_t o[4];
            convert_px(img.data + p * img.c, img.c, o, conv.c);
            assert_memory_equal(conv.data + p * conv.c, o, (size_t)conv.c);
        }
        gc_image_free(&conv);
        gc_image_free(&img);
    }
}

static void test_pixel_limit(void **state)
{
    (void)state;
    struct gc_image img = {0};
    char png[4096], jpg[4096]; /* fixture() returns a static buffer */
    snprintf(png, sizeof png, "%s", fixture("png_rgb8_adam7.png"));
    snprintf(jpg, sizeof jpg, "%s", fixture("jpg_rgb_progressive.jpg"));
    assert_int_equal(gc_image_load(&img, png, 3, W * H - 1), GC_LIMIT);
    assert_non_null(strstr(gc_last_error(), png));
    assert_null(img.data);
    gc_assert_ok(gc_image_load(&img, png, 3, W * H));
    gc_image_free(&img);
    assert_int_equal(gc_image_load(&img, jpg, 3, JW * JH - 1), GC_LIMIT);
    assert_non_null(strstr(gc_last_error(), jpg));
    gc_assert_ok(gc_image_load(&img, jpg, 3, JW * JH));
    gc_image_free(&img);
    gc_image_free(&img);
    gc_image_free(NULL);
}

static void test_bad_corpus(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        gc_status expect;
    } bad[] = {
        {"png_bad_color_type.png", GC_FORMAT},  {"png_bad_crc.png", GC_FORMAT},
        {"png_bad_idat_crc.png", GC_FORMAT},    {"png_bad_zlib.png", GC_FORMAT},
        {"png_huge_dims.png", GC_LIMIT},        {"png_huge_width.png", GC_LIMIT},
        {"png_huge_chunk.png", GC_FORMAT},
        {"png_not_png.png", GC_FORMAT},         {"png_signature_only.png", GC_FORMAT},
        {"png_truncated.png", GC_FORMAT},       {"png_truncated_before_iend.png", GC_FORMAT},
        {"png_width_zero.png", GC_FORMAT},      {"png_zero.png", GC_FORMAT},
        {"jpg_cmyk.jpg", GC_UNSUPPORTED},       {"jpg_huge_dims.jpg", GC_LIMIT},
        {"jpg_progressive_truncated.jpg", GC_FORMAT}, {"jpg_soi_only.jpg", GC_FORMAT},
        {"jpg_truncated_header.jpg", GC_FORMAT}, {"jpg_truncated_scan.jpg", GC_FORMAT},
        {"jpg_zero.jpg", GC_FORMAT},
    };
    const size_t nbad = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < nbad; i++) {
        char name[256];
        snprintf(name, sizeof name, "bad/%s", bad[i].file);
        const char *path = fixture(name);
        for (int want = 0; want <= 3; want += 3) {
            struct gc_image img = {0};
            gc_status s = gc_image_load(&img, path, want, 0);
            if (s != bad[i].expect)
                fail_msg("%s: got %s (%s), expected %s", bad[i].file, gc_status_name(s),
                         gc_last_error(), gc_status_name(bad[i].expect));
            if (!strstr(gc_last_error(), path)) fail_msg("message does not name the file: %s", gc_last_error());
            assert_null(img.data);
        }
        size_t len;
        unsigned char *buf = slurp(path, &len);
        struct gc_image img = {0};
        gc_status s = gc_image_decode(&img, buf, len, path, 3, 0);
        free(buf);
        if (s != bad[i].expect)
            fail_msg("%s (memory): got %s (%s)", bad[i].file, gc_status_name(s), gc_last_error());
        if (!strstr(gc_last_error(), path)) fail_msg("message does not name the file: %s", gc_last_error());
    }
    DIR *d = opendir(fixture("bad"));
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "png_", 4) != 0 && strncmp(e->d_name, "jpg_", 4) != 0) continue;
        size_t i = 0;
        while (i < nbad && strcmp(bad[i].file, e->d_name) != 0) i++;
        if (i == nbad) fail_msg("bad/%s is not covered by test_bad_corpus", e->d_name);
    }
    closedir(d);
}

/* Every prefix of a valid PNG and JPEG is refused cleanly (libpng's and
 * libjpeg's longjmp paths, nothing leaked). */
static void test_every_truncation(void **state)
{
    (void)state;
    static const char *const files[] = {"png_pal8_trns_adam7.png", "png_rgba16.png",
                                        "jpg_rgb_progressive.jpg", "jpg_rgb_420.jpg"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        unsigned char *buf = slurp(fixture(files[f]), &len);
        for (size_t n = 0; n < len; n++) {
            struct gc_image img = {0};
            gc_status s = gc_image_decode(&img, buf, n, files[f], 0, 0);
            /* JPEG ends in a 2-byte EOI marker libjpeg may not need */
            if (s == GC_OK && n + 2 >= len && files[f][0] == 'j') {
                gc_image_free(&img);
                continue;
            }
            if (s == GC_OK) fail_msg("%s: a %zu-byte prefix of %zu was accepted", files[f], n, len);
            assert_null(img.data);
        }
        free(buf);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct gc_image img = {0};
    assert_int_equal(gc_image_decode(&img, "x", 1, "a", 5, 0), GC_INVALID_ARG);
    assert_int_equal(gc_image_decode(&img, "x", 1, "a", -1, 0), GC_INVALID_ARG);
    assert_int_equal(gc_image_decode(&img, NULL, 0, NULL, 3, 0), GC_FORMAT);
    assert_non_null(strstr(gc_last_error(), "<memory>"));
    assert_int_equal(gc_image_load(&img, "/nonexistent/x.png", 3, 0), GC_NOT_FOUND);
    assert_non_null(strstr(gc_last_error(), "/nonexistent/x.png"));
    assert_null(img.data);
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char path[256];
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/gancl-img-XXXXXX");
        if (!mkdtemp(tmpdir)) fail_msg("mkdtemp failed");
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void test_write_png_round_trip(void **state)
{
    (void)state;
    const char *path = tmp_path("w.png");
    for (int c = 1; c <= 4; c++) {
        struct gc_image img = {.w = 7, .h = 5, .c = c};
        img.data = gc_malloc(7 * 5 * (size_t)c);
        assert_non_null(img.data);
        for (int i = 0; i < 7 * 5 * c; i++) img.data[i] = (uint8_t)(i * 29 + c);
        gc_assert_ok(gc_image_write_png(path, &img));
        struct gc_image back;
        gc_assert_ok(gc_image_load(&back, path, 0, 0));
        assert_int_equal(back.w, 7);
        assert_int_equal(back.h, 5);
        assert_int_equal(back.c, c);
        assert_memory_equal(back.data, img.data, 7 * 5 * (size_t)c);
        gc_image_free(&back);
        gc_image_free(&img);
    }
    /* only the final file remains: the temp file was renamed */
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') files++;
    closedir(d);
    assert_int_equal(files, 1);
    unlink(path);
    struct gc_image img = {.w = 1, .h = 1, .c = 1, .data = (uint8_t[]){7}};
    assert_int_equal(gc_image_write_png("/nonexistent/x.png", &img), GC_IO);
    assert_non_null(strstr(gc_last_error(), "/nonexistent/x.png"));
    img.c = 5;
    assert_int_equal(gc_image_write_png(path, &img), GC_INVALID_ARG);
}

/* torchvision: make_grid(x, nrow=2, padding=2, normalize=True,
 * value_range=(-1, 1)) then save_image's mul(255).add(0.5).clamp(0, 255). */
static void test_make_grid(void **state)
{
    (void)state;
    enum { N = 5, C = 3, HH = 4, WW = 3 };
    float x[N * C * HH * WW];
    for (int i = 0; i < N * C * HH * WW; i++) x[i] = (float)(i % 9) / 4.0f - 1.0f; /* -1..1 */
    x[0] = -3.0f;    /* clamped to -1 -> 0 */
    x[1] = 7.0f;     /* clamped to 1 -> 255 */
    x[2] = NAN;      /* -> 0 */
    x[3] = 0.0f;     /* 0.5 * 255 + 0.5 = 128 */
    struct gc_image g;
    gc_assert_ok(gc_image_make_grid(&g, x, N, C, HH, WW, 2, 2));
    /* xmaps = 2, ymaps = 3: width 2 * (3 + 2) + 2 = 12, height 3 * (4 + 2) + 2 = 20 */
    assert_int_equal(g.w, 12);
    assert_int_equal(g.h, 20);
    assert_int_equal(g.c, 3);
    for (int y = 0; y < g.h; y++)
        for (int xx = 0; xx < g.w; xx++)
            for (int c = 0; c < 3; c++) {
                int k = (y / 6) * 2 + xx / 5, iy = y % 6 - 2, ix = xx % 5 - 2;
                int inside = k < N && iy >= 0 && ix >= 0;
                int expect = 0;
                if (inside) {
                    float v = x[((k * C + c) * HH + iy) * WW + ix];
                    v = isnan(v) ? -1.0f : v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
                    expect = (int)((v + 1.0f) / 2.0f * 255.0f + 0.5f);
                }
                int got = g.data[(y * g.w + xx) * 3 + c];
                if (got != expect)
                    fail_msg("grid (x %d, y %d, c %d): %d, expected %d", xx, y, c, got, expect);
            }
    /* x[0..3] sit at (x 2, y 2), (3, 2), (4, 2), (2, 3) in channel 0 */
    assert_int_equal(g.data[(2 * 12 + 2) * 3], 0);
    assert_int_equal(g.data[(2 * 12 + 3) * 3], 255);
    assert_int_equal(g.data[(2 * 12 + 4) * 3], 0);
    assert_int_equal(g.data[(3 * 12 + 2) * 3], 128);
    gc_image_free(&g);

    /* nrow larger than n: one row; grey stays one channel */
    gc_assert_ok(gc_image_make_grid(&g, x, 2, 1, HH, WW, 8, 0));
    assert_int_equal(g.w, 6);
    assert_int_equal(g.h, 4);
    assert_int_equal(g.c, 1);
    gc_image_free(&g);
    assert_int_equal(gc_image_make_grid(&g, x, 2, 2, HH, WW, 8, 0), GC_INVALID_ARG);

    const char *path = tmp_path("grid.png");
    gc_assert_ok(gc_image_save_grid(path, x, N, C, HH, WW, 2, 2));
    struct gc_image back, again;
    gc_assert_ok(gc_image_load(&back, path, 0, 0));
    gc_assert_ok(gc_image_make_grid(&again, x, N, C, HH, WW, 2, 2));
    assert_int_equal(back.w * back.h * back.c, again.w * again.h * again.c);
    assert_memory_equal(back.data, again.data, (size_t)(back.w * back.h * back.c));
    gc_image_free(&back);
    gc_image_free(&again);
    unlink(path);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_png_every_format),     T(test_jpeg_flavours),     T(test_pixel_limit),
        T(test_bad_corpus),           T(test_every_truncation),  T(test_bad_arguments),
        T(test_write_png_round_trip), T(test_make_grid),
    };
    int rc = cmocka_run_group_tests_name("image", tests, NULL, NULL);
    if (tmpdir[0]) rmdir(tmpdir);
    return rc;
}
