/* SPDX-License-Identifier: MIT */
/* Implementation of the shared test helpers (see harness.h). */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"

void gc_assert_tensor_close_shape(const float *actual, const float *expect, const int64_t *shape,
                                  int ndim, double atol, double rtol, const char *label)
{
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    int64_t first_bad = -1, nbad = 0;
    double max_abs = 0, max_rel = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = actual[i], e = expect[i], err = fabs(a - e);
        bool bad = !(err <= atol + rtol * fabs(e)); /* NaN counts as bad */
        if (err > max_abs || isnan(err)) max_abs = isnan(err) ? INFINITY : err;
        if (fabs(e) > 0 && err / fabs(e) > max_rel) max_rel = err / fabs(e);
        if (bad) {
            if (first_bad < 0) first_bad = i;
            nbad++;
        }
    }
    if (first_bad < 0) return;
    char idx[128] = "";
    int64_t rem = first_bad, coord[4] = {0};
    for (int d = ndim - 1; d >= 0; d--) {
        coord[d] = rem % shape[d];
        rem /= shape[d];
    }
    int off = snprintf(idx, sizeof idx, "(");
    for (int d = 0; d < ndim; d++)
        off += snprintf(idx + off, sizeof idx - (size_t)off, "%s%lld", d ? "," : "",
                        (long long)coord[d]);
    snprintf(idx + off, sizeof idx - (size_t)off, ")");
    fail_msg("%s: %lld of %lld elements differ; first at %s flat %lld: got %.9g expected %.9g; "
             "max abs err %.3g, max rel err %.3g (atol %.3g, rtol %.3g)",
             label, (long long)nbad, (long long)n, idx, (long long)first_bad,
             (double)actual[first_bad], (double)expect[first_bad], max_abs, max_rel, atol, rtol);
}

static struct gc_device **test_devs;
static int n_test_devs;

static void close_test_devices(void)
{
    for (int i = 0; i < n_test_devs; i++) gc_device_destroy(test_devs[i]);
    free(test_devs);
}

static void open_selected(const char *sel)
{
    struct gc_device *dev = NULL;
    gc_status s = gc_device_open(sel, NULL, &dev, NULL, 0);
    if (s != GC_OK) fail_msg("cannot open test device '%s': %s", sel, gc_last_error());
    test_devs = realloc(test_devs, sizeof *test_devs * (size_t)(n_test_devs + 1));
    test_devs[n_test_devs++] = dev;
}

int gc_test_devices(struct gc_device ***devs)
{
    if (!test_devs) {
        setenv("RUSTICL_ENABLE", "llvmpipe", 0); /* as gan-cl's main does */
        const char *env = getenv("GANCL_TEST_DEVICES");
        if (env && *env) {
            char *copy = strdup(env), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                open_selected(t);
            free(copy);
        } else {
            struct gc_device_info *info = NULL;
            int n = 0;
            gc_assert_ok(gc_device_list(&info, &n));
            for (int i = 0; i < n; i++) {
                char sel[32];
                snprintf(sel, sizeof sel, "%d:%d", info[i].platform_index, info[i].device_index);
                open_selected(sel);
            }
            gc_free(info);
        }
        if (n_test_devs == 0) fail_msg("no OpenCL device found: device tests cannot run");
        atexit(close_test_devices);
    }
    *devs = test_devs;
    return n_test_devs;
}

static void *t_malloc(size_t n)
{
    return test_malloc(n);
}
static void *t_calloc(size_t n, size_t s)
{
    return test_calloc(n, s);
}
static void *t_realloc(void *p, size_t n)
{
    return test_realloc(p, n);
}
static void t_free(void *p)
{
    test_free(p);
}

void gc_test_use_cmocka_alloc(void)
{
    static const struct gc_alloc_hooks h = {t_malloc, t_calloc, t_realloc, t_free};
    gc_alloc_set_hooks(&h);
}

void gc_test_use_libc_alloc(void)
{
    gc_alloc_set_hooks(NULL);
}

void gc_test_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = lo + (hi - lo) * (float)((s >> 40) * (1.0 / 16777216.0));
    }
}

struct fx_tensor {
    char name[64];
    int ndim;
    int64_t shape[8];
    float *data;
};

struct gc_fixture {
    int n;
    struct fx_tensor t[64];
};

static void fx_read_tensor(FILE *f, struct fx_tensor *t, const char *path)
{
    if (fscanf(f, "%63s %d", t->name, &t->ndim) != 2 || t->ndim < 0 || t->ndim > 8)
        fail_msg("%s: bad tensor line", path);
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) {
        long long v;
        if (fscanf(f, "%lld", &v) != 1 || v < 0) fail_msg("%s: bad shape of %s", path, t->name);
        t->shape[d] = v;
        n *= v;
    }
    t->data = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++)
        if (fscanf(f, "%f", &t->data[i]) != 1)
            fail_msg("%s: %s truncated at %lld", path, t->name, (long long)i);
}

struct gc_fixture *gc_fixture_load(const char *name)
{
    const char *dir = getenv("GANCL_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open fixture %s", path);
    char line[1024];
    if (!fgets(line, sizeof line, f) || strncmp(line, "GCFIX 1", 7) != 0)
        fail_msg("%s: not a version-1 fixture", path);
    struct gc_fixture *fx = calloc(1, sizeof *fx);
    char word[32];
    while (fscanf(f, "%31s", word) == 1) {
        if (word[0] == '#') {
            if (!fgets(line, sizeof line, f)) break;
            continue;
        }
        if (strcmp(word, "tensor") != 0) fail_msg("%s: unexpected '%s'", path, word);
        if (fx->n == 64) fail_msg("%s: too many tensors", path);
        fx_read_tensor(f, &fx->t[fx->n++], path);
    }
    fclose(f);
    return fx;
}

static const struct fx_tensor *fx_find(const struct gc_fixture *fx, const char *tensor)
{
    for (int i = 0; i < fx->n; i++)
        if (strcmp(fx->t[i].name, tensor) == 0) return &fx->t[i];
    fail_msg("fixture has no tensor '%s'", tensor);
    return NULL;
}

const float *gc_fixture_get(const struct gc_fixture *fx, const char *tensor, int64_t *shape,
                            int *ndim)
{
    const struct fx_tensor *t = fx_find(fx, tensor);
    if (ndim) *ndim = t->ndim;
    if (shape)
        for (int d = 0; d < t->ndim; d++) shape[d] = t->shape[d];
    return t->data;
}

int64_t gc_fixture_numel(const struct gc_fixture *fx, const char *tensor)
{
    const struct fx_tensor *t = fx_find(fx, tensor);
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

void gc_fixture_free(struct gc_fixture *fx)
{
    if (!fx) return;
    for (int i = 0; i < fx->n; i++) free(fx->t[i].data);
    free(fx);
}
