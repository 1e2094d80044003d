/* SPDX-License-Identifier: MIT */
/* Random tensors from Philox4x32-10 (cl/random.cl, host twin in
 * host/core/philox.c). Each node gets its own stream number; each run of a
 * plan uses the plan's run counter, so every step draws fresh numbers and a
 * resumed run (counter restored) draws the same ones. */
#include <string.h>

#include "graph/graph_impl.h"

static gc_status rand_infer(struct gc_tensor *t)
{
    gc__set_shape(t, t->p.rand.ndim, t->p.rand.shape);
    return GC_OK;
}

static gc_status rand_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    const char *name = t->op == GC_OP_RAND_NORMAL ? "rand_normal_fwd" : "rand_uniform_fwd";
    gc_status s = gc__exec_kernel(x, 0, "random", "", name, &k);
    if (s != GC_OK) return s;
    struct gc_buf y = gc__exec_buf(x, t);
    cl_ulong n = (cl_ulong)t->numel, seed = t->p.rand.seed, ctr = x->rng_counter;
    cl_uint stream = t->p.rand.stream;
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off),  GC_KA(n),
                             GC_KA(seed),  GC_KA(stream), GC_KA(ctr)};
    return gc__launch_1d(x, k, 6, args, t->numel);
}

static double rand_flops(const struct gc_tensor *t)
{
    return 40.0 * (double)t->numel;
}

const struct gc_op_desc gc__op_desc_rand_uniform = {.name = "rand_uniform",
                                                    .program = "random",
                                                    .infer = rand_infer,
                                                    .forward = rand_forward,
                                                    .zero_grad = true,
                                                    .flops = rand_flops};
const struct gc_op_desc gc__op_desc_rand_normal = {.name = "rand_normal",
                                                   .program = "random",
                                                   .infer = rand_infer,
                                                   .forward = rand_forward,
                                                   .zero_grad = true,
                                                   .flops = rand_flops};

static struct gc_tensor *rand_node(struct gc_graph *g, enum gc_op op, uint64_t seed, int ndim,
                                   const int64_t *shape)
{
    if (!shape || ndim < 1 || ndim > GC_MAX_DIMS)
        return gc__graph_fail(g, GC_INVALID_ARG, "%s: bad shape", gc__op_name(op));
    union gc_op_params p = {.rand = {.seed = seed, .stream = g->next_stream++, .ndim = ndim}};
    memcpy(p.rand.shape, shape, sizeof(int64_t) * (size_t)ndim);
    return gc__node(g, op, 0, NULL, &p);
}

struct gc_tensor *gc_rand_uniform(struct gc_graph *g, uint64_t seed, int ndim,
                                  const int64_t *shape)
{
    return rand_node(g, GC_OP_RAND_UNIFORM, seed, ndim, shape);
}

struct gc_tensor *gc_rand_normal(struct gc_graph *g, uint64_t seed, int ndim,
                                 const int64_t *shape)
{
    return rand_node(g, GC_OP_RAND_NORMAL, seed, ndim, shape);
}
