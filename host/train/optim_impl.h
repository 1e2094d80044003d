/* SPDX-License-Identifier: MIT */
/* The optimizer's update as the tuner's bench runs it (host/tune/op_bench.c): one launch of
 * a kind's kernel over n floats with given tunable values, outside any gc_optim. */
#ifndef GANCL_OPTIM_IMPL_H
#define GANCL_OPTIM_IMPL_H

#include "gancl/optim.h"
#include "graph/graph_impl.h"

/* The kernel of a kind: "sgd_step", "adam_step", "rmsprop_step". */
const char *gc__optim_kernel_name(enum gc_optim_kind kind);
/* OPT_WG / OPT_EPI when nothing is tuned: the list's defaults, OPT_WG within the device's
 * work-group limit. */
void gc__optim_default_values(const struct gc_device *dev, int tv[GC_OPTIM_TUNABLES]);
/* Update `step` (1-based) of cfg's kind over p (n floats) with gradient g and state s0, s1
 * (s1 unused by SGD), built and launched with the values tv. */
gc_status gc__optim_run(struct gc_device *dev, const struct gc_optim_config *cfg, const int *tv,
                        int64_t step, cl_mem p, cl_mem g, cl_mem s0, cl_mem s1, int64_t n);

#endif
