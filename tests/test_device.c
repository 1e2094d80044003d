/* SPDX-License-Identifier: MIT */
/* Device layer: the --device selector on synthetic tables and on the real
 * devices, kernel build failures with their log, and the on-disk program
 * cache (hits, corrupt entries). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl/cache.h"
#include "cl/clrt.h"
#include "gancl/alloc.h"
#include "harness.h"

static struct gc_device_info mk(int p, int d, const char *plat, const char *name,
                                const char *vendor, uint32_t vid, enum gc_device_type t, int cu,
                                int mhz)
{
    struct gc_device_info i;
    memset(&i, 0, sizeof i);
    i.platform_index = p;
    i.device_index = d;
    snprintf(i.platform_name, sizeof i.platform_name, "%s", plat);
    snprintf(i.name, sizeof i.name, "%s", name);
    snprintf(i.vendor, sizeof i.vendor, "%s", vendor);
    i.vendor_id = vid;
    i.type = t;
    i.compute_units = (uint32_t)cu;
    i.clock_mhz = (uint32_t)mhz;
    return i;
}

static int pick(const struct gc_device_info *devs, int n, const char *sel, char *note)
{
    int idx = -1;
    gc_status s = gc_device_select(devs, n, sel, &idx, note, note ? 512 : 0);
    return s == GC_OK ? idx : -1;
}

static void test_select_nvidia_amd(void **state)
{
    (void)state;
    struct gc_device_info t[] = {
        mk(0, 0, "NVIDIA CUDA", "NVIDIA GeForce RTX 3060", "NVIDIA Corporation",
           GC_VENDOR_NVIDIA, GC_DEVICE_GPU, 28, 1777),
        mk(1, 0, "AMD Accelerated Parallel Processing", "gfx1030", "Advanced Micro Devices, Inc.",
           GC_VENDOR_AMD, GC_DEVICE_GPU, 40, 2500),
    };
    for (int i = 0; i < 2; i++) t[i].index = i;
    assert_int_equal(pick(t, 2, "nvidia", NULL), 0);
    assert_int_equal(pick(t, 2, "amd", NULL), 1);
    assert_int_equal(pick(t, 2, "NVIDIA", NULL), 0);
    assert_int_equal(pick(t, 2, NULL, NULL), 1); /* 40 CUs x 2500 > 28 x 1777 */
    assert_int_equal(pick(t, 2, "gpu", NULL), 1);
    assert_int_equal(pick(t, 2, "1:0", NULL), 1);
    assert_int_equal(pick(t, 2, "0", NULL), 0);
    assert_int_equal(pick(t, 2, "rtx", NULL), 0);
    assert_int_equal(pick(t, 2, "intel", NULL), -1);
    assert_int_equal(pick(t, 2, "cpu", NULL), -1);
    assert_int_equal(pick(t, 2, "7", NULL), -1);
    assert_int_equal(pick(t, 2, "2:0", NULL), -1);
}

static void test_select_intel_gpu_and_pocl_cpu(void **state)
{
    (void)state;
    struct gc_device_info t[] = {
        mk(0, 0, "Portable Computing Language", "pthread-skylake-avx512-Intel Xeon", "GenuineIntel",
           GC_VENDOR_INTEL, GC_DEVICE_CPU, 16, 3000),
        mk(1, 0, "Intel(R) OpenCL Graphics", "Intel(R) UHD Graphics 770", "Intel(R) Corporation",
           GC_VENDOR_INTEL, GC_DEVICE_GPU, 32, 1450),
    };
    char note[512];
    assert_int_equal(pick(t, 2, "intel", note), 1); /* GPU preferred over the CPU */
    assert_string_equal(note, "");
    assert_int_equal(pick(t, 2, "pocl", NULL), 0);
    assert_int_equal(pick(t, 2, "cpu", NULL), 0);
    assert_int_equal(pick(t, 1, "intel", note), 0); /* only the CPU: fall back, say so */
    assert_non_null(strstr(note, "no intel GPU"));
    assert_non_null(strstr(note, "Xeon"));
}

static void test_select_pocl_on_amd_cpu_and_software_gpu(void **state)
{
    (void)state;
    /* What this project's CI machine reports: PoCL on an AMD EPYC with Intel's
     * vendor id, and rusticl's llvmpipe. */
    struct gc_device_info t[] = {
        mk(1, 0, "rusticl", "llvmpipe (LLVM 15.0.6, 256 bits)", "Mesa/X.org", 0, GC_DEVICE_GPU, 8,
           300),
        mk(0, 0, "Portable Computing Language", "pthread-skylake-avx512-AMD EPYC", "AuthenticAMD",
           GC_VENDOR_INTEL, GC_DEVICE_CPU, 2, 2596),
    };
    assert_int_equal(pick(t, 2, NULL, NULL), 1); /* a software GPU is never the default */
    assert_int_equal(pick(t, 2, "amd", NULL), 1);
    assert_int_equal(pick(t, 2, "intel", NULL), 1);
    assert_int_equal(pick(t, 2, "rusticl", NULL), 0);
    assert_int_equal(pick(t, 2, "LLVMPIPE", NULL), 0);
}

static void test_select_same_name_two_platforms(void **state)
{
    (void)state;
    struct gc_device_info t[] = {
        mk(0, 0, "Portable Computing Language", "gfx90a", "AMD", GC_VENDOR_AMD, GC_DEVICE_GPU, 104,
           1700),
        mk(1, 0, "AMD Accelerated Parallel Processing", "gfx90a", "AMD", GC_VENDOR_AMD,
           GC_DEVICE_GPU, 104, 1700),
    };
    assert_int_equal(pick(t, 2, "gfx90a", NULL), 0); /* first in list order */
    assert_int_equal(pick(t, 2, "1:0", NULL), 1);    /* P:D disambiguates */
    assert_int_equal(pick(t, 2, "1", NULL), 1);
}

static void test_select_no_devices(void **state)
{
    (void)state;
    int idx = -1;
    assert_int_equal(gc_device_select(NULL, 0, NULL, &idx, NULL, 0), GC_NO_DEVICE);
    assert_non_null(strstr(gc_last_error(), "no OpenCL devices are present"));
    assert_int_equal(gc_device_select(NULL, 0, "nvidia", &idx, NULL, 0), GC_NO_DEVICE);
}

static void test_no_match_lists_present_devices(void **state)
{
    (void)state;
    struct gc_device_info *devs = NULL;
    int n = 0, idx;
    gc_assert_ok(gc_device_list(&devs, &n));
    assert_true(n >= 1);
    assert_int_equal(gc_device_select(devs, n, "no-such-device-xyz", &idx, NULL, 0), GC_NO_DEVICE);
    assert_non_null(strstr(gc_last_error(), devs[0].name));
    gc_free(devs);
}

/* The devices the tests must find: GANCL_TEST_DEVICES when set (a GPU
 * machine has neither PoCL nor rusticl), else both CPU implementations CI
 * installs. */
static void test_real_devices_present(void **state)
{
    (void)state;
    struct gc_device_info *devs = NULL;
    int n = 0, idx;
    gc_assert_ok(gc_device_list(&devs, &n));
    const char *only = getenv("GANCL_TEST_DEVICES");
    if (only && *only) {
        char *copy = strdup(only), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            gc_assert_ok(gc_device_select(devs, n, t, &idx, NULL, 0));
        free(copy);
        gc_free(devs);
        return;
    }
    /* CI installs both implementations; a missing one is a failure. */
    gc_assert_ok(gc_device_select(devs, n, "pocl", &idx, NULL, 0));
    assert_int_equal(devs[idx].type, GC_DEVICE_CPU);
    assert_true(devs[idx].compute_units >= 1 && devs[idx].max_alloc > 0);
    gc_assert_ok(gc_device_select(devs, n, "rusticl", &idx, NULL, 0));
    assert_non_null(strstr(devs[idx].name, "llvmpipe"));
    gc_free(devs);
}

/* Runs fill_f32 on every test device and reads the values back. */
static void test_fill_kernel_runs(void **state)
{
    (void)state;
    struct gc_device **devs;
    int n = gc_test_devices(&devs);
    for (int d = 0; d < n; d++) {
        cl_kernel k;
        gc_assert_ok(gc__kernel_get(devs[d], "tensor", "", "fill_f32", &k));
        cl_mem m;
        gc_assert_ok(gc__buffer_create(devs[d], 13 * sizeof(float), &m));
        cl_ulong off = 3, cnt = 9;
        float v = 2.5f, out[13] = {0}, zero[13] = {0};
        clEnqueueWriteBuffer(devs[d]->queue, m, CL_TRUE, 0, sizeof zero, zero, 0, NULL, NULL);
        clSetKernelArg(k, 0, sizeof m, &m);
        clSetKernelArg(k, 1, sizeof off, &off);
        clSetKernelArg(k, 2, sizeof v, &v);
        clSetKernelArg(k, 3, sizeof cnt, &cnt);
        size_t g = 16;
        assert_int_equal(clEnqueueNDRangeKernel(devs[d]->queue, k, 1, NULL, &g, NULL, 0, NULL,
                                                NULL),
                         CL_SUCCESS);
        clEnqueueReadBuffer(devs[d]->queue, m, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL);
        for (int i = 0; i < 13; i++)
            assert_float_equal(out[i], i >= 3 && i < 12 ? 2.5f : 0.0f, 0.0f);
        gc__buffer_release(m);
    }
}

static const char *bad_source = "__kernel void broken(__global float *y)\n"
                                "{\n"
                                "    y[0] = 1.0f +* ;\n"
                                "}\n";

static void test_build_failure_has_log(void **state)
{
    (void)state;
    struct gc_device **devs;
    int n = gc_test_devices(&devs);
    for (int d = 0; d < n; d++) {
        cl_program p;
        gc_status s = gc__program_get_source(devs[d], "broken.cl", bad_source, "", &p);
        assert_int_equal(s, GC_CL_BUILD);
        const char *msg = gc_last_error();
        assert_non_null(strstr(msg, "broken.cl"));
        assert_non_null(strstr(msg, devs[d]->info.name));
        /* The log names line 3, where the error is (compilers differ in format). */
        assert_true(strstr(msg, ":3:") != NULL || strstr(msg, "line 3") != NULL);
    }
}

static void test_missing_options_fail_loudly(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    cl_program p;
    const char *src = "#ifndef TILE\n#error TILE must be given as a -D build option\n#endif\n"
                      "__kernel void k(__global float *y) { y[0] = TILE; }\n";
    assert_int_equal(gc__program_get_source(devs[0], "tiles.cl", src, "", &p), GC_CL_BUILD);
    assert_non_null(strstr(gc_last_error(), "TILE must be given"));
    gc_assert_ok(gc__program_get_source(devs[0], "tiles.cl", src, "-DTILE=4", &p));
}

static char cache_dir[256];

/* A fresh device object each call (a new process would see the same): the
 * first of GANCL_TEST_DEVICES, else PoCL. */
static struct gc_device *open_pocl(void)
{
    char sel[128] = "pocl";
    const char *only = getenv("GANCL_TEST_DEVICES");
    if (only && *only) sscanf(only, "%127[^,]", sel);
    struct gc_device *dev = NULL;
    gc_assert_ok(gc_device_open(sel, NULL, &dev, NULL, 0));
    return dev;
}

static const char *cached_source = "__kernel void twice(__global float *y) { y[0] *= 2.0f; }\n";

static void corrupt_cache_files(void)
{
    char cmd[512];
    /* Flip bytes in the middle of every cached binary. */
    snprintf(cmd, sizeof cmd,
             "for f in %s/gan-cl/programs/*.bin; do printf 'XXXXXXXX' | dd of=\"$f\" bs=1 "
             "seek=200 conv=notrunc status=none; done",
             cache_dir);
    assert_int_equal(system(cmd), 0);
}

static void test_disk_cache_hit_and_corruption(void **state)
{
    (void)state;
    snprintf(cache_dir, sizeof cache_dir, "/tmp/gancl-cache-test-%ld", (long)getpid());
    setenv("XDG_CACHE_HOME", cache_dir, 1);
    unsetenv("GANCL_NO_CACHE");
    struct gc_program_stats st;
    cl_program p;

    struct gc_device *a = open_pocl();
    gc_assert_ok(gc__program_get_source(a, "twice.cl", cached_source, "-DX=1", &p));
    gc_assert_ok(gc__program_get_source(a, "twice.cl", cached_source, "-DX=1", &p));
    gc_device_program_stats(a, &st);
    assert_int_equal(st.builds, 1);
    assert_int_equal(st.memory_hits, 1);
    assert_int_equal(st.disk_writes, 1);
    gc_device_destroy(a);

    struct gc_device *b = open_pocl(); /* a new process would see the same */
    gc_assert_ok(gc__program_get_source(b, "twice.cl", cached_source, "-DX=1", &p));
    gc_device_program_stats(b, &st);
    assert_int_equal(st.disk_hits, 1);
    assert_int_equal(st.builds, 0);
    gc_device_destroy(b);

    corrupt_cache_files();
    struct gc_device *c = open_pocl();
    gc_assert_ok(gc__program_get_source(c, "twice.cl", cached_source, "-DX=1", &p));
    gc_device_program_stats(c, &st);
    assert_int_equal(st.disk_stale, 1);
    assert_int_equal(st.builds, 1);
    assert_int_equal(st.disk_writes, 1); /* rewritten */
    gc_device_destroy(c);

    struct gc_cache_usage u;
    gc_assert_ok(gc_cache_usage(&u));
    assert_int_equal(u.files, 1);
    int64_t removed;
    gc_assert_ok(gc_cache_clear(&removed));
    assert_int_equal(removed, 1);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_nvidia_amd),
        cmocka_unit_test(test_select_intel_gpu_and_pocl_cpu),
        cmocka_unit_test(test_select_pocl_on_amd_cpu_and_software_gpu),
        cmocka_unit_test(test_select_same_name_two_platforms),
        cmocka_unit_test(test_select_no_devices),
        cmocka_unit_test(test_no_match_lists_present_devices),
        cmocka_unit_test(test_real_devices_present),
        cmocka_unit_test(test_fill_kernel_runs),
        cmocka_unit_test(test_build_failure_has_log),
        cmocka_unit_test(test_missing_options_fail_loudly),
        cmocka_unit_test(test_disk_cache_hit_and_corruption),
    };
    setenv("RUSTICL_ENABLE", "llvmpipe", 0);
    return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
