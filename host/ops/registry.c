/* SPDX-License-Identifier: MIT */
/* The descriptor table, generated from GC_OP_LIST: every op's descriptor
 * is defined in its family file as gc__op_desc_<name>. */
#include <stdio.h>
#include <string.h>

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

void gc__op_default_values(const struct gc_device *dev, const struct gc_op_desc *d, int *tv)
{
    int ew[GC_EW_TUNABLES];
    gc__ew_values(dev, ew);
    for (int i = 0; i < d->n_tunables; i++) {
        tv[i] = d->tunables[i].def;
        for (int k = 0; k < GC_EW_TUNABLES; k++)
            if (!strcmp(d->tunables[i].name, gc__ew_tunables[k].name)) tv[i] = ew[k];
    }
}

bool gc__op_tunable(const struct gc_op_desc *d)
{
    return d->n_tunables > 0 && (~d->untuned & ((1u << d->n_tunables) - 1)) != 0;
}

static size_t shape_part(const struct gc_tensor *t, char *buf, size_t size)
{
    char s[96];
    int n = snprintf(buf, size, "%s", gc__shape_str(t, s, sizeof s));
    return n > 0 ? (size_t)n : 0;
}

void gc__op_shape_key(const struct gc_tensor *t, char *buf, size_t size)
{
    const struct gc_op_desc *d = gc__op_descs[t->op];
    size_t off = (size_t)snprintf(buf, size, "%s ", d->name);
    for (int i = 0; i < t->n_in && off < size; i++) {
        if (i) off += (size_t)snprintf(buf + off, size - off, ",");
        if (off < size) off += shape_part(t->in[i], buf + off, size - off);
    }
    if (off < size) off += (size_t)snprintf(buf + off, size - off, "->");
    if (off < size) off += shape_part(t, buf + off, size - off);
    /* The conv family's geometry changes the work for the same shapes. */
    if (off < size && d->program && !strcmp(d->program, "conv")) {
        const struct gc_conv_params *c = &t->p.conv;
        snprintf(buf + off, size - off, " k%dx%d s%d,%d p%d,%d d%d,%d op%d,%d", c->kh, c->kw,
                 c->stride[0], c->stride[1], c->pad[0], c->pad[1], c->dil[0], c->dil[1],
                 c->out_pad[0], c->out_pad[1]);
    }
}

const struct gc_tunable gc__optim_tunables[GC_OPTIM_TUNABLES] = {GC_OPTIM_TUNABLE_LIST};

/* Programs no op descriptor names: utility and optimizer kernels (the optimizer's with its
 * tunables' defaults). */
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
    char opt_opts[64];
    snprintf(opt_opts, sizeof opt_opts, "-D%s=%d -D%s=%d", gc__optim_tunables[0].name,
             gc__optim_tunables[0].def, gc__optim_tunables[1].name, gc__optim_tunables[1].def);
    for (size_t i = 0; i < sizeof extra_programs / sizeof extra_programs[0] && s == GC_OK; i++)
        s = build_one(dev, extra_programs[i], strcmp(extra_programs[i], "optim") ? "" : opt_opts,
                      &count);
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
