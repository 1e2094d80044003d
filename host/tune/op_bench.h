/* SPDX-License-Identifier: MIT */
/* One recorded kernel use on the tuner's bench (op_bench.c): the op rebuilt as a one-node
 * graph over inputs of the recorded shapes (or an optimizer update over buffers of the
 * recorded size), the default values' output as the reference, and the verify-then-time of
 * one candidate. */
#ifndef GANCL_TUNE_OP_BENCH_H
#define GANCL_TUNE_OP_BENCH_H

#include "tune/tune_impl.h"

#define GC_OPB_BUFS 4 /* optimizer: parameters, gradient, two state buffers */

struct gc_tune_opbench {
    struct gc_device *dev;
    const struct gc_tune_op *op;
    const struct gc_tunable *tunables;
    int n_tunables;
    unsigned untuned;
    const char *program;
    int def[GC_MAX_TUNABLES]; /* the values of the reference */
    double rtol;              /* 0: bit-identical */
    /* op: a graph of the one node y */
    struct gc_graph *g;
    struct gc_tensor *in[GC_MAX_INPUTS], *y;
    float *host_in[GC_MAX_INPUTS];
    /* optimizer: GC_OPB_BUFS buffers of n + guard floats and their initial content */
    int64_t n;
    cl_mem ob[GC_OPB_BUFS];
    float *init[GC_OPB_BUFS];
    /* the reference and a candidate's output: op y's numel floats; optimizer all buffers */
    float *ref, *out;
    size_t n_out;
};

/* What a candidate is (the tuner's result of one evaluation). */
struct gc_tune_opcand {
    int tv[GC_MAX_TUNABLES];
    double median, min, err;
};

/* GC_UNSUPPORTED when the recorded use cannot be rebuilt (an op this bench cannot feed). */
gc_status gc__tune_opbench_create(struct gc_device *dev, const struct gc_tune_op *op,
                                  struct gc_tune_opbench *b);
void gc__tune_opbench_destroy(struct gc_tune_opbench *b);
/* Verifies c->tv against the reference (guards included) and, when right, times it
 * (warm-up, then `samples` samples): GC_TUNE_BEST (= right; c->median/min set), _WRONG,
 * _BUILD_FAILED, _FAILED, or GC_TUNE_OUTCOME_COUNT when the values are not valid here (a
 * work-group or local memory beyond the kernels' limits, a loop beyond the device's budget):
 * not a rejection, never recorded. The one place a candidate runs: a watchdog arms around it. */
enum gc_tune_outcome gc__tune_opbench_eval(struct gc_tune_opbench *b, struct gc_tune_opcand *c,
                                           int samples);
/* Times c->tv again (no verification): c->median, c->min. */
gc_status gc__tune_opbench_time(struct gc_tune_opbench *b, struct gc_tune_opcand *c, int samples);

#endif
