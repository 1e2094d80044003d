/* SPDX-License-Identifier: MIT */
/* Planner and executor. A plan is the ordered list of nodes needed for its
 * outputs plus one storage decision per tensor: parameter buffer, gradient
 * slot, or an offset in an activation arena assigned by liveness (best fit,
 * in place where the op allows). Arenas are created once, here; running a
 * plan only enqueues kernels. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"
#include "graph/arena.h"
#include "graph/graph_impl.h"
#include "tune/lookup.h"

#define ELEM_ALIGN 16 /* 64-byte aligned tensors */
#define KERNEL_SLOTS 4
#define STEP_EVENTS 8 /* kernel events kept per step in profiling mode */

/* Profiling mode: every launch through gc__exec_launch keeps its event, and a
 * marker closes each step. A step's time is the END of its marker minus the
 * END of the previous one (the plan's opening marker for step 0): that span
 * covers whatever the step enqueued, including GEMMs handed to gc__gemm or
 * CLBlast, which leave no event here. The kernel events are the fallback where
 * a platform gives markers no timestamps. */
struct step {
    const struct gc_tensor *t;
    struct gc_buf ws; /* workspace, if the op asked for one */
    cl_kernel kern[KERNEL_SLOTS];
    cl_event ev[STEP_EVENTS]; /* profiling mode only */
    int n_ev;
    cl_event mark; /* profiling mode only: marker after the step's commands */
};

struct slot {
    int kind; /* 0 none, 1 arena, 2 param, 3 grad, 4 view, 5 arena (freed), 6 arena (moved) */
    struct gc_arena_block blk;
    struct gc_buf buf;
};

struct gc_plan {
    struct gc_graph *g;
    struct gc_device *dev;
    int n_nodes; /* graph size when planned */
    struct step *steps;
    int n_steps;
    struct slot *slots; /* by tensor id */
    struct gc_arena_block *ws; /* workspace blocks by tensor id (size 0: none) */
    int (*tv)[GC_MAX_TUNABLES]; /* tunable values by tensor id, resolved at creation */
    const struct gc_tensor *forced; /* gc__plan_create_tv: this node takes forced_tv */
    int forced_tv[GC_MAX_TUNABLES];
    cl_mem arenas[64];
    int64_t arena_floats[64];
    int n_arenas;
    struct gc_plan_stats stats;
    uint64_t rng_counter;
    cl_event mark0; /* profiling mode only: marker before the first step */
};

static const struct gc_tensor *root_of(const struct gc_tensor *t)
{
    while (gc__op_descs[t->op]->is_view) t = t->in[0];
    return t;
}

static int64_t padded(int64_t n)
{
    return (n + ELEM_ALIGN - 1) / ELEM_ALIGN * ELEM_ALIGN;
}

/* needed[i]: node i is required by some output. */
static gc_status mark_needed(struct gc_plan *p, int n, struct gc_tensor *const *outs, bool *needed)
{
    for (int i = 0; i < n; i++) {
        if (!outs[i] || outs[i]->g != p->g || outs[i]->id >= p->n_nodes)
            return gc_error(GC_INVALID_ARG, "plan output %d is not a tensor of this graph", i);
        needed[outs[i]->id] = true;
    }
    for (int i = p->n_nodes - 1; i >= 0; i--) {
        if (!needed[i]) continue;
        const struct gc_tensor *t = p->g->nodes[i];
        for (int k = 0; k < t->n_in; k++) needed[t->in[k]->id] = true;
    }
    return GC_OK;
}

/* last[root id] = index of the last step reading it (INT_MAX if an output). */
static void liveness(struct gc_plan *p, const bool *needed, int n, struct gc_tensor *const *outs,
                     int *last)
{
    for (int i = 0; i < p->n_nodes; i++) last[i] = -1;
    int s = 0;
    for (int i = 0; i < p->n_nodes; i++) {
        if (!needed[i]) continue;
        const struct gc_tensor *t = p->g->nodes[i];
        bool runs = t->op != GC_OP_INPUT && t->op != GC_OP_PARAM && !gc__op_descs[t->op]->is_view;
        for (int k = 0; k < t->n_in; k++) {
            int r = root_of(t->in[k])->id;
            if (runs && last[r] < s) last[r] = s;
        }
        if (runs) s++;
    }
    for (int i = 0; i < n; i++) last[root_of(outs[i])->id] = INT_MAX;
    for (int i = 0; i < p->n_nodes; i++)
        if (needed[i] && p->g->nodes[i]->op == GC_OP_INPUT) last[i] = INT_MAX;
}

/* Fixed (non-arena) storage: parameters and bound gradients. */
static gc_status fixed_storage(struct gc_plan *p, const struct gc_tensor *t)
{
    struct slot *sl = &p->slots[t->id];
    const struct gc_tensor *owner = t->op == GC_OP_PARAM ? t : t->grad_slot_of;
    if (!owner->group->data)
        return gc_error(GC_INVALID_ARG, "parameter group %s is used before gc_param_group_alloc",
                        owner->group->name);
    sl->kind = t->op == GC_OP_PARAM ? 2 : 3;
    sl->buf.mem = t->op == GC_OP_PARAM ? owner->group->data : owner->group->grad;
    sl->buf.off = (cl_ulong)owner->offset;
    return GC_OK;
}

/* Can t (at step s) write over its first input's block? */
static bool take_inplace(struct gc_plan *p, const struct gc_tensor *t, const int *last, int s)
{
    if (!gc__op_descs[t->op]->inplace || t->n_in < 1) return false;
    const struct gc_tensor *r = root_of(t->in[0]);
    struct slot *rs = &p->slots[r->id];
    /* Equal element counts, not just equal padded sizes: a broadcast first
     * input (1, 4) -> (4, 4) pads to the same 16 floats, but y[i] would
     * overwrite a[i] while other work-items still read a[i % 4]. */
    if (rs->kind != 1 || last[r->id] != s || r->numel != t->numel) return false;
    for (int k = 1; k < t->n_in; k++) /* another input aliasing it would be clobbered */
        if (root_of(t->in[k]) == r) return false;
    p->slots[t->id] = *rs;
    rs->kind = 6; /* ownership of the block moves to t */
    return true;
}

/* Inputs are written before the run starts, so they occupy the arena from
 * the first step on: place them before anything else. */
static gc_status place_inputs(struct gc_plan *p, struct gc_arenas *ar, const bool *needed)
{
    for (int i = 0; i < p->n_nodes; i++) {
        const struct gc_tensor *t = p->g->nodes[i];
        if (!needed[i] || t->op != GC_OP_INPUT) continue;
        p->slots[i].kind = 1;
        gc_status st = gc__arenas_alloc(ar, padded(t->numel), &p->slots[i].blk);
        if (st != GC_OK) return st;
    }
    return GC_OK;
}

static gc_status assign_arena(struct gc_plan *p, struct gc_arenas *ar, const bool *needed,
                              const int *last)
{
    gc_status st0 = place_inputs(p, ar, needed);
    if (st0 != GC_OK) return st0;
    int s = 0;
    for (int i = 0; i < p->n_nodes; i++) {
        if (!needed[i]) continue;
        const struct gc_tensor *t = p->g->nodes[i];
        gc_status st = GC_OK;
        if (t->op == GC_OP_INPUT) continue;
        if (t->op == GC_OP_PARAM || t->grad_slot_of) st = fixed_storage(p, t);
        else if (gc__op_descs[t->op]->is_view) p->slots[i].kind = 4;
        else if (!take_inplace(p, t, last, s)) {
            p->slots[i].kind = 1;
            st = gc__arenas_alloc(ar, padded(t->numel), &p->slots[i].blk);
            p->stats.naive_bytes += padded(t->numel) * 4;
        } else {
            p->stats.naive_bytes += padded(t->numel) * 4;
        }
        if (st != GC_OK) return st;
        if (t->op == GC_OP_INPUT || t->op == GC_OP_PARAM || gc__op_descs[t->op]->is_view)
            continue;
        int64_t wsz = gc__op_descs[t->op]->workspace ? gc__op_descs[t->op]->workspace(t, p->tv[i]) : 0;
        if (wsz > 0) { /* live during this step only */
            st = gc__arenas_alloc(ar, padded(wsz), &p->ws[i]);
            if (st != GC_OK) return gc_error_context(st, "workspace of %s", t->name);
            gc__arenas_free(ar, &p->ws[i]);
        }
        for (int k = 0; k < t->n_in; k++) { /* inputs that die here */
            const struct gc_tensor *r = root_of(t->in[k]);
            if (p->slots[r->id].kind == 1 && last[r->id] == s) {
                gc__arenas_free(ar, &p->slots[r->id].blk);
                p->slots[r->id].kind = 5; /* freed, keeps its block for resolution */
            }
        }
        if (p->slots[i].kind == 1 && last[i] < s + 1 && last[i] != INT_MAX) {
            gc__arenas_free(ar, &p->slots[i].blk); /* computed but never read */
            p->slots[i].kind = 5;
        }
        s++;
    }
    return GC_OK;
}

static gc_status create_arenas(struct gc_plan *p, const struct gc_arenas *ar)
{
    for (int k = 0; k < ar->n; k++) {
        gc_status s = gc__buffer_create(p->dev, (size_t)ar->top[k] * 4, &p->arenas[k]);
        if (s != GC_OK)
            return gc_error_context(s, "activation arena %d of %d (%lld bytes)", k + 1, ar->n,
                                    (long long)ar->top[k] * 4);
        p->arena_floats[p->n_arenas++] = ar->top[k];
    }
    return GC_OK;
}

/* Each node's tunable values, once, before the workspaces are sized: the forced values of
 * gc__plan_create_tv, the device's tuning record for the node's (op, shape key), or the
 * defaults. The step loop then reads them without a lookup. */
static void resolve_tunables(struct gc_plan *p, const bool *needed)
{
    for (int i = 0; i < p->n_nodes; i++) {
        const struct gc_tensor *t = p->g->nodes[i];
        const struct gc_op_desc *d = gc__op_descs[t->op];
        if (!needed[i] || d->n_tunables == 0 || d->is_view) continue;
        GC_ASSERT_MSG(d->n_tunables <= GC_MAX_TUNABLES, d->name);
        gc__op_default_values(p->dev, d, p->tv[i]);
        if (t == p->forced) {
            memcpy(p->tv[i], p->forced_tv, sizeof p->tv[i]);
            continue;
        }
        if (!gc__op_tunable(d)) continue;
        char key[GC_SHAPE_KEY_MAX];
        gc__op_shape_key(t, key, sizeof key);
        int v[GC_MAX_TUNABLES];
        if (!gc__tune_lookup_op(p->dev, t, key, v)) continue;
        for (int k = 0; k < d->n_tunables; k++) /* untuned ones keep the device's default */
            if (!(d->untuned >> k & 1)) p->tv[i][k] = v[k];
    }
}

/* Resolves every tensor to (buffer, offset); views take their root's. */
static void resolve(struct gc_plan *p, const bool *needed)
{
    for (int i = 0; i < p->n_nodes; i++) {
        if (!needed[i]) continue;
        struct slot *sl = &p->slots[i];
        if (sl->kind == 1 || sl->kind == 5 || sl->kind == 6) {
            sl->buf.mem = p->arenas[sl->blk.arena];
            sl->buf.off = (cl_ulong)sl->blk.off;
        }
    }
    for (int i = 0; i < p->n_nodes; i++)
        if (needed[i] && p->slots[i].kind == 4)
            p->slots[i].buf = p->slots[root_of(p->g->nodes[i])->id].buf;
}

static gc_status build_steps(struct gc_plan *p, const bool *needed)
{
    p->steps = gc_calloc((size_t)p->n_nodes + 1, sizeof *p->steps);
    if (!p->steps) return gc_error(GC_NOMEM, "planner: out of host memory");
    for (int i = 0; i < p->n_nodes; i++) {
        const struct gc_tensor *t = p->g->nodes[i];
        if (!needed[i] || t->op == GC_OP_INPUT || t->op == GC_OP_PARAM ||
            gc__op_descs[t->op]->is_view)
            continue;
        struct step *st = &p->steps[p->n_steps++];
        st->t = t;
        if (p->ws[i].size > 0)
            st->ws = (struct gc_buf){p->arenas[p->ws[i].arena], (cl_ulong)p->ws[i].off};
    }
    p->stats.steps = p->n_steps;
    return GC_OK;
}

/* Logs the storage decision of every step (GC_LOG_DEBUG). */
static void log_plan(const struct gc_plan *p)
{
    for (int i = 0; i < p->n_steps; i++) {
        const struct gc_tensor *t = p->steps[i].t;
        const struct slot *sl = &p->slots[t->id];
        const struct gc_arena_block *w = &p->ws[t->id];
        gc_log(GC_LOG_DEBUG, "step %d %s: kind %d arena %d [%lld, +%lld) ws [%lld, +%lld)", i,
               t->name, sl->kind, sl->blk.arena, (long long)sl->blk.off, (long long)sl->blk.size,
               (long long)w->off, (long long)w->size);
    }
}

static gc_status plan_storage(struct gc_plan *p, int n, struct gc_tensor *const *outs)
{
    bool *needed = gc_calloc((size_t)p->n_nodes, sizeof *needed);
    int *last = gc_calloc((size_t)p->n_nodes, sizeof *last);
    struct gc_arenas ar;
    int64_t cap = (int64_t)(p->dev->info.max_alloc / 4) / ELEM_ALIGN * ELEM_ALIGN;
    gc__arenas_init(&ar, cap);
    gc_status s = needed && last ? GC_OK : gc_error(GC_NOMEM, "planner: out of host memory");
    if (s == GC_OK) s = mark_needed(p, n, outs, needed);
    if (s == GC_OK) {
        liveness(p, needed, n, outs, last);
        resolve_tunables(p, needed);
        s = assign_arena(p, &ar, needed, last);
    }
    if (s == GC_OK) s = create_arenas(p, &ar);
    if (s == GC_OK) {
        resolve(p, needed);
        s = build_steps(p, needed);
        log_plan(p);
        p->stats.arena_bytes = gc__arenas_peak(&ar) * 4;
        p->stats.arena_count = ar.n;
    }
    gc__arenas_release(&ar);
    gc_free(needed);
    gc_free(last);
    return s;
}

static void count_param_bytes(struct gc_plan *p)
{
    for (int i = 0; i < p->g->n_groups; i++)
        p->stats.param_bytes += p->g->groups[i]->numel * 8;
}

gc_status gc__plan_create_tv(struct gc_graph *g, int n, struct gc_tensor *const *outputs,
                             const struct gc_tensor *node, const int *tv, struct gc_plan **out)
{
    if (g->status != GC_OK)
        return gc_error(g->status, "cannot plan a graph with an error: %s", g->error);
    struct gc_plan *p = gc_calloc(1, sizeof *p);
    if (!p) return gc_error(GC_NOMEM, "planner: out of host memory");
    p->g = g;
    p->dev = g->dev;
    p->n_nodes = g->n;
    p->forced = node;
    if (node) memcpy(p->forced_tv, tv, sizeof p->forced_tv);
    p->slots = gc_calloc((size_t)g->n + 1, sizeof *p->slots);
    p->ws = gc_calloc((size_t)g->n + 1, sizeof *p->ws);
    p->tv = gc_calloc((size_t)g->n + 1, sizeof *p->tv);
    gc_status s = p->slots && p->ws && p->tv ? plan_storage(p, n, outputs)
                                             : gc_error(GC_NOMEM, "planner: out of host memory");
    for (int i = 0; i < (s == GC_OK ? p->n_steps : 0); i++) {
        const struct gc_op_desc *d = gc__op_descs[p->steps[i].t->op];
        if (d->prepare) s = d->prepare(p->dev, p->steps[i].t);
        if (s != GC_OK) break;
    }
    if (s != GC_OK) {
        gc_plan_destroy(p);
        return s;
    }
    count_param_bytes(p);
    *out = p;
    return GC_OK;
}

gc_status gc_plan_create(struct gc_graph *g, int n, struct gc_tensor *const *outputs,
                         struct gc_plan **out)
{
    return gc__plan_create_tv(g, n, outputs, NULL, NULL, out);
}

const int *gc__plan_tunables(const struct gc_plan *p, const struct gc_tensor *t)
{
    return t->g == p->g && t->id < p->n_nodes ? p->tv[t->id] : NULL;
}

int gc__plan_arenas(const struct gc_plan *p, cl_mem *mem, int64_t *floats, int max)
{
    for (int k = 0; k < p->n_arenas && k < max; k++) {
        mem[k] = p->arenas[k];
        floats[k] = p->arena_floats[k];
    }
    return p->n_arenas;
}

bool gc__plan_block(const struct gc_plan *p, const struct gc_tensor *t, bool workspace,
                    int *arena, int64_t *off, int64_t *len)
{
    if (t->g != p->g || t->id >= p->n_nodes) return false;
    const struct slot *sl = &p->slots[t->id];
    const struct gc_arena_block *b = workspace ? &p->ws[t->id] : &sl->blk;
    if (workspace ? b->size <= 0 : !(sl->kind == 1 || sl->kind == 5 || sl->kind == 6)) return false;
    *arena = b->arena;
    *off = b->off;
    *len = workspace ? b->size : t->numel;
    return true;
}

static void release_event(cl_event *ev)
{
    if (*ev) clReleaseEvent(*ev);
    *ev = NULL;
}

static void release_events(struct gc_plan *p)
{
    for (int i = 0; i < p->n_steps; i++) {
        struct step *st = &p->steps[i];
        for (int k = 0; k < st->n_ev; k++) release_event(&st->ev[k]);
        st->n_ev = 0;
        release_event(&st->mark);
    }
    release_event(&p->mark0);
}

void gc_plan_destroy(struct gc_plan *p)
{
    if (!p) return;
    if (p->dev && p->dev->queue) clFinish(p->dev->queue);
    release_events(p);
    for (int k = 0; k < p->n_arenas; k++) gc__buffer_release(p->arenas[k]);
    gc_free(p->steps);
    gc_free(p->slots);
    gc_free(p->ws);
    gc_free(p->tv);
    gc_free(p);
}

void gc_plan_get_stats(const struct gc_plan *p, struct gc_plan_stats *out)
{
    *out = p->stats;
}

struct gc_buf gc__exec_buf(struct gc_exec *x, const struct gc_tensor *t)
{
    GC_ASSERT_MSG(t->id < x->plan->n_nodes && x->plan->slots[t->id].buf.mem, t->name);
    return x->plan->slots[t->id].buf;
}

const int *gc__exec_tunables(struct gc_exec *x)
{
    return x->plan->tv[x->plan->steps[x->step].t->id];
}

struct gc_buf gc__exec_workspace(struct gc_exec *x)
{
    struct step *st = &x->plan->steps[x->step];
    GC_ASSERT_MSG(st->ws.mem, st->t->name);
    return st->ws;
}

gc_status gc__exec_kernel(struct gc_exec *x, int slot, const char *program, const char *options,
                          const char *name, cl_kernel *out)
{
    GC_ASSERT(slot >= 0 && slot < KERNEL_SLOTS);
    struct step *st = &x->plan->steps[x->step];
    if (!st->kern[slot]) {
        gc_status s = gc__kernel_get(x->dev, program, options, name, &st->kern[slot]);
        if (s != GC_OK) return s;
    }
    *out = st->kern[slot];
    return GC_OK;
}

gc_status gc__exec_launch(struct gc_exec *x, cl_kernel k, int n_args, const struct gc_karg *args,
                          int dims, const size_t *global, const size_t *local)
{
    struct step *st = &x->plan->steps[x->step];
    cl_event *ev = NULL;
    if (x->dev->profiling) { /* beyond STEP_EVENTS only the marker times the step */
        if (st->n_ev == STEP_EVENTS) release_event(&st->ev[--st->n_ev]);
        ev = &st->ev[st->n_ev];
    }
    gc_status s = gc__enqueue(x->dev, k, n_args, args, dims, global, local, ev);
    if (ev && s == GC_OK && *ev) st->n_ev++;
    return s == GC_OK ? s : gc_error_context(s, "%s", st->t->name);
}

static bool is_cpu(const struct gc_device *dev)
{
    return dev->info.type == GC_DEVICE_CPU;
}

gc_status gc__launch_1d(struct gc_exec *x, cl_kernel k, int n_args, const struct gc_karg *args,
                        int64_t n)
{
    /* 64 work-items per group suit GPUs and let PoCL vectorise across them;
     * PoCL pays a fixed cost per group, so CPUs get 256 (fewer groups, the
     * same vectorised loop). Global is rounded up; kernels bound-check. */
    size_t g = (size_t)n, l = is_cpu(x->dev) ? 256 : 64;
    return gc__exec_launch(x, k, n_args, args, 1, &g, &l);
}

int64_t gc__loop_budget(const struct gc_device *dev)
{
    uint32_t lim = dev->info.loop_limit;
    return lim ? (int64_t)(lim - lim / 8) : INT64_MAX;
}

gc_status gc__loop_check(const struct gc_device *dev, int64_t trips, const char *what)
{
    if (trips <= gc__loop_budget(dev)) return GC_OK;
    return gc_error(GC_UNSUPPORTED,
                    "%s: a work-item would run ~%lld loop iterations, more than %s allows "
                    "(%u in all, all loops together)",
                    what, (long long)trips, dev->info.name, dev->info.loop_limit);
}

const struct gc_tunable gc__ew_tunables[GC_EW_TUNABLES] = {GC_EW_TUNABLE_LIST};

/* CPU (PoCL): 256 x 1. The per-group cost is what made 64-item groups slow;
 * more elements per item lose PoCL's vectorisation across work-items (the
 * unrolled loop does not get it back): on dcgan32, one PoCL thread, 256x1 ran
 * add/mul/norm_apply in 16/7-15/18-28 ms against 32-38/26-43/69-85 for 256x16
 * and 256x4, 1024x1 within noise of 256x1. GPUs: 256 x 4, enough groups to fill
 * the device on the smallest tensors of a step, each load a coalesced row of
 * the group. GANCL_EW_WG / GANCL_EW_EPI override both (for ranking variants). */
void gc__ew_values(const struct gc_device *dev, int values[GC_EW_TUNABLES])
{
    values[0] = 256;
    values[1] = is_cpu(dev) ? 1 : 4;
    const char *names[GC_EW_TUNABLES] = {"GANCL_EW_WG", "GANCL_EW_EPI"};
    for (int i = 0; i < GC_EW_TUNABLES; i++) {
        const char *e = getenv(names[i]);
        int v = e ? atoi(e) : 0;
        if (v >= 1 && v <= 1024) values[i] = v;
    }
    if ((size_t)values[0] > dev->info.max_work_group) values[0] = (int)dev->info.max_work_group;
}

gc_status gc__launch_ew(struct gc_exec *x, cl_kernel k, int n_args, const struct gc_karg *args,
                        int64_t n, const int *ew)
{
    int64_t per = (int64_t)ew[0] * ew[1];
    size_t l = (size_t)ew[0], g = (size_t)((n + per - 1) / per) * l;
    if (g == 0) g = l;
    return gc__exec_launch(x, k, n_args, args, 1, &g, &l);
}

/* Profiling mode: a marker whose END is when every command before it ended. */
static gc_status mark(struct gc_plan *p, cl_event *ev)
{
    GC_CL_CHECK(p->dev, clEnqueueMarkerWithWaitList(p->dev->queue, 0, NULL, ev),
                "enqueueing a profiling marker");
    return GC_OK;
}

gc_status gc_plan_run(struct gc_plan *p)
{
    struct gc_exec x = {p, p->dev, 0, p->rng_counter};
    bool prof = p->dev->profiling;
    if (prof) release_events(p); /* each run's profile replaces the last */
    gc_status s0 = prof ? mark(p, &p->mark0) : GC_OK;
    if (s0 != GC_OK) return s0;
    for (int i = 0; i < p->n_steps; i++) {
        x.step = i;
        const struct gc_tensor *t = p->steps[i].t;
        gc_status s = gc__op_descs[t->op]->forward(&x, t);
        if (s == GC_OK && prof) s = mark(p, &p->steps[i].mark);
        if (s != GC_OK) return gc_error_context(s, "running %s (%s)", t->name, gc__op_name(t->op));
    }
    p->rng_counter++;
    return GC_OK;
}

static gc_status slot_of(struct gc_plan *p, const struct gc_tensor *t, struct gc_buf *b)
{
    if (!t || t->g != p->g || t->id >= p->n_nodes || !p->slots[t->id].buf.mem)
        return gc_error(GC_INVALID_ARG, "tensor %s is not part of this plan",
                        t ? t->name : "(NULL)");
    *b = p->slots[t->id].buf;
    return GC_OK;
}

gc_status gc_plan_write(struct gc_plan *p, struct gc_tensor *t, const float *src)
{
    struct gc_buf b = {NULL, 0};
    gc_status s = slot_of(p, t, &b);
    if (s != GC_OK) return s;
    GC_CL_CHECK(p->dev, clEnqueueWriteBuffer(p->dev->queue, b.mem, CL_TRUE, b.off * 4,
                                             (size_t)t->numel * 4, src, 0, NULL, NULL),
                "uploading an input");
    return GC_OK;
}

static gc_status read(struct gc_plan *p, const struct gc_tensor *t, float *dst, cl_bool block)
{
    struct gc_buf b = {NULL, 0};
    gc_status s = slot_of(p, t, &b);
    if (s != GC_OK) return s;
    GC_CL_CHECK(p->dev, clEnqueueReadBuffer(p->dev->queue, b.mem, block, b.off * 4,
                                            (size_t)t->numel * 4, dst, 0, NULL, NULL),
                "reading a result");
    return GC_OK;
}

gc_status gc_plan_read(struct gc_plan *p, const struct gc_tensor *t, float *dst)
{
    return read(p, t, dst, CL_TRUE);
}

gc_status gc_plan_read_async(struct gc_plan *p, const struct gc_tensor *t, float *dst)
{
    return read(p, t, dst, CL_FALSE);
}

void gc_plan_set_rng_counter(struct gc_plan *p, uint64_t counter)
{
    p->rng_counter = counter;
}

uint64_t gc_plan_rng_counter(const struct gc_plan *p)
{
    return p->rng_counter;
}

static void add_time(struct gc_op_time *times, int max, int *n, const char *op, double ms)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(times[i].op, op) == 0) {
            times[i].calls++;
            times[i].ms += ms;
            return;
        }
    if (*n < max) times[(*n)++] = (struct gc_op_time){op, 1, ms};
}

double gc_plan_flops(const struct gc_plan *p)
{
    double f = 0;
    for (int i = 0; i < p->n_steps; i++) {
        const struct gc_op_desc *d = gc__op_descs[p->steps[i].t->op];
        if (d->flops) f += d->flops(p->steps[i].t);
    }
    return f;
}

static cl_ulong event_time(cl_event ev, cl_profiling_info what)
{
    cl_ulong t = 0;
    if (ev && clGetEventProfilingInfo(ev, what, sizeof t, &t, NULL) != CL_SUCCESS) t = 0;
    return t;
}

gc_status gc_plan_profile(struct gc_plan *p, struct gc_op_time *times, int max, int *n)
{
    *n = 0;
    if (!p->dev->profiling)
        return gc_error(GC_UNSUPPORTED, "profiling needs a device opened with profiling on");
    gc_status s = gc_device_finish(p->dev);
    cl_ulong prev = event_time(p->mark0, CL_PROFILING_COMMAND_END);
    for (int i = 0; i < p->n_steps && s == GC_OK; i++) {
        const struct step *st = &p->steps[i];
        cl_ulong end = event_time(st->mark, CL_PROFILING_COMMAND_END);
        double ms = 0;
        if (prev && end >= prev) {
            ms = (double)(end - prev) * 1e-6;
        } else { /* no marker timestamps: the step's kernels alone */
            for (int k = 0; k < st->n_ev; k++)
                ms += (double)(event_time(st->ev[k], CL_PROFILING_COMMAND_END) -
                               event_time(st->ev[k], CL_PROFILING_COMMAND_START)) * 1e-6;
        }
        prev = end;
        if (st->mark || st->n_ev) add_time(times, max, n, gc__op_name(st->t->op), ms);
    }
    return s;
}
