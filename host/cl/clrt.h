/* SPDX-License-Identifier: MIT */
/* Internal OpenCL runtime: the opened-device struct, CL error mapping, the
 * program/kernel cache and buffer helpers. Only host/ layers include this;
 * public headers never see CL/cl.h. */
#ifndef GANCL_CLRT_H
#define GANCL_CLRT_H

#include <CL/cl.h>
#include <stdbool.h>

#include "gancl/device.h"
#include "gancl/status.h"

struct gc__program_entry;

struct gc_device {
    struct gc_device_info info;
    cl_platform_id platform;
    cl_device_id id;
    cl_context ctx;
    cl_command_queue queue;
    bool profiling;
    struct gc__program_entry *programs; /* in-memory table, linked list */
    struct gc_program_stats stats;
    int64_t buffers_created;
    void *clblast_temp; /* (cl_mem) scratch handed to CLBlast; see ops/gemm */
    size_t clblast_temp_size;
};

/* "CL_OUT_OF_RESOURCES", ... ; "CL_UNKNOWN_ERROR(-1234)" otherwise. */
const char *gc__cl_error_name(cl_int err);
/* "CLBlastInvalidLocalMemUsage", ...: CLBlast's own codes plus OpenCL's. */
const char *gc__clblast_error_name(int err);
/* Maps a failed CL call to a status with message "what: CL_NAME on DEVICE".
 * CL_MEM_OBJECT_ALLOCATION_FAILURE / CL_OUT_OF_RESOURCES -> GC_DEVICE_NOMEM. */
gc_status gc__cl_fail(const struct gc_device *dev, cl_int err, const char *what);
#define GC_CL_CHECK(dev, call, what)                                                               \
    do {                                                                                           \
        cl_int e_ = (call);                                                                        \
        if (e_ != CL_SUCCESS) return gc__cl_fail((dev), e_, (what));                               \
    } while (0)

/* Program `name` = the embedded cl/<name>.cl (prefixed with cl/common.cl),
 * built with `options` (the -D tunables; -cl-std is added from the device's
 * OpenCL C version). Served from the device's memory table, else the on-disk
 * cache, else compiled. A failed build returns GC_CL_BUILD with the full
 * build log (file:line) in gc_last_error(). The program is owned by dev. */
gc_status gc__program_get(struct gc_device *dev, const char *name, const char *options,
                          cl_program *out);
/* Same, for a caller-supplied source (tests, the tuner's probes). `label`
 * names it in messages and keys its cache entry together with the source. */
gc_status gc__program_get_source(struct gc_device *dev, const char *label, const char *source,
                                 const char *options, cl_program *out);
/* A kernel of that program; cached per (program, options, kernel), owned by
 * dev. Kernels are stateful: set all arguments before each enqueue. */
gc_status gc__kernel_get(struct gc_device *dev, const char *program, const char *options,
                         const char *kernel, cl_kernel *out);

/* Kernel arguments as (size, pointer) pairs: GC_KA(lvalue). */
struct gc_karg {
    size_t size;
    const void *ptr;
};
#define GC_KA(v) ((struct gc_karg){sizeof(v), &(v)})
#define GC_KA_LOCAL(bytes) ((struct gc_karg){(bytes), NULL})
/* Sets the arguments and enqueues k on dev's queue; global sizes are rounded
 * up to multiples of local (kernels bound-check). ev may be NULL. */
gc_status gc__enqueue(struct gc_device *dev, cl_kernel k, int n_args, const struct gc_karg *args,
                      int dims, const size_t *global, const size_t *local, cl_event *ev);

/* Buffer creation through one counted place (tests assert the step loop
 * creates none). */
gc_status gc__buffer_create(struct gc_device *dev, size_t bytes, cl_mem *out);
void gc__buffer_release(cl_mem m);

/* The embedded sources (generated kernels.c). */
struct gc__kernel_source {
    const char *name;
    const char *source;
    size_t size;
};
const char *gc__kernel_source_find(const char *name, size_t *size);

#endif
