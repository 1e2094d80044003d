/* SPDX-License-Identifier: MIT */
/* The loader: batches identical for 1 and 3 threads (and equal to direct
 * gc_dataset_get calls in the documented order), restart at a saved
 * (epoch, pos), Fashion-MNIST in the training loop's historical order, an
 * unreadable file reported to the consumer with its name, and shutdown at
 * any point without leaks (cmocka's checker behind a mutex, since the
 * workers allocate concurrently). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gancl/alloc.h"
#include "gancl/dataset.h"
#include "gancl/idx.h"
#include "gancl/image.h"
#include "gancl/loader.h"
#include "harness.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char tmpdir[256];

static void *l_malloc(size_t n)
{
    pthread_mutex_lock(&mu);
    void *p = test_malloc(n);
    pthread_mutex_unlock(&mu);
    return p;
}

static void *l_calloc(size_t n, size_t s)
{
    pthread_mutex_lock(&mu);
    void *p = test_calloc(n, s);
    pthread_mutex_unlock(&mu);
    return p;
}

static void *l_realloc(void *q, size_t n)
{
    pthread_mutex_lock(&mu);
    void *p = test_realloc(q, n);
    pthread_mutex_unlock(&mu);
    return p;
}

static void l_free(void *p)
{
    pthread_mutex_lock(&mu);
    test_free(p);
    pthread_mutex_unlock(&mu);
}

static int setup(void **state)
{
    (void)state;
    static const struct gc_alloc_hooks h = {l_malloc, l_calloc, l_realloc, l_free};
    gc_alloc_set_hooks(&h);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gc_alloc_set_hooks(NULL);
    return 0;
}

/* 23 RGB images of 20x17 with distinct noisy pixels; file k (sorted) seeds k.
 * `bad` >= 0 replaces image `bad` by garbage. */
static const char *make_folder(const char *name, int bad)
{
    static char dir[512];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/gc-test-loader-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    mkdir(dir, 0755);
    gc_alloc_set_hooks(NULL);
    for (int k = 0; k < 23; k++) {
        char p[700];
        snprintf(p, sizeof p, "%s/img%02d.png", dir, k);
        if (k == bad) {
            FILE *f = fopen(p, "wb");
            assert_non_null(f);
            fputs("\x89PNG\r\n\x1a\n cut short", f);
            fclose(f);
            continue;
        }
        struct gc_image img = {20, 17, 3, malloc(20 * 17 * 3)};
        uint32_t s = 2463534242u + (uint32_t)k * 7919u;
        for (int i = 0; i < 20 * 17 * 3; i++) {
            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            img.data[i] = (uint8_t)s;
        }
        gc_assert_ok(gc_image_write_png(p, &img));
        free(img.data);
    }
    setup(NULL);
    return dir;
}

static struct gc_dataset *open_folder(const char *dir)
{
    struct gc_dataset_opts o = {.spec = dir};
    gc_transform_default(&o.transform);
    o.transform.load_size = 18; /* resize 20x17 -> 18x18, crop 16, flips */
    o.transform.crop_size = 16;
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    return ds;
}

#define NB 14 /* 23 items, batch 4: 5 batches an epoch, 3 dropped; 14 spans 3 epochs */

/* Runs a loader, returns NB batches' floats, epochs and positions (malloc'd). */
static float *run(const struct gc_dataset *ds, int threads, int64_t epoch, int64_t pos, int nb,
                  int64_t *ep, int64_t *po)
{
    struct gc_loader_opts lo = {.batch = 4, .threads = threads, .seed = 42, .shuffle = true,
                                .epoch = epoch, .pos = pos};
    struct gc_loader *l;
    gc_assert_ok(gc_loader_create(&l, ds, &lo));
    size_t per = 4 * 3 * 16 * 16;
    float *all = malloc(sizeof(float) * per * (size_t)nb);
    for (int i = 0; i < nb; i++) {
        struct gc_batch b;
        gc_assert_ok(gc_loader_next(l, &b));
        assert_true(b.n == 4 && b.c == 3 && b.h == 16 && b.w == 16 && b.b == NULL);
        memcpy(all + per * (size_t)i, b.a, sizeof(float) * per);
        ep[i] = b.epoch;
        po[i] = b.pos;
    }
    struct gc_loader_stats st;
    gc_loader_stats(l, &st);
    assert_int_equal(st.batches, nb);
    gc_loader_destroy(l);
    return all;
}

static void test_threads_do_not_matter(void **state)
{
    (void)state;
    struct gc_dataset *ds = open_folder(make_folder("ok", -1));
    int64_t e1[NB], p1[NB], e3[NB], p3[NB];
    float *x1 = run(ds, 1, 0, 0, NB, e1, p1), *x3 = run(ds, 3, 0, 0, NB, e3, p3);
    size_t per = 4 * 3 * 16 * 16;
    assert_memory_equal(x1, x3, sizeof(float) * per * NB);
    assert_memory_equal(e1, e3, sizeof e1);
    assert_memory_equal(p1, p3, sizeof p1);
    /* the documented order: permutation(seed * 1000003 + epoch), batch after batch */
    int64_t order[23], ep = 0, pos = 0;
    gc_dataset_permutation(order, 23, 42u * 1000003u);
    float item[3 * 16 * 16];
    for (int i = 0; i < NB; i++) {
        if (pos + 4 > 23) {
            ep++, pos = 0;
            gc_dataset_permutation(order, 23, 42u * 1000003u + (uint64_t)ep);
        }
        for (int j = 0; j < 4; j++) {
            gc_assert_ok(gc_dataset_get(ds, order[pos + j], 42, ep, item, NULL));
            assert_memory_equal(item, x1 + per * (size_t)i + (size_t)j * 768, sizeof item);
        }
        pos += 4;
        assert_int_equal(e1[i], ep);
        assert_int_equal(p1[i], pos);
    }
    assert_int_equal(e1[NB - 1], 2);
    /* restart after batch 6 at its (epoch, pos): the rest is the same */
    int64_t er[NB], pr[NB];
    float *xr = run(ds, 2, e1[6], p1[6], NB - 7, er, pr);
    assert_memory_equal(xr, x1 + per * 7, sizeof(float) * per * (NB - 7));
    assert_memory_equal(er, e1 + 7, sizeof(int64_t) * (NB - 7));
    free(x1);
    free(x3);
    free(xr);
    gc_dataset_destroy(ds);
}

/* What host/app/train_run.c computed before the loader: the same floats. */
static void test_fashion_mnist_order(void **state)
{
    (void)state;
    struct gc_dataset_opts o = {.spec = "fashion-mnist", .phase = "test"};
    gc_transform_default(&o.transform);
    o.transform.preprocess = GC_PRE_NONE;
    o.transform.no_flip = true;
    o.transform.channels = 1;
    o.transform.pad = 2;
    struct gc_dataset *ds;
    gc_assert_ok(gc_dataset_open(&ds, &o));
    struct gc_fmnist fm;
    gc_assert_ok(gc_fmnist_load(&fm, NULL, GC_FMNIST_TEST, -1));
    struct gc_loader_opts lo = {.batch = 64, .threads = 2, .seed = 7, .shuffle = true};
    struct gc_loader *l;
    gc_assert_ok(gc_loader_create(&l, ds, &lo));
    int64_t *order = malloc(sizeof(int64_t) * 10000);
    gc_dataset_permutation(order, 10000, 7u * 1000003u);
    float ref[1024];
    for (int i = 0; i < 3; i++) {
        struct gc_batch b;
        gc_assert_ok(gc_loader_next(l, &b));
        for (int j = 0; j < 64; j++) {
            gc_fmnist_to_float(ref, &fm, order[i * 64 + j], 1, 2);
            assert_memory_equal(ref, b.a + j * 1024, sizeof ref);
        }
    }
    gc_loader_destroy(l);
    free(order);
    gc_fmnist_free(&fm);
    gc_dataset_destroy(ds);
}

static void test_error_reaches_consumer(void **state)
{
    (void)state;
    struct gc_dataset *ds = open_folder(make_folder("bad", 9));
    struct gc_loader_opts lo = {.batch = 4, .threads = 2, .seed = 1, .shuffle = false};
    struct gc_loader *l;
    gc_assert_ok(gc_loader_create(&l, ds, &lo));
    struct gc_batch b;
    gc_assert_ok(gc_loader_next(l, &b)); /* items 0-3 */
    gc_assert_ok(gc_loader_next(l, &b)); /* 4-7 */
    assert_int_equal(gc_loader_next(l, &b), GC_FORMAT); /* 8-11 holds img09.png */
    assert_non_null(strstr(gc_last_error(), "bad/img09.png"));
    assert_int_equal(gc_loader_next(l, &b), GC_FORMAT); /* and stays failed */
    assert_non_null(strstr(gc_last_error(), "img09.png"));
    gc_loader_destroy(l);
    gc_dataset_destroy(ds);
}

static void test_shutdown_anytime(void **state)
{
    (void)state;
    struct gc_dataset *ds = open_folder(make_folder("ok", -1));
    for (int taken = 0; taken < 4; taken++) {
        struct gc_loader_opts lo = {.batch = 3, .threads = 1 + taken % 3, .prefetch = 1 + taken,
                                    .seed = 5, .shuffle = true};
        struct gc_loader *l;
        gc_assert_ok(gc_loader_create(&l, ds, &lo));
        for (int i = 0; i < taken * 3; i++) {
            struct gc_batch b;
            gc_assert_ok(gc_loader_next(l, &b));
        }
        gc_loader_destroy(l); /* workers may be mid-batch or waiting */
    }
    gc_loader_destroy(NULL);
    struct gc_loader *l = NULL;
    struct gc_loader_opts lo = {.batch = 24, .threads = 1};
    assert_int_equal(gc_loader_create(&l, ds, &lo), GC_INVALID_ARG);
    assert_null(l);
    gc_dataset_destroy(ds);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_threads_do_not_matter), T(test_fashion_mnist_order), T(test_error_reaches_consumer),
        T(test_shutdown_anytime),
    };
    int rc = cmocka_run_group_tests_name("loader", tests, NULL, NULL);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) rc = rc ? rc : 1;
    }
    return rc;
}
