/* SPDX-License-Identifier: MIT */
/* Reverse-mode autodiff that appends ordinary ops: each op's backward builds
 * its input gradients out of other ops, so the result is itself a graph that
 * can be differentiated again (WGAN-GP's penalty, R1). */
#include <string.h>

#include "gancl/alloc.h"
#include "graph/graph_impl.h"

/* reach[i]: node i depends on some wrt tensor (forward reachability). */
static void mark_dependents(const struct gc_graph *g, int n, struct gc_tensor *const *wrt,
                            bool *reach, int limit)
{
    for (int i = 0; i < n; i++) reach[wrt[i]->id] = true;
    for (int i = 0; i < limit; i++) {
        const struct gc_tensor *t = g->nodes[i];
        if (t->op == GC_OP_DETACH) continue; /* stop-gradient */
        for (int k = 0; k < t->n_in && !reach[i]; k++)
            if (reach[t->in[k]->id]) reach[i] = true;
    }
}

static gc_status accumulate(struct gc_graph *g, struct gc_tensor **slot, struct gc_tensor *dx)
{
    *slot = *slot ? gc_add(g, *slot, dx) : dx;
    return *slot ? GC_OK : gc_graph_status(g);
}

/* Backward step of node t with incoming gradient dy. */
static gc_status backward_node(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                               const bool *reach, struct gc_tensor **grads)
{
    const struct gc_op_desc *d = gc__op_descs[t->op];
    bool need[GC_MAX_INPUTS] = {false};
    bool any = false;
    for (int k = 0; k < t->n_in; k++) any |= need[k] = reach[t->in[k]->id];
    if (!any || d->zero_grad || t->op == GC_OP_DETACH) return GC_OK;
    if (!d->backward)
        return gc_error(GC_UNSUPPORTED, "op '%s' (tensor %s) has no gradient", d->name, t->name);
    struct gc_tensor *dx[GC_MAX_INPUTS] = {NULL};
    gc_status s = d->backward(g, t, dy, need, dx);
    if (s == GC_OK) s = gc_graph_status(g);
    for (int k = 0; k < t->n_in && s == GC_OK; k++)
        if (need[k] && dx[k]) s = accumulate(g, &grads[t->in[k]->id], dx[k]);
    return s == GC_OK ? s : gc_error_context(s, "gradient of %s", t->name);
}

static gc_status run_backward(struct gc_graph *g, struct gc_tensor *loss, const bool *reach,
                              struct gc_tensor **grads, int limit)
{
    grads[loss->id] = gc_fill(g, 1.0f, loss->ndim, loss->shape);
    if (!grads[loss->id]) return gc_graph_status(g);
    for (int i = loss->id; i >= 0; i--) {
        if (i >= limit || !grads[i] || !reach[i]) continue;
        gc_status s = backward_node(g, g->nodes[i], grads[i], reach, grads);
        if (s != GC_OK) return s;
    }
    return GC_OK;
}

gc_status gc_grad(struct gc_graph *g, struct gc_tensor *loss, int n, struct gc_tensor *const *wrt,
                  struct gc_tensor **grads_out)
{
    if (g->status != GC_OK) return g->status;
    if (!loss) return gc_error(GC_INVALID_ARG, "gc_grad: loss is NULL");
    for (int i = 0; i < n; i++)
        if (!wrt[i] || wrt[i]->g != g)
            return gc_error(GC_INVALID_ARG, "gc_grad: wrt[%d] is not a tensor of this graph", i);
    int limit = g->n; /* nodes appended while differentiating are not revisited */
    bool *reach = gc_calloc((size_t)limit, sizeof *reach);
    struct gc_tensor **grads = gc_calloc((size_t)limit, sizeof *grads);
    gc_status s = reach && grads ? GC_OK : gc_error(GC_NOMEM, "gc_grad: out of host memory");
    if (s == GC_OK) {
        mark_dependents(g, n, wrt, reach, limit);
        if (reach[loss->id]) s = run_backward(g, loss, reach, grads, limit);
    }
    for (int i = 0; i < n && s == GC_OK; i++) {
        grads_out[i] = grads[wrt[i]->id];
        if (!grads_out[i]) grads_out[i] = gc_fill(g, 0.0f, wrt[i]->ndim, wrt[i]->shape);
        if (!grads_out[i]) s = gc_graph_status(g);
    }
    gc_free(reach);
    gc_free(grads);
    if (s != GC_OK && g->status == GC_OK) {
        /* make the failure sticky too, so later builders stop */
        char msg[1024];
        strncpy(msg, gc_last_error(), sizeof msg - 1);
        msg[sizeof msg - 1] = '\0';
        gc__graph_fail(g, s, "%s", msg);
    }
    return s;
}
