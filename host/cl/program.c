/* SPDX-License-Identifier: MIT */
/* Program and kernel cache of an opened device: memory table -> on-disk
 * binary cache -> compile from the embedded source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cache.h"
#include "cl/clrt.h"
#include "cl/kernels.h"
#include "gancl/alloc.h"

#define CACHE_FORMAT_VERSION 1

struct kernel_entry {
    char *name;
    cl_kernel kernel;
    struct kernel_entry *next;
};

struct gc__program_entry {
    char *key; /* "<label>\n<options>" */
    cl_program program;
    struct kernel_entry *kernels;
    struct gc__program_entry *next;
};

void gc__program_table_free(struct gc_device *dev)
{
    struct gc__program_entry *p = dev->programs;
    while (p) {
        struct gc__program_entry *next = p->next;
        for (struct kernel_entry *k = p->kernels, *kn; k; k = kn) {
            kn = k->next;
            clReleaseKernel(k->kernel);
            gc_free(k->name);
            gc_free(k);
        }
        clReleaseProgram(p->program);
        gc_free(p->key);
        gc_free(p);
        p = next;
    }
    dev->programs = NULL;
}

const char *gc__kernel_source_find(const char *name, size_t *size)
{
    for (int i = 0; i < gc__kernel_source_count; i++)
        if (strcmp(gc__kernel_sources[i].name, name) == 0) {
            if (size) *size = gc__kernel_sources[i].size;
            return gc__kernel_sources[i].source;
        }
    return NULL;
}

/* Reads <dir>/<name>.cl (kernel development without rebuilding), with the
 * same #line prefix the embedder adds. */
static char *read_dev_source(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.cl", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char head[512];
    int hn = snprintf(head, sizeof head, "#line 1 \"%s.cl\"\n", name);
    char *s = n >= 0 ? gc_malloc((size_t)n + (size_t)hn + 1) : NULL;
    if (s) {
        memcpy(s, head, (size_t)hn);
        size_t got = fread(s + hn, 1, (size_t)n, f);
        s[(size_t)hn + got] = '\0';
    }
    fclose(f);
    return s;
}

static const char *kernel_dev_dir(void)
{
    const char *env = getenv("GANCL_KERNEL_DIR");
    if (env && *env) return env;
#ifdef GC_KERNEL_SOURCE_DIR
    return GC_KERNEL_SOURCE_DIR;
#else
    return NULL;
#endif
}

/* common.cl + <name>.cl, gc_malloc'd. */
static gc_status compose_source(const char *name, char **out)
{
    const char *dir = kernel_dev_dir();
    char *common = dir ? read_dev_source(dir, "common") : NULL;
    char *body = dir ? read_dev_source(dir, name) : NULL;
    const char *c = common ? common : gc__kernel_source_find("common", NULL);
    const char *b = body ? body : gc__kernel_source_find(name, NULL);
    if (strcmp(name, "common") == 0) b = ""; /* the prefix alone */
    gc_status s = GC_OK;
    if (!c || !b) {
        s = gc_error(GC_NOT_FOUND, "no OpenCL program named '%s' is embedded", name);
    } else {
        size_t lc = strlen(c), lb = strlen(b);
        *out = gc_malloc(lc + lb + 2);
        if (!*out) s = gc_error(GC_NOMEM, "program %s: out of host memory", name);
        else {
            memcpy(*out, c, lc);
            (*out)[lc] = '\n';
            memcpy(*out + lc + 1, b, lb + 1);
        }
    }
    gc_free(common);
    gc_free(body);
    return s;
}

/* -cl-std from the device's OpenCL C version, capped at 1.2 (what cl/ is
 * written in): a 1.1 device gets CL1.1, a 3.0 device CL1.2. */
static void std_option(const struct gc_device_info *info, char *buf, size_t size)
{
    int maj = info->cl_c_major, min = info->cl_c_minor;
    if (maj > 1 || (maj == 1 && min > 2)) maj = 1, min = 2;
    snprintf(buf, size, "-cl-std=CL%d.%d", maj, min);
}

static gc_status build_log_error(struct gc_device *dev, cl_program prog, const char *label,
                                 const char *options, cl_int err)
{
    size_t n = 0;
    clGetProgramBuildInfo(prog, dev->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
    char *log = gc_malloc(n + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(prog, dev->id, CL_PROGRAM_BUILD_LOG, n, log, NULL);
        log[n] = '\0';
    }
    gc_status s = gc_error(GC_CL_BUILD, "building OpenCL program '%s' [%s] for %s failed (%s):\n%s",
                           label, options, dev->info.name, gc__cl_error_name(err),
                           log ? log : "(no build log)");
    gc_free(log);
    return s;
}

static char *cache_key(const struct gc_device *dev, const char *label, const char *source,
                       const char *options)
{
    char buf[2048];
    uint64_t sh = gc__fnv1a64(source, strlen(source), GC_FNV_INIT);
    int n = snprintf(buf, sizeof buf,
                     "gan-cl program cache v%d\nprogram=%s\nsource=%016llx/%zu\n"
                     "device=%s\ndriver=%s\nplatform=%s\nversion=%s\noptions=%s\n",
                     CACHE_FORMAT_VERSION, label, (unsigned long long)sh, strlen(source),
                     dev->info.name, dev->info.driver_version, dev->info.platform_version,
                     dev->info.device_version, options);
    return n > 0 && (size_t)n < sizeof buf ? gc_strdup(buf) : NULL;
}

static cl_program from_cache(struct gc_device *dev, const char *key, const char *options)
{
    unsigned char *bin = NULL;
    size_t size = 0;
    gc_status s = gc__cache_load(key, &bin, &size);
    if (s == GC_NOT_FOUND) return NULL;
    cl_program p = NULL;
    if (s == GC_OK) {
        cl_int st, err;
        const unsigned char *bins[1] = {bin};
        p = clCreateProgramWithBinary(dev->ctx, 1, &dev->id, &size, bins, &st, &err);
        if (p && (err != CL_SUCCESS || st != CL_SUCCESS ||
                  clBuildProgram(p, 1, &dev->id, options, NULL, NULL) != CL_SUCCESS)) {
            clReleaseProgram(p);
            p = NULL;
        }
        gc_free(bin);
    }
    if (!p) dev->stats.disk_stale++;
    else dev->stats.disk_hits++;
    return p;
}

static void store_binary(struct gc_device *dev, cl_program p, const char *key)
{
    size_t size = 0;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = gc_malloc(size);
    unsigned char *bins[1] = {bin};
    if (bin && clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) == CL_SUCCESS &&
        gc__cache_store(key, bin, size) == GC_OK)
        dev->stats.disk_writes++;
    gc_free(bin);
    gc_clear_error(); /* a cache we cannot write is not the caller's failure */
}

static gc_status compile(struct gc_device *dev, const char *label, const char *source,
                         const char *options, cl_program *out)
{
    cl_int err;
    cl_program p = clCreateProgramWithSource(dev->ctx, 1, &source, NULL, &err);
    if (!p) return gc__cl_fail(dev, err, "creating an OpenCL program");
    err = clBuildProgram(p, 1, &dev->id, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        gc_status s = build_log_error(dev, p, label, options, err);
        clReleaseProgram(p);
        return s;
    }
    dev->stats.builds++;
    *out = p;
    return GC_OK;
}

static struct gc__program_entry *find_entry(struct gc_device *dev, const char *key)
{
    for (struct gc__program_entry *e = dev->programs; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e;
    return NULL;
}

static gc_status add_entry(struct gc_device *dev, const char *mem_key, cl_program p,
                           struct gc__program_entry **out)
{
    struct gc__program_entry *e = gc_calloc(1, sizeof *e);
    char *k = gc_strdup(mem_key);
    if (!e || !k) {
        gc_free(e);
        gc_free(k);
        clReleaseProgram(p);
        return gc_error(GC_NOMEM, "program table: out of host memory");
    }
    e->key = k;
    e->program = p;
    e->next = dev->programs;
    dev->programs = e;
    *out = e;
    return GC_OK;
}

/* Full build options: -cl-std for the device, then the caller's. */
static void full_options(const struct gc_device *dev, const char *options, char *buf, size_t size)
{
    std_option(&dev->info, buf, size);
    size_t ol = strlen(buf);
    snprintf(buf + ol, size - ol, "%s%s", options && *options ? " " : "", options ? options : "");
}

/* Builds (disk cache, else compiler) and records under mem_key. */
static gc_status build_entry(struct gc_device *dev, const char *mem_key, const char *label,
                             const char *source, const char *opts, struct gc__program_entry **out)
{
    char *key = gc__cache_enabled() ? cache_key(dev, label, source, opts) : NULL;
    cl_program p = key ? from_cache(dev, key, opts) : NULL;
    gc_status s = GC_OK;
    if (!p) {
        s = compile(dev, label, source, opts, &p);
        if (s == GC_OK && key) store_binary(dev, p, key);
    }
    gc_free(key);
    if (s != GC_OK) return s;
    return add_entry(dev, mem_key, p, out);
}

static struct gc__program_entry *memory_hit(struct gc_device *dev, const char *mem_key)
{
    struct gc__program_entry *e = find_entry(dev, mem_key);
    if (e) dev->stats.memory_hits++;
    return e;
}

gc_status gc__program_get_source(struct gc_device *dev, const char *label, const char *source,
                                 const char *options, cl_program *out)
{
    char opts[4096], mem_key[4608];
    full_options(dev, options, opts, sizeof opts);
    /* Caller-supplied sources are keyed by content too: one label may carry
     * several sources (the tuner's probes, tests). */
    snprintf(mem_key, sizeof mem_key, "%s\n%s\n%016llx", label, opts,
             (unsigned long long)gc__fnv1a64(source, strlen(source), GC_FNV_INIT));
    struct gc__program_entry *e = memory_hit(dev, mem_key);
    gc_status s = e ? GC_OK : build_entry(dev, mem_key, label, source, opts, &e);
    if (s == GC_OK) *out = e->program;
    return s;
}

static gc_status named_entry(struct gc_device *dev, const char *name, const char *options,
                             struct gc__program_entry **out)
{
    char opts[4096], mem_key[4608];
    full_options(dev, options, opts, sizeof opts);
    snprintf(mem_key, sizeof mem_key, "%s\n%s", name, opts);
    *out = memory_hit(dev, mem_key);
    if (*out) return GC_OK;
    char *src = NULL;
    gc_status s = compose_source(name, &src);
    if (s == GC_OK) s = build_entry(dev, mem_key, name, src, opts, out);
    gc_free(src);
    return s;
}

gc_status gc__program_get(struct gc_device *dev, const char *name, const char *options,
                          cl_program *out)
{
    struct gc__program_entry *e;
    gc_status s = named_entry(dev, name, options, &e);
    if (s == GC_OK) *out = e->program;
    return s;
}

gc_status gc__kernel_get(struct gc_device *dev, const char *program, const char *options,
                         const char *kernel, cl_kernel *out)
{
    struct gc__program_entry *e;
    gc_status s = named_entry(dev, program, options, &e);
    if (s != GC_OK) return s;
    for (struct kernel_entry *k = e->kernels; k; k = k->next)
        if (strcmp(k->name, kernel) == 0) {
            *out = k->kernel;
            return GC_OK;
        }
    cl_int err;
    cl_kernel kn = clCreateKernel(e->program, kernel, &err);
    if (!kn)
        return gc_error_context(gc__cl_fail(dev, err, "creating a kernel"), "kernel %s in %s.cl",
                                kernel, program);
    struct kernel_entry *k = gc_calloc(1, sizeof *k);
    char *nm = gc_strdup(kernel);
    if (!k || !nm) {
        clReleaseKernel(kn);
        gc_free(k);
        gc_free(nm);
        return gc_error(GC_NOMEM, "kernel table: out of host memory");
    }
    k->name = nm;
    k->kernel = kn;
    k->next = e->kernels;
    e->kernels = k;
    *out = kn;
    return GC_OK;
}

void gc_device_program_stats(const struct gc_device *dev, struct gc_program_stats *out)
{
    *out = dev->stats;
}
