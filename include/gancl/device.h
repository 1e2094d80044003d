/* SPDX-License-Identifier: MIT */
/* OpenCL devices: enumeration, the --device selector, and opened devices
 * (context + one in-order queue + the program cache). */
#ifndef GANCL_DEVICE_H
#define GANCL_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gancl/status.h"

enum gc_device_type { GC_DEVICE_CPU, GC_DEVICE_GPU, GC_DEVICE_ACCELERATOR, GC_DEVICE_OTHER };

/* PCI vendor ids as OpenCL reports them. */
#define GC_VENDOR_AMD 0x1002u
#define GC_VENDOR_NVIDIA 0x10deu
#define GC_VENDOR_INTEL 0x8086u
#define GC_VENDOR_APPLE 0x106bu
#define GC_VENDOR_ARM 0x13b5u
#define GC_VENDOR_QUALCOMM 0x5143u
#define GC_VENDOR_MESA 0x10005u /* Khronos id Mesa uses for llvmpipe */

/* Everything gan-cl knows about one device; plain data so selection logic can
 * be unit-tested against synthetic tables. */
struct gc_device_info {
    int index;          /* position in gc_device_list, as `gan-cl devices` shows it */
    int platform_index; /* P of "P:D" */
    int device_index;   /* D of "P:D" */
    char platform_name[128];
    char platform_version[128];
    char vendor[128];
    char name[256];
    char driver_version[128];
    char device_version[128];
    char opencl_c_version[128];
    uint32_t vendor_id;
    enum gc_device_type type;
    uint32_t compute_units;
    uint32_t clock_mhz;
    uint64_t global_mem;
    uint64_t local_mem;
    uint64_t max_alloc;
    size_t max_work_group;
    bool fp64;
    bool profiling;
    /* Loop iterations one work-item may run, all its loops together (0: no limit). Mesa's
     * llvmpipe (rusticl) keeps one counter per kernel invocation, starts it at 65535 and
     * decrements it on every iteration of every loop; at zero each loop exits early, silently
     * (gallivm's LP_MAX_TGSI_LOOP_ITERATIONS, "shared between every loop"). Kernels that can
     * run longer split their work over launches (gc__gemm splits K). */
    uint32_t loop_limit;
    int cl_c_major; /* from opencl_c_version, e.g. 1.2 -> 1, 2 */
    int cl_c_minor;
};

const char *gc_device_type_name(enum gc_device_type t);

/* Enumerates every device of every platform. *out is gc_malloc'd (free with
 * gc_free); zero devices is not an error here (*n == 0). Platforms that fail
 * to report devices are skipped. */
gc_status gc_device_list(struct gc_device_info **out, int *n);

/* Chooses a device from `devs` for selector `sel` (NULL or "" = default:
 * the GPU with the most compute units x clock, else the first CPU).
 * Selectors: intel amd nvidia apple arm qualcomm cpu gpu pocl rusticl, "P:D",
 * "N", or a case-insensitive substring of the device name. A vendor keyword
 * prefers that vendor's GPU and falls back to its CPU; `note` (may be NULL)
 * then says so. On no match returns GC_NO_DEVICE with a message that lists
 * the devices present. */
gc_status gc_device_select(const struct gc_device_info *devs, int n, const char *sel, int *index,
                           char *note, size_t note_size);

/* An opened device: its context, one in-order queue, its kernel programs. */
struct gc_device;

struct gc_device_open_options {
    bool profiling; /* queue with CL_QUEUE_PROFILING_ENABLE */
};

/* Lists the devices, selects with `sel`, and creates the context and queue.
 * `note` as in gc_device_select. */
gc_status gc_device_open(const char *sel, const struct gc_device_open_options *opt,
                         struct gc_device **out, char *note, size_t note_size);
void gc_device_destroy(struct gc_device *dev);
const struct gc_device_info *gc_device_get_info(const struct gc_device *dev);
/* Blocks until all queued work finished (clFinish). */
gc_status gc_device_finish(struct gc_device *dev);

/* Program-cache counters, for tests and `gan-cl cache info`. */
struct gc_program_stats {
    int64_t builds;      /* compiled from source */
    int64_t disk_hits;   /* loaded from the on-disk cache */
    int64_t disk_stale;  /* cache file present but corrupt or for another key */
    int64_t disk_writes; /* cache files written */
    int64_t memory_hits; /* served from this device's in-memory table */
};
void gc_device_program_stats(const struct gc_device *dev, struct gc_program_stats *out);

/* Counts device buffers created through gan-cl on this device, so tests can
 * prove the step loop allocates nothing. */
int64_t gc_device_buffers_created(const struct gc_device *dev);

/* Builds every embedded program with its default build options (cache
 * warm-up and start-up measurement); *n_programs gets the number built or
 * fetched. Implemented by the op registry, which knows the options. */
gc_status gc_ops_build_all(struct gc_device *dev, int *n_programs);

/* A file-name-safe key for per-device records (tuning): vendor id, type,
 * device name (PoCL's "pthread-" prefix dropped), driver version. */
void gc_device_key(const struct gc_device_info *info, char *buf, size_t size);

#endif
