/* SPDX-License-Identifier: MIT */
/* Training-state I/O shared by the models' checkpoints: parameter groups
 * under "<group>.<param>", optimizer moments under "optim.<group>.<state>",
 * extra float tensors and string metadata, written with gc_safetensors_save
 * (atomic). */
#ifndef GANCL_MODELS_STATE_IO_H
#define GANCL_MODELS_STATE_IO_H

#include "gancl/graph.h"
#include "gancl/optim.h"
#include "gancl/safetensors.h"

#define GC_SW_MAX_TENSORS 1024
#define GC_SW_MAX_META 64

struct gc_state_writer {
    struct gc_st_tensor t[GC_SW_MAX_TENSORS];
    char *names[GC_SW_MAX_TENSORS];
    float *bufs[GC_SW_MAX_TENSORS];
    int n;
    struct gc_st_meta meta[GC_SW_MAX_META];
    char *meta_keys[GC_SW_MAX_META], *meta_vals[GC_SW_MAX_META]; /* owned copies */
    int n_meta;
};

void gc__sw_init(struct gc_state_writer *w);
void gc__sw_free(struct gc_state_writer *w);
gc_status gc__sw_meta(struct gc_state_writer *w, const char *key, const char *value);
gc_status gc__sw_meta_u64(struct gc_state_writer *w, const char *key, uint64_t value);
/* Copies n floats into a tensor named `name` of the given shape. */
gc_status gc__sw_tensor(struct gc_state_writer *w, const char *name, int ndim,
                        const int64_t *shape, const float *data);
/* Every parameter of grp, and o's moments when o is not NULL. */
gc_status gc__sw_group(struct gc_state_writer *w, struct gc_param_group *grp,
                       struct gc_optim *o);
gc_status gc__sw_save(struct gc_state_writer *w, const char *path);

gc_status gc__sr_group(struct gc_safetensors *st, struct gc_param_group *grp, struct gc_optim *o,
                       const char *path);
gc_status gc__sr_meta_u64(struct gc_safetensors *st, const char *key, const char *path,
                          uint64_t *out);
/* Opens a checkpoint and checks its "format" metadata. */
gc_status gc__sr_open(const char *path, const char *format, struct gc_safetensors **st);

#endif
