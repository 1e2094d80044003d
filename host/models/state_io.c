/* SPDX-License-Identifier: MIT */
/* Checkpoint writer/reader helpers (see state_io.h). */
#include "models/state_io.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"
#include "graph/graph_impl.h"

void gc__sw_init(struct gc_state_writer *w)
{
    memset(w, 0, sizeof *w);
}

void gc__sw_free(struct gc_state_writer *w)
{
    for (int i = 0; i < w->n; i++) {
        gc_free(w->names[i]);
        gc_free(w->bufs[i]);
    }
    for (int i = 0; i < w->n_meta; i++) {
        gc_free(w->meta_keys[i]);
        gc_free(w->meta_vals[i]);
    }
}

gc_status gc__sw_meta(struct gc_state_writer *w, const char *key, const char *value)
{
    if (w->n_meta == GC_SW_MAX_META) return gc_error(GC_LIMIT, "checkpoint: too much metadata");
    char *k = gc_strdup(key), *v = gc_strdup(value);
    if (!k || !v) {
        gc_free(k);
        gc_free(v);
        return gc_error(GC_NOMEM, "checkpoint: out of host memory");
    }
    w->meta[w->n_meta] = (struct gc_st_meta){k, v};
    w->meta_keys[w->n_meta] = k;
    w->meta_vals[w->n_meta++] = v;
    return GC_OK;
}

gc_status gc__sw_meta_u64(struct gc_state_writer *w, const char *key, uint64_t value)
{
    char v[32];
    snprintf(v, sizeof v, "%" PRIu64, value);
    return gc__sw_meta(w, key, v);
}

static float *add(struct gc_state_writer *w, const char *name, int ndim, const int64_t *shape)
{
    if (w->n == GC_SW_MAX_TENSORS) return NULL;
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    float *buf = gc_malloc(sizeof(float) * (size_t)(n ? n : 1));
    char *nm = gc_strdup(name);
    if (!buf || !nm) {
        gc_free(buf);
        gc_free(nm);
        return NULL;
    }
    struct gc_st_tensor *t = &w->t[w->n];
    *t = (struct gc_st_tensor){.name = nm, .dtype = GC_ST_F32, .ndim = ndim, .data = buf,
                               .nbytes = sizeof(float) * (size_t)n};
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    w->names[w->n] = nm;
    w->bufs[w->n++] = buf;
    return buf;
}

gc_status gc__sw_tensor(struct gc_state_writer *w, const char *name, int ndim,
                        const int64_t *shape, const float *data)
{
    float *buf = add(w, name, ndim, shape);
    if (!buf) return gc_error(GC_NOMEM, "checkpoint: out of host memory or too many tensors");
    memcpy(buf, data, w->t[w->n - 1].nbytes);
    return GC_OK;
}

gc_status gc__sw_group(struct gc_state_writer *w, struct gc_param_group *grp, struct gc_optim *o)
{
    char name[256];
    for (int i = 0; i < gc_param_group_count(grp); i++) {
        struct gc_tensor *p = gc_param_group_at(grp, i);
        snprintf(name, sizeof name, "%s.%s", gc_param_group_name(grp), gc_tensor_name(p));
        float *buf = add(w, name, p->ndim, p->shape);
        if (!buf) return gc_error(GC_NOMEM, "checkpoint: out of host memory or too many tensors");
        gc_status s = gc_param_read(p, buf);
        if (s != GC_OK) return s;
    }
    int64_t flat[1] = {gc_param_group_numel(grp)};
    for (int i = 0; i < (o ? gc_optim_state_count(o) : 0); i++) {
        snprintf(name, sizeof name, "optim.%s.%s", gc_param_group_name(grp),
                 gc_optim_state_name(o, i));
        float *buf = add(w, name, 1, flat);
        if (!buf) return gc_error(GC_NOMEM, "checkpoint: out of host memory or too many tensors");
        gc_status s = gc_optim_state_read(o, i, buf);
        if (s != GC_OK) return s;
    }
    if (o) {
        snprintf(name, sizeof name, "optim.%s.steps", gc_param_group_name(grp));
        return gc__sw_meta_u64(w, name, (uint64_t)gc_optim_steps(o));
    }
    return GC_OK;
}

gc_status gc__sw_save(struct gc_state_writer *w, const char *path)
{
    return gc_safetensors_save(path, w->t, w->n, w->meta, w->n_meta);
}

gc_status gc__sr_meta_u64(struct gc_safetensors *st, const char *key, const char *path,
                          uint64_t *out)
{
    const char *v = gc_safetensors_meta_get(st, key);
    char *end = NULL;
    if (v) *out = strtoull(v, &end, 10);
    if (!v || !*v || *end)
        return gc_error(GC_FORMAT, "%s: checkpoint metadata '%s' missing or not a number", path,
                        key);
    return GC_OK;
}

gc_status gc__sr_group(struct gc_safetensors *st, struct gc_param_group *grp, struct gc_optim *o,
                       const char *path)
{
    char name[256];
    gc_status s = GC_OK;
    for (int i = 0; i < gc_param_group_count(grp) && s == GC_OK; i++) {
        struct gc_tensor *p = gc_param_group_at(grp, i);
        snprintf(name, sizeof name, "%s.%s", gc_param_group_name(grp), gc_tensor_name(p));
        float *buf = gc_malloc(sizeof(float) * (size_t)p->numel);
        s = buf ? gc_safetensors_read_f32(st, name, buf, p->ndim, p->shape)
                : gc_error(GC_NOMEM, "checkpoint: out of host memory");
        if (s == GC_OK) s = gc_param_write(p, buf);
        gc_free(buf);
    }
    int64_t flat[1] = {gc_param_group_numel(grp)};
    float *buf = o ? gc_malloc(sizeof(float) * (size_t)(flat[0] ? flat[0] : 1)) : NULL;
    for (int i = 0; i < (o ? gc_optim_state_count(o) : 0) && s == GC_OK; i++) {
        snprintf(name, sizeof name, "optim.%s.%s", gc_param_group_name(grp),
                 gc_optim_state_name(o, i));
        s = buf ? gc_safetensors_read_f32(st, name, buf, 1, flat)
                : gc_error(GC_NOMEM, "checkpoint: out of host memory");
        if (s == GC_OK) s = gc_optim_state_write(o, i, buf);
    }
    gc_free(buf);
    if (s == GC_OK && o) {
        uint64_t steps;
        snprintf(name, sizeof name, "optim.%s.steps", gc_param_group_name(grp));
        s = gc__sr_meta_u64(st, name, path, &steps);
        if (s == GC_OK) gc_optim_set_steps(o, (int64_t)steps);
    }
    return s == GC_OK ? s : gc_error_context(s, "%s", path);
}

gc_status gc__sr_open(const char *path, const char *format, struct gc_safetensors **st)
{
    gc_status s = gc_safetensors_load(st, path);
    if (s != GC_OK) return s;
    const char *fmt = gc_safetensors_meta_get(*st, "format");
    if (!fmt || strcmp(fmt, format) != 0) {
        gc_safetensors_destroy(*st);
        return gc_error(GC_FORMAT, "%s: not a %s checkpoint (format '%s')", path, format,
                        fmt ? fmt : "none");
    }
    return GC_OK;
}
