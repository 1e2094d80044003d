/* SPDX-License-Identifier: MIT */
/* Device enumeration, device records, opening a device (context + one
 * in-order queue) and counted buffer creation. Selection lives in select.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/clrt.h"
#include "gancl/alloc.h"

const char *gc_device_type_name(enum gc_device_type t)
{
    switch (t) {
    case GC_DEVICE_CPU:
        return "CPU";
    case GC_DEVICE_GPU:
        return "GPU";
    case GC_DEVICE_ACCELERATOR:
        return "accelerator";
    case GC_DEVICE_OTHER:
        break;
    }
    return "other";
}

static void get_str(cl_device_id d, cl_device_info what, char *out, size_t size)
{
    out[0] = '\0';
    if (clGetDeviceInfo(d, what, size, out, NULL) != CL_SUCCESS) out[0] = '\0';
    out[size - 1] = '\0';
}

static uint64_t get_u64(cl_device_id d, cl_device_info what, size_t width)
{
    cl_ulong v64 = 0;
    cl_uint v32 = 0;
    size_t vs = 0;
    if (width == sizeof(cl_ulong)) {
        return clGetDeviceInfo(d, what, sizeof v64, &v64, NULL) == CL_SUCCESS ? v64 : 0;
    }
    if (width == sizeof(size_t)) {
        return clGetDeviceInfo(d, what, sizeof vs, &vs, NULL) == CL_SUCCESS ? vs : 0;
    }
    return clGetDeviceInfo(d, what, sizeof v32, &v32, NULL) == CL_SUCCESS ? v32 : 0;
}

/* "OpenCL C 1.2 PoCL" -> 1, 2 (defaults to 1.2 when unparseable). */
static void parse_cl_c_version(const char *s, int *major, int *minor)
{
    *major = 1;
    *minor = 2;
    const char *p = strstr(s, "OpenCL C ");
    if (p && sscanf(p + 9, "%d.%d", major, minor) != 2) {
        *major = 1;
        *minor = 2;
    }
}

static void fill_info(cl_platform_id p, cl_device_id d, struct gc_device_info *info)
{
    clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof info->platform_name, info->platform_name, NULL);
    clGetPlatformInfo(p, CL_PLATFORM_VERSION, sizeof info->platform_version,
                      info->platform_version, NULL);
    info->platform_name[sizeof info->platform_name - 1] = '\0';
    info->platform_version[sizeof info->platform_version - 1] = '\0';
    get_str(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_str(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_str(d, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    get_str(d, CL_DEVICE_VERSION, info->device_version, sizeof info->device_version);
    get_str(d, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version, sizeof info->opencl_c_version);
    parse_cl_c_version(info->opencl_c_version, &info->cl_c_major, &info->cl_c_minor);
    info->vendor_id = (uint32_t)get_u64(d, CL_DEVICE_VENDOR_ID, sizeof(cl_uint));
    cl_device_type t = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    info->type = (t & CL_DEVICE_TYPE_GPU)           ? GC_DEVICE_GPU
                 : (t & CL_DEVICE_TYPE_CPU)         ? GC_DEVICE_CPU
                 : (t & CL_DEVICE_TYPE_ACCELERATOR) ? GC_DEVICE_ACCELERATOR
                                                    : GC_DEVICE_OTHER;
    info->compute_units = (uint32_t)get_u64(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cl_uint));
    info->clock_mhz = (uint32_t)get_u64(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof(cl_uint));
    info->global_mem = get_u64(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(cl_ulong));
    info->local_mem = get_u64(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof(cl_ulong));
    info->max_alloc = get_u64(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(cl_ulong));
    info->max_work_group = (size_t)get_u64(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(size_t));
    info->fp64 = get_u64(d, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof(cl_ulong)) != 0;
    cl_command_queue_properties qp = 0;
    clGetDeviceInfo(d, CL_DEVICE_QUEUE_PROPERTIES, sizeof qp, &qp, NULL);
    info->profiling = (qp & CL_QUEUE_PROFILING_ENABLE) != 0;
    info->loop_limit = strstr(info->name, "llvmpipe") ? 65535u : 0u;
}

/* Appends every device of platform p (index pi) to *list. */
static gc_status list_platform(cl_platform_id p, int pi, struct gc_device_info **list, int *n,
                               cl_device_id **ids)
{
    cl_uint nd = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0)
        return GC_OK; /* a platform without devices (e.g. Clover here) is not an error */
    cl_device_id *devs = gc_calloc(nd, sizeof *devs);
    struct gc_device_info *grown = gc_realloc(*list, sizeof **list * (size_t)(*n + (int)nd));
    cl_device_id *grown_ids = ids ? gc_realloc(*ids, sizeof **ids * (size_t)(*n + (int)nd)) : NULL;
    if (grown) *list = grown;
    if (grown_ids) *ids = grown_ids;
    if (!devs || !grown || (ids && !grown_ids)) {
        gc_free(devs);
        return gc_error(GC_NOMEM, "listing OpenCL devices: out of host memory");
    }
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, nd, devs, NULL) != CL_SUCCESS) nd = 0;
    for (cl_uint di = 0; di < nd; di++) {
        struct gc_device_info *info = &(*list)[*n];
        memset(info, 0, sizeof *info);
        fill_info(p, devs[di], info);
        info->index = *n;
        info->platform_index = pi;
        info->device_index = (int)di;
        if (ids) (*ids)[*n] = devs[di];
        (*n)++;
    }
    gc_free(devs);
    return GC_OK;
}

/* Lists devices and (optionally) their CL ids in the same order. */
static gc_status list_devices(struct gc_device_info **out, int *n, cl_device_id **ids,
                              cl_platform_id **plats)
{
    *out = NULL;
    *n = 0;
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err != CL_SUCCESS || np == 0) return GC_OK; /* no ICD / no platform: zero devices */
    cl_platform_id *ps = gc_calloc(np, sizeof *ps);
    if (!ps) return gc_error(GC_NOMEM, "listing OpenCL platforms: out of host memory");
    clGetPlatformIDs(np, ps, NULL);
    gc_status s = GC_OK;
    int before = 0;
    for (cl_uint pi = 0; pi < np && s == GC_OK; pi++) {
        s = list_platform(ps[pi], (int)pi, out, n, ids);
        if (s == GC_OK && plats && *n > before) {
            cl_platform_id *g = gc_realloc(*plats, sizeof **plats * (size_t)*n);
            if (!g) s = gc_error(GC_NOMEM, "listing OpenCL platforms: out of host memory");
            else {
                *plats = g;
                for (int i = before; i < *n; i++) g[i] = ps[pi];
            }
        }
        before = *n;
    }
    gc_free(ps);
    if (s != GC_OK) {
        gc_free(*out);
        *out = NULL;
        *n = 0;
    }
    return s;
}

gc_status gc_device_list(struct gc_device_info **out, int *n)
{
    return list_devices(out, n, NULL, NULL);
}

static gc_status create_context(struct gc_device *dev, bool profiling)
{
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform,
                                     0};
    dev->ctx = clCreateContext(props, 1, &dev->id, NULL, NULL, &err);
    if (!dev->ctx) return gc__cl_fail(dev, err, "creating an OpenCL context");
    dev->profiling = profiling && dev->info.profiling;
    cl_command_queue_properties qp = dev->profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
    dev->queue = clCreateCommandQueue(dev->ctx, dev->id, qp, &err);
    if (!dev->queue) return gc__cl_fail(dev, err, "creating a command queue");
    return GC_OK;
}

gc_status gc_device_open(const char *sel, const struct gc_device_open_options *opt,
                         struct gc_device **out, char *note, size_t note_size)
{
    struct gc_device_info *infos = NULL;
    cl_device_id *ids = NULL;
    cl_platform_id *plats = NULL;
    int n = 0, index = -1;
    struct gc_device *dev = NULL;
    gc_status s = list_devices(&infos, &n, &ids, &plats);
    if (s == GC_OK) s = gc_device_select(infos, n, sel, &index, note, note_size);
    if (s != GC_OK) goto fail;
    dev = gc_calloc(1, sizeof *dev);
    if (!dev) {
        s = gc_error(GC_NOMEM, "opening a device: out of host memory");
        goto fail;
    }
    dev->info = infos[index];
    dev->id = ids[index];
    dev->platform = plats[index];
    s = create_context(dev, opt && opt->profiling);
    if (s != GC_OK) goto fail;
    gc_free(infos);
    gc_free(ids);
    gc_free(plats);
    *out = dev;
    return GC_OK;
fail:
    gc_device_destroy(dev);
    gc_free(infos);
    gc_free(ids);
    gc_free(plats);
    return s;
}

void gc__program_table_free(struct gc_device *dev); /* program.c */

void gc_device_destroy(struct gc_device *dev)
{
    if (!dev) return;
    if (dev->queue) clFinish(dev->queue);
    gc__program_table_free(dev);
    if (dev->clblast_temp) clReleaseMemObject((cl_mem)dev->clblast_temp);
    if (dev->queue) clReleaseCommandQueue(dev->queue);
    if (dev->ctx) clReleaseContext(dev->ctx);
    gc_free(dev);
}

const struct gc_device_info *gc_device_get_info(const struct gc_device *dev)
{
    return &dev->info;
}

gc_status gc_device_finish(struct gc_device *dev)
{
    GC_CL_CHECK(dev, clFinish(dev->queue), "waiting for the device");
    return GC_OK;
}

int64_t gc_device_buffers_created(const struct gc_device *dev)
{
    return dev->buffers_created;
}

gc_status gc__buffer_create(struct gc_device *dev, size_t bytes, cl_mem *out)
{
    if (bytes > dev->info.max_alloc)
        return gc_error(GC_DEVICE_NOMEM,
                        "a buffer of %zu bytes exceeds %s's largest allocation (%llu bytes)", bytes,
                        dev->info.name, (unsigned long long)dev->info.max_alloc);
    cl_int err;
    cl_mem m = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
    if (!m) {
        gc__cl_fail(dev, err, "allocating device memory");
        return gc_error_context(GC_DEVICE_NOMEM, "%zu bytes", bytes);
    }
    dev->buffers_created++;
    *out = m;
    return GC_OK;
}

void gc__buffer_release(cl_mem m)
{
    if (m) clReleaseMemObject(m);
}

static void append_safe(char *buf, size_t size, size_t *len, const char *s)
{
    for (; *s && *len + 1 < size; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-';
        char out = ok ? c : '_';
        if (out == '_' && *len > 0 && buf[*len - 1] == '_') continue; /* collapse runs */
        buf[(*len)++] = out;
    }
    buf[*len] = '\0';
}

void gc_device_key(const struct gc_device_info *info, char *buf, size_t size)
{
    const char *name = info->name;
    if (strncmp(name, "pthread-", 8) == 0) name += 8; /* PoCL names its CPU driver first */
    int n = snprintf(buf, size, "%04x_%s_", info->vendor_id, gc_device_type_name(info->type));
    size_t len = n > 0 && (size_t)n < size ? (size_t)n : 0;
    buf[len] = '\0';
    append_safe(buf, size, &len, name);
    append_safe(buf, size, &len, "_");
    append_safe(buf, size, &len, info->driver_version);
}

gc_status gc__enqueue(struct gc_device *dev, cl_kernel k, int n_args, const struct gc_karg *args,
                      int dims, const size_t *global, const size_t *local, cl_event *ev)
{
    for (int i = 0; i < n_args; i++)
        GC_CL_CHECK(dev, clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr),
                    "setting a kernel argument");
    size_t g[3];
    for (int d = 0; d < dims; d++) {
        size_t l = local ? local[d] : 1;
        g[d] = (global[d] + l - 1) / l * l;
        if (g[d] == 0) return GC_OK; /* empty tensor: nothing to do */
    }
    GC_CL_CHECK(dev, clEnqueueNDRangeKernel(dev->queue, k, (cl_uint)dims, NULL, g, local, 0, NULL, ev),
                "enqueueing a kernel");
    return GC_OK;
}
