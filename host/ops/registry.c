/* SPDX-License-Identifier: MIT */
/* The descriptor table, generated from GC_OP_LIST: every op's descriptor
 * is defined in its family file as gc__op_desc_<name>. */
#include <stdio.h>

#include "graph/graph_impl.h"
#include "ops/gemm.h"

#define GC_OP_EXTERN_(e, n, f) extern const struct gc_op_desc gc__op_desc_##n;
GC_OP_LIST(GC_OP_EXTERN_)
#undef GC_OP_EXTERN_

const struct gc_op_desc *const gc__op_descs[GC_OP_COUNT] = {
#define GC_OP_ENTRY_(e, n, f) [GC_OP_##e] = &gc__op_desc_##n,
    GC_OP_LIST(GC_OP_ENTRY_)
#undef GC_OP_ENTRY_
};

void gc__op_options(const struct gc_op_desc *d, const int *values, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < d->n_tunables && off < size; i++) {
        int v = values ? values[i] : d->tunables[i].def;
        int n = snprintf(buf + off, size - off, "%s-D%s=%d", i ? " " : "", d->tunables[i].name, v);
        if (n < 0) break;
        off += (size_t)n;
    }
}

/* Programs no op descriptor names: utility and optimizer kernels. */
static const char *const extra_programs[] = {"tensor", "optim"};

static gc_status build_one(struct gc_device *dev, const char *program, const char *options,
                           int *count)
{
    cl_program p;
    struct gc_program_stats before, after;
    gc_device_program_stats(dev, &before);
    gc_status s = gc__program_get(dev, program, options, &p);
    gc_device_program_stats(dev, &after);
    if (s == GC_OK && after.memory_hits == before.memory_hits) (*count)++; /* distinct only */
    return s;
}

/* The GEMM program in the device's default configuration, all transposes. */
static gc_status build_gemm(struct gc_device *dev, int *count)
{
    struct gc_gemm_config cfg;
    gc__gemm_default_config(gc_device_get_info(dev), NULL, &cfg);
    gc_status s = GC_OK;
    for (int t = 0; t < 4 && s == GC_OK && cfg.impl != GC_GEMM_CLBLAST; t++) {
        char opts[512];
        gc__gemm_build_options(&cfg, t & 1, t >> 1, opts, sizeof opts);
        s = build_one(dev, "gemm", opts, count);
    }
    return s;
}

gc_status gc_ops_build_all(struct gc_device *dev, int *n_programs)
{
    int count = 0;
    gc_status s = build_gemm(dev, &count);
    for (size_t i = 0; i < sizeof extra_programs / sizeof extra_programs[0] && s == GC_OK; i++)
        s = build_one(dev, extra_programs[i], "", &count);
    for (int op = 0; op < GC_OP_COUNT && s == GC_OK; op++) {
        const struct gc_op_desc *d = gc__op_descs[op];
        if (!d->program) continue;
        char opts[512];
        gc__op_options(d, NULL, opts, sizeof opts);
        s = build_one(dev, d->program, opts, &count); /* repeats are memory hits */
    }
    if (n_programs) *n_programs = count;
    return s;
}
