/* SPDX-License-Identifier: MIT */
/* The one call the GEMM default path makes into the tuner (host/ops/gemm.c, cfg == NULL):
 * the device's loaded tuning record (gc_tune_load), if any, picks the config of this shape.
 * This is the one upward include (ops -> tune) in the tree: the record belongs to the tuner,
 * the hook to the op; declaring the hook here keeps the record's types out of ops/. */
#ifndef GANCL_TUNE_LOOKUP_H
#define GANCL_TUNE_LOOKUP_H

#include <stdbool.h>

#include "graph/graph_impl.h"
#include "ops/gemm.h"

/* What rebuilds one recorded kernel use on the tuner's bench: an op node (op < GC_OP_COUNT:
 * its params and input shapes, which inputs were parameters) or an optimizer update
 * (op == GC_OP_COUNT, kernel "adam_step" ..., n parameters in shape[0][0]). */
struct gc_tune_op {
    char kernel[32]; /* the op's name or the optimizer kernel's */
    char key[GC_SHAPE_KEY_MAX];
    enum gc_op op;
    union gc_op_params p;
    int n_in;
    int ndim[GC_MAX_INPUTS];
    int64_t shape[GC_MAX_INPUTS][GC_MAX_DIMS];
    bool param[GC_MAX_INPUTS];
};

/* Plan creation (host/graph/plan.c), once per node with tunables: true (and tv set, in the
 * descriptor's order) when dev's loaded record holds the node's shape key; while the tuner
 * records, notes the node. */
bool gc__tune_lookup_op(const struct gc_device *dev, const struct gc_tensor *t, const char *key,
                        int *tv);
/* The same for an optimizer's update kernel over n parameters (host/train/optim.c). */
bool gc__tune_lookup_optim(const struct gc_device *dev, const char *kernel, int64_t n, int *tv);
/* The shape key of an optimizer update: "adam_step n=3576704". */
void gc__tune_optim_key(const char *kernel, int64_t n, char *buf, size_t size);

/* True (and *cfg set) when dev's loaded record holds d's shape. Costs one predictable
 * branch when no record is loaded, a short scan of the loaded shapes otherwise; while the
 * tuner records shapes it also notes d. */
bool gc__tune_lookup_gemm(const struct gc_device *dev, const struct gc_gemm_desc *d,
                          struct gc_gemm_config *cfg);

#endif
