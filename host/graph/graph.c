/* SPDX-License-Identifier: MIT */
/* Graph construction: nodes in creation (topological) order, the sticky
 * builder error, shape helpers and tensor accessors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "graph/graph_impl.h"

void gc__param_group_free(struct gc_param_group *grp); /* param.c */

gc_status gc_graph_create(struct gc_device *dev, struct gc_graph **out)
{
    struct gc_graph *g = gc_calloc(1, sizeof *g);
    if (!g) return gc_error(GC_NOMEM, "creating a graph: out of host memory");
    g->dev = dev;
    *out = g;
    return GC_OK;
}

void gc_graph_destroy(struct gc_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) gc_free(g->nodes[i]);
    gc_free(g->nodes);
    for (int i = 0; i < g->n_groups; i++) gc__param_group_free(g->groups[i]);
    gc_free(g);
}

gc_status gc_graph_status(const struct gc_graph *g)
{
    return g->status;
}

const char *gc_graph_error(const struct gc_graph *g)
{
    return g->error;
}

struct gc_device *gc_graph_device(const struct gc_graph *g)
{
    return g->dev;
}

int gc_graph_node_count(const struct gc_graph *g)
{
    return g->n;
}

struct gc_tensor *gc__graph_fail(struct gc_graph *g, gc_status s, const char *fmt, ...)
{
    if (g->status == GC_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->error, sizeof g->error, fmt, ap);
        va_end(ap);
        g->status = s;
        gc_error(s, "%s", g->error);
    }
    return NULL;
}

const char *gc__op_name(enum gc_op op)
{
    return op >= 0 && op < GC_OP_COUNT ? gc__op_descs[op]->name : "?";
}

void gc__set_shape(struct gc_tensor *t, int ndim, const int64_t *shape)
{
    t->ndim = ndim;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) {
        t->shape[d] = shape[d];
        t->numel *= shape[d];
    }
}

bool gc__same_shape(const struct gc_tensor *a, const struct gc_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return false;
    return true;
}

void gc__shape4(const struct gc_tensor *t, int64_t out[4])
{
    int pad = 4 - t->ndim;
    for (int d = 0; d < 4; d++) out[d] = d < pad ? 1 : t->shape[d - pad];
}

const char *gc__shape_str(const struct gc_tensor *t, char *buf, size_t size)
{
    int off = snprintf(buf, size, "(");
    for (int d = 0; d < t->ndim && off > 0 && (size_t)off < size; d++)
        off += snprintf(buf + off, size - (size_t)off, "%s%lld", d ? "," : "",
                        (long long)t->shape[d]);
    if (off > 0 && (size_t)off < size) snprintf(buf + off, size - (size_t)off, ")");
    return buf;
}

static struct gc_tensor *append(struct gc_graph *g)
{
    if (g->n == g->cap) {
        int cap = g->cap ? g->cap * 2 : 256;
        struct gc_tensor **nodes = gc_realloc(g->nodes, sizeof *nodes * (size_t)cap);
        if (!nodes) return gc__graph_fail(g, GC_NOMEM, "graph: out of host memory");
        g->nodes = nodes;
        g->cap = cap;
    }
    struct gc_tensor *t = gc_calloc(1, sizeof *t);
    if (!t) return gc__graph_fail(g, GC_NOMEM, "graph: out of host memory");
    t->g = g;
    t->id = g->n;
    g->nodes[g->n++] = t;
    return t;
}

static bool valid_shape(int ndim, const int64_t *shape)
{
    if (ndim < 1 || ndim > GC_MAX_DIMS) return false;
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 1) return false;
    return true;
}

struct gc_tensor *gc__node(struct gc_graph *g, enum gc_op op, int n_in,
                           struct gc_tensor *const *in, const union gc_op_params *p)
{
    if (!g || g->status != GC_OK) return NULL;
    GC_ASSERT(n_in >= 0 && n_in <= GC_MAX_INPUTS);
    for (int i = 0; i < n_in; i++) {
        if (!in[i])
            return gc__graph_fail(g, GC_INVALID_ARG, "%s: input %d is NULL", gc__op_name(op), i);
        if (in[i]->g != g)
            return gc__graph_fail(g, GC_INVALID_ARG, "%s: input %d belongs to another graph",
                                  gc__op_name(op), i);
    }
    struct gc_tensor *t = append(g);
    if (!t) return NULL;
    t->op = op;
    t->n_in = n_in;
    for (int i = 0; i < n_in; i++) t->in[i] = in[i];
    if (p) t->p = *p;
    const struct gc_op_desc *d = gc__op_descs[op];
    gc_status s = d->infer ? d->infer(t) : GC_OK;
    if (s == GC_OK && !valid_shape(t->ndim, t->shape))
        s = gc_error(GC_INVALID_ARG, "%s: produced an invalid shape", d->name);
    if (s != GC_OK) {
        g->n--; /* never observed by anyone */
        gc_free(t);
        return gc__graph_fail(g, s, "%s", gc_last_error());
    }
    snprintf(t->name, sizeof t->name, "%s_%d", d->name, t->id);
    return t;
}

struct gc_tensor *gc__node1(struct gc_graph *g, enum gc_op op, struct gc_tensor *a,
                            const union gc_op_params *p)
{
    struct gc_tensor *in[1] = {a};
    return gc__node(g, op, 1, in, p);
}

struct gc_tensor *gc__node2(struct gc_graph *g, enum gc_op op, struct gc_tensor *a,
                            struct gc_tensor *b, const union gc_op_params *p)
{
    struct gc_tensor *in[2] = {a, b};
    return gc__node(g, op, 2, in, p);
}

/* Sources: created directly (their shape is given, not inferred). */
static struct gc_tensor *source(struct gc_graph *g, enum gc_op op, const char *name, int ndim,
                                const int64_t *shape)
{
    if (!g || g->status != GC_OK) return NULL;
    if (!shape || !valid_shape(ndim, shape))
        return gc__graph_fail(g, GC_INVALID_ARG, "%s '%s': invalid shape", gc__op_name(op),
                              name ? name : "");
    struct gc_tensor *t = append(g);
    if (!t) return NULL;
    t->op = op;
    gc__set_shape(t, ndim, shape);
    snprintf(t->name, sizeof t->name, "%s", name ? name : "");
    return t;
}

struct gc_tensor *gc_input(struct gc_graph *g, const char *name, int ndim, const int64_t *shape)
{
    return source(g, GC_OP_INPUT, name, ndim, shape);
}

struct gc_tensor *gc__param_source(struct gc_graph *g, const char *name, int ndim,
                                   const int64_t *shape)
{
    return source(g, GC_OP_PARAM, name, ndim, shape);
}

int gc_tensor_ndim(const struct gc_tensor *t)
{
    return t->ndim;
}

int64_t gc_tensor_dim(const struct gc_tensor *t, int d)
{
    if (d < 0) d += t->ndim;
    GC_ASSERT_MSG(d >= 0 && d < t->ndim, t->name);
    return t->shape[d];
}

int64_t gc_tensor_numel(const struct gc_tensor *t)
{
    return t->numel;
}

const char *gc_tensor_name(const struct gc_tensor *t)
{
    return t->name;
}

void gc_tensor_set_name(struct gc_tensor *t, const char *name)
{
    snprintf(t->name, sizeof t->name, "%s", name);
}

const char *gc_tensor_op_name(const struct gc_tensor *t)
{
    return gc__op_name(t->op);
}
