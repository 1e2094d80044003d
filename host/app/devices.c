/* SPDX-License-Identifier: MIT */
/* `gan-cl devices`: the device table (or JSON), and a --device dry run. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "cl/cache.h"
#include "gancl/alloc.h"
#include "gancl/device.h"
#include "gancl/tune.h"

static bool has_tuning_record(const struct gc_device_info *d)
{
    char root[2048], key[512], path[3072];
    if (gc_cache_root(root, sizeof root) != GC_OK) return false;
    gc_device_key(d, key, sizeof key);
    snprintf(path, sizeof path, "%s/tuning/%s.json", root, key);
    struct stat st;
    return stat(path, &st) == 0;
}

/* "no", or "12 GEMM + 40 kernel" shapes of the device's record. */
static const char *tuned_str(const struct gc_device_info *d, char *buf, size_t size)
{
    int g = 0, k = 0;
    if (!has_tuning_record(d)) return "no";
    if (gc_tune_record_counts(d, &g, &k) != GC_OK) {
        gc_clear_error();
        return "unreadable";
    }
    snprintf(buf, size, "%d GEMM + %d kernel", g, k);
    return buf;
}

static void print_table(const struct gc_device_info *devs, int n, int only)
{
    printf("%-3s %-5s %-4s %-40s %-28s %4s %6s %9s %9s %-8s %s\n", "#", "P:D", "type", "name",
           "platform", "CUs", "MHz", "mem GiB", "alloc GiB", "OpenCL C", "tuned");
    for (int i = 0; i < n; i++) {
        if (only >= 0 && i != only) continue;
        const struct gc_device_info *d = &devs[i];
        char pd[16], tuned[64];
        snprintf(pd, sizeof pd, "%d:%d", d->platform_index, d->device_index);
        printf("%-3d %-5s %-4s %-40.40s %-28.28s %4u %6u %9.1f %9.1f %-8.8s %s\n", i, pd,
               gc_device_type_name(d->type), d->name, d->platform_name, d->compute_units,
               d->clock_mhz, (double)d->global_mem / (1u << 30), (double)d->max_alloc / (1u << 30),
               d->opencl_c_version + (strncmp(d->opencl_c_version, "OpenCL C ", 9) ? 0 : 9),
               tuned_str(d, tuned, sizeof tuned));
    }
}

static cJSON *device_json(const struct gc_device_info *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", d->index);
    cJSON_AddNumberToObject(o, "platform_index", d->platform_index);
    cJSON_AddNumberToObject(o, "device_index", d->device_index);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddStringToObject(o, "type", gc_device_type_name(d->type));
    cJSON_AddStringToObject(o, "vendor", d->vendor);
    cJSON_AddNumberToObject(o, "vendor_id", d->vendor_id);
    cJSON_AddStringToObject(o, "platform", d->platform_name);
    cJSON_AddStringToObject(o, "platform_version", d->platform_version);
    cJSON_AddStringToObject(o, "driver_version", d->driver_version);
    cJSON_AddStringToObject(o, "device_version", d->device_version);
    cJSON_AddStringToObject(o, "opencl_c_version", d->opencl_c_version);
    cJSON_AddNumberToObject(o, "compute_units", d->compute_units);
    cJSON_AddNumberToObject(o, "clock_mhz", d->clock_mhz);
    cJSON_AddNumberToObject(o, "global_mem_bytes", (double)d->global_mem);
    cJSON_AddNumberToObject(o, "local_mem_bytes", (double)d->local_mem);
    cJSON_AddNumberToObject(o, "max_alloc_bytes", (double)d->max_alloc);
    cJSON_AddNumberToObject(o, "max_work_group_size", (double)d->max_work_group);
    cJSON_AddBoolToObject(o, "fp64", d->fp64);
    cJSON_AddBoolToObject(o, "profiling", d->profiling);
    cJSON_AddBoolToObject(o, "tuned", has_tuning_record(d));
    int g = 0, k = 0;
    if (has_tuning_record(d) && gc_tune_record_counts(d, &g, &k) != GC_OK) gc_clear_error();
    cJSON_AddNumberToObject(o, "tuned_gemm_shapes", g);
    cJSON_AddNumberToObject(o, "tuned_kernel_shapes", k);
    return o;
}

static int print_json(const struct gc_device_info *devs, int n, int only)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        if (only < 0 || i == only) cJSON_AddItemToArray(arr, device_json(&devs[i]));
    char *text = cJSON_Print(arr);
    cJSON_Delete(arr);
    if (!text) return GC_EXIT_FAIL;
    printf("%s\n", text);
    cJSON_free(text);
    return GC_EXIT_OK;
}

static void devices_help(void)
{
    printf("usage: gan-cl devices [--device SEL] [--json]\n\n"
           "Lists every OpenCL device. With --device, shows the device the selector picks\n"
           "(exit status 2 if none).\n\n"
           "  --device SEL  intel|amd|nvidia|apple|arm|qualcomm|cpu|gpu|pocl|rusticl, P:D, N,\n"
           "                or a substring of the device name (default: the best GPU, else CPU)\n"
           "  --json        machine-readable output\n");
}

int gc_cmd_devices(int argc, char **argv)
{
    static const struct option opts[] = {{"device", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *sel = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') sel = optarg;
        else if (c == 'j') json = true;
        else if (c == 'h') {
            devices_help();
            return GC_EXIT_OK;
        } else return GC_EXIT_USAGE;
    }
    struct gc_device_info *devs = NULL;
    int n = 0, only = -1;
    gc_status s = gc_device_list(&devs, &n);
    if (s != GC_OK) return gc_app_fail(s);
    char note[1024] = "";
    if (sel) s = gc_device_select(devs, n, sel, &only, note, sizeof note);
    int rc = GC_EXIT_OK;
    if (s != GC_OK) rc = gc_app_fail(s);
    else if (json) rc = print_json(devs, n, only);
    else if (n == 0) printf("no OpenCL devices found\n");
    else print_table(devs, n, only);
    if (s == GC_OK && *note) fprintf(stderr, "gan-cl: %s\n", note);
    gc_free(devs);
    return rc;
}
