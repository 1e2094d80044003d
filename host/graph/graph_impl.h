/* SPDX-License-Identifier: MIT */
/* Internal representation of graphs, tensors, parameter groups, op
 * descriptors and the executor context. Shared by the graph builder,
 * autodiff, the planner/executor and the op families in host/ops/. */
#ifndef GANCL_GRAPH_IMPL_H
#define GANCL_GRAPH_IMPL_H

#include "cl/clrt.h"
#include "gancl/graph.h"
#include "ops/op_list.h"

#define GC_MAX_INPUTS 4
#define GC_MAX_TUNABLES 4 /* per op descriptor */
#define GC_SHAPE_KEY_MAX 192 /* gc__op_shape_key, with its terminator */

/* Typed parameters of each op family (one member per family). */
struct gc_unary_params {
    float alpha; /* scale: y = alpha*x + beta; leaky relu/step: slope */
    float beta;
};
struct gc_matmul_params {
    bool ta, tb;
};
struct gc_slice_params {
    int64_t start, len;
};
struct gc_fill_params {
    float value;
    int ndim;
    int64_t shape[GC_MAX_DIMS];
};
struct gc_rand_params {
    uint64_t seed;
    uint32_t stream; /* distinct per node so two draws never share numbers */
    int ndim;
    int64_t shape[GC_MAX_DIMS];
};
struct gc_shape_params { /* expand, sum_to, reshape: the target shape */
    int ndim;
    int64_t shape[GC_MAX_DIMS];
};
struct gc_conv_params { /* stride, pad, dilation, output padding per (h, w); kernel size */
    int stride[2], pad[2], dil[2], out_pad[2];
    int kh, kw;
};
union gc_op_params {
    struct gc_unary_params unary;
    struct gc_matmul_params mm;
    struct gc_slice_params slice;
    struct gc_fill_params fill;
    struct gc_rand_params rand;
    struct gc_shape_params shape;
    struct gc_conv_params conv;
    unsigned char raw[64];
};

struct gc_tensor {
    struct gc_graph *g;
    int id; /* creation order = a topological order */
    enum gc_op op;
    int ndim;
    int64_t shape[GC_MAX_DIMS];
    int64_t numel;
    int n_in;
    struct gc_tensor *in[GC_MAX_INPUTS];
    union gc_op_params p;
    char name[96];
    /* parameters */
    struct gc_param_group *group;
    int64_t offset;                /* elements into the group's flat buffers */
    struct gc_tensor *bound_grad;  /* PARAM: tensor stored in its gradient slot */
    struct gc_tensor *grad_slot_of; /* this tensor lives in that param's grad slot */
};

struct gc_param_group {
    struct gc_graph *g;
    char name[64];
    struct gc_tensor **params;
    int n, cap;
    int64_t numel;
    cl_mem data, grad; /* one flat buffer each (llm.c style) */
};

#define GC_MAX_GROUPS 16

struct gc_graph {
    struct gc_device *dev;
    struct gc_tensor **nodes;
    int n, cap;
    gc_status status;
    char error[1024];
    struct gc_param_group *groups[GC_MAX_GROUPS];
    int n_groups;
    uint32_t next_stream;
};

/* ---- op descriptors ------------------------------------------------------ */
struct gc_tunable {
    const char *name;     /* -D name */
    int candidates[8];
    int n_candidates;
    int def;
};

struct gc_exec;

struct gc_op_desc {
    const char *name;
    const char *program; /* cl/<program>.cl; NULL for sources and views */
    bool is_view;        /* output aliases input 0 (no kernel) */
    bool inplace;        /* output may take input 0's storage when it dies here */
    /* Validates inputs/params and sets t->ndim/shape (numel is derived). */
    gc_status (*infer)(struct gc_tensor *t);
    /* Enqueues the kernels computing t. */
    gc_status (*forward)(struct gc_exec *x, const struct gc_tensor *t);
    /* Appends ops for d(loss)/d(input i) given dy = d(loss)/d(t), for each i
     * with need[i]; leaves dx[i] NULL where the gradient is zero. NULL when
     * the op has no gradient at all (autodiff reports it by name). */
    gc_status (*backward)(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                          const bool *need, struct gc_tensor **dx);
    bool zero_grad; /* gradient identically zero (sign, step, rand, fill) */
    /* Scratch elements the forward needs for the duration of its step (im2col
     * patches...), given the node's tunable values tv (see gc__exec_tunables); the
     * planner places them in the arena. NULL: none. */
    int64_t (*workspace)(const struct gc_tensor *t, const int *tv);
    /* Called once at plan creation (e.g. reserving GEMM scratch), so running
     * the plan allocates nothing. NULL: nothing to prepare. */
    gc_status (*prepare)(struct gc_device *dev, const struct gc_tensor *t);
    const struct gc_tunable *tunables; /* at most GC_MAX_TUNABLES */
    int n_tunables;
    /* Tunables (bit i: tunables[i]) this op's kernels do not depend on: they are declared
     * because the op shares its program's options with others (norm_stats does not use
     * EW_WG). The tuner leaves them at their defaults; all set: nothing to tune. */
    unsigned untuned;
    double (*flops)(const struct gc_tensor *t);
};

extern const struct gc_op_desc *const gc__op_descs[GC_OP_COUNT];
/* "-DNAME=value ..." for the op's tunables (values NULL: the static defaults). */
void gc__op_options(const struct gc_op_desc *d, const int *values, char *buf, size_t size);
/* The values a node of d gets on dev when nothing is tuned: each tunable's default, except
 * the element-wise layout's, which comes from gc__ew_values (CPU and GPU differ). */
void gc__op_default_values(const struct gc_device *dev, const struct gc_op_desc *d, int *tv);
/* True when d has a tunable the tuner may change (declared and not in d->untuned). */
bool gc__op_tunable(const struct gc_op_desc *d);
/* The shape key of node t for the tuning record: "op (in shapes)->(out shape)" plus the
 * convolution geometry for conv-family ops, e.g. "sum_to (64,128,16,16)->(1,128,1,1)". */
void gc__op_shape_key(const struct gc_tensor *t, char *buf, size_t size);
const char *gc__op_name(enum gc_op op);

/* ---- graph-building helpers for op families ---------------------------- */
/* Records an error in the graph (first one wins) and returns NULL. */
struct gc_tensor *gc__graph_fail(struct gc_graph *g, gc_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))

#endif
    ;
/* Creates a node of `op` with inputs and params, runs shape inference. Any
 * NULL input (an earlier failure) propagates as NULL. */
struct gc_tensor *gc__node(struct gc_graph *g, enum gc_op op, int n_in,
                           struct gc_tensor *const *in, const union gc_op_params *p);
struct gc_tensor *gc__node1(struct gc_graph *g, enum gc_op op, struct gc_tensor *a,
                            const union gc_op_params *p);
struct gc_tensor *gc__node2(struct gc_graph *g, enum gc_op op, struct gc_tensor *a,
                            struct gc_tensor *b, const union gc_op_params *p);
void gc__set_shape(struct gc_tensor *t, int ndim, const int64_t *shape);
bool gc__same_shape(const struct gc_tensor *a, const struct gc_tensor *b);
/* The shape right-aligned into 4 dims, leading 1s: (3,5) -> (1,1,3,5). */
void gc__shape4(const struct gc_tensor *t, int64_t out[4]);
/* Shape string "(2,3,4)" for messages. */
const char *gc__shape_str(const struct gc_tensor *t, char *buf, size_t size);

/* ---- executor context (what a forward function sees) ------------------- */
struct gc_buf {
    cl_mem mem;
    cl_ulong off; /* in elements */
};
struct gc_exec {
    struct gc_plan *plan;
    struct gc_device *dev;
    int step;             /* index of the step being enqueued */
    uint64_t rng_counter; /* the plan's run counter */
};
struct gc_buf gc__exec_buf(struct gc_exec *x, const struct gc_tensor *t);
/* The current node's tunable values (gc_op_desc.tunables order), resolved once when the plan
 * was created: the device's tuning record for (op, shape key), else gc__op_default_values. */
const int *gc__exec_tunables(struct gc_exec *x);
/* The current step's workspace (see gc_op_desc.workspace). */
struct gc_buf gc__exec_workspace(struct gc_exec *x);
/* The kernel `name` of program/options, cached in the current step's slot
 * `slot` (0..3) after the first run, so replays do no lookups. */
gc_status gc__exec_kernel(struct gc_exec *x, int slot, const char *program, const char *options,
                          const char *name, cl_kernel *out);
/* Sets all arguments and enqueues; global sizes are rounded up to local. */
gc_status gc__exec_launch(struct gc_exec *x, cl_kernel k, int n_args, const struct gc_karg *args,
                          int dims, const size_t *global, const size_t *local);

/* 1-D launch over n elements, one work-item each, with the device's preferred
 * local size (kernels bound-check against n). */
gc_status gc__launch_1d(struct gc_exec *x, cl_kernel k, int n_args, const struct gc_karg *args,
                        int64_t n);

/* Loop budget of one work-item on x's device (gc_device_info.loop_limit): llvmpipe stops every
 * loop of a work-item, silently, once all of them together ran 65535 iterations. Kernels whose
 * loops grow with the shapes split their work over more work-items or launches so that a bound
 * on their count stays within gc__loop_budget: 7/8 of the limit (the rest is headroom for the
 * bounds' own mistakes), INT64_MAX where the device has no limit. The bounds (in host/ops, see
 * gc__loops) charge 1 per iteration and 1 per loop entry: what llvmpipe (Mesa 22.3) measured for
 * these kernels with a probe loop run after the kernel body (col2im, sum_to_lanes,
 * norm_stats_fwd, log_softmax_fwd: 1.00-1.01 per iteration). The 8 work-items of an llvmpipe
 * SIMD vector share one counter, and a loop runs while any lane still needs it, so a bound
 * takes the longest path of the loop nest, not one work-item's own trips. cl/gemm.cl has its
 * own calibrated bounds (host/ops/gemm.c). */
int64_t gc__loop_budget(const struct gc_device *dev);
/* Iterations of a loop of `trips` iterations, entered once: trips + 1. */
static inline int64_t gc__loops(int64_t trips)
{
    return trips + 1;
}
/* GC_UNSUPPORTED naming `what` when `trips` exceeds the budget (for kernels whose work the
 * host cannot split further); GC_OK otherwise. */
gc_status gc__loop_check(const struct gc_device *dev, int64_t trips, const char *what);

/* Element-wise kernels (cl/unary.cl, cl/binary.cl): EW_WG work-items per group,
 * EW_EPI elements each. gc__ew_tunables is what their descriptors declare;
 * gc__ew_values picks the default values for a device (the one place that knows CPU
 * from GPU defaults); a node's values come from gc__exec_tunables. */
#define GC_EW_TUNABLES 2
#define GC_EW_TUNABLE_LIST                                                                         \
    {"EW_WG", {64, 128, 256, 512, 1024}, 5, 256}, {"EW_EPI", {1, 2, 4, 8, 16, 32}, 6, 1}
extern const struct gc_tunable gc__ew_tunables[GC_EW_TUNABLES];
void gc__ew_values(const struct gc_device *dev, int values[GC_EW_TUNABLES]);
/* 1-D launch of an element-wise kernel over n elements, ew = {EW_WG, EW_EPI} (the values
 * the kernel was built with): EW_WG * EW_EPI elements per group. */
gc_status gc__launch_ew(struct gc_exec *x, cl_kernel k, int n_args, const struct gc_karg *args,
                        int64_t n, const int *ew);

/* The optimizer kernels (cl/optim.cl, host/train/optim.c): OPT_WG work-items per group,
 * OPT_EPI elements each; no op descriptor declares them, so they live here beside the
 * element-wise ones (gc_ops_build_all builds the optim program with the defaults). */
#define GC_OPTIM_TUNABLES 2
#define GC_OPTIM_TUNABLE_LIST                                                                      \
    {"OPT_WG", {32, 64, 128, 256, 512, 1024}, 6, 64}, {"OPT_EPI", {1, 2, 4, 8}, 4, 1}
extern const struct gc_tunable gc__optim_tunables[GC_OPTIM_TUNABLES];

/* For the tuner's bench (host/tune/op_bench.c): a plan whose node `node` uses the values
 * tv instead of the record's or the defaults (the other nodes resolve as usual). */
gc_status gc__plan_create_tv(struct gc_graph *g, int n, struct gc_tensor *const *outputs,
                             const struct gc_tensor *node, const int *tv, struct gc_plan **out);
/* Guard checks of the tuner's bench: the plan's activation arenas (buffers and sizes in
 * floats; returns their count) and the arena block of t, or of t's step workspace. */
/* The tunable values the plan resolved for node t (NULL when t is not one of its nodes). */
const int *gc__plan_tunables(const struct gc_plan *p, const struct gc_tensor *t);
int gc__plan_arenas(const struct gc_plan *p, cl_mem *mem, int64_t *floats, int max);
bool gc__plan_block(const struct gc_plan *p, const struct gc_tensor *t, bool workspace,
                    int *arena, int64_t *off, int64_t *len);

#endif
