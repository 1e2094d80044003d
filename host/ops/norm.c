/* SPDX-License-Identifier: MIT */
/* Batch, instance and layer normalisation (PyTorch BatchNorm2d,
 * InstanceNorm2d, LayerNorm([C, H, W])). Kernels: cl/norm.cl.
 *
 * Every norm is two fused ops: norm_stats (mean and 1/sqrt(var + eps) of
 * each group, one work-group per group, one kernel) and norm_apply ((x -
 * mean) * rstd * gamma + beta, one element-wise kernel). Their gradients
 * are written with ordinary ops (slice, concat, sub, mul, sum_to, scale) and
 * norm_apply itself, so they can be differentiated again.
 *
 * Batch norm's running statistics: the caller passes running_mean and
 * running_var as parameters (gc_param, shape (C)). gc_batch_norm then puts a
 * third op, norm_running_update, between norm_stats and norm_apply: it passes
 * the statistics through unchanged (in place, when the planner allows) and,
 * as a side effect, updates the two parameters in their group's buffer.
 * Because the normalised output depends on its result, any plan that
 * computes the batch norm (or anything downstream, or its gradients) runs the
 * update exactly once per gc_plan_run, in order, with no planner support
 * and no extra host work: PyTorch's "each training-mode forward updates the
 * buffers", replayed. */
#include <string.h>

#include "gancl/nn_ops.h"
#include "graph/graph_impl.h"

/* In union gc_op_params' raw bytes (see host/ops/pad.c). */
struct norm_params {
    int kind; /* enum gc_norm_kind */
    int has_gamma, has_beta;
    float eps;
    float momentum; /* running update */
    float unbias;   /* running update: M / (M - 1) */
};
_Static_assert(sizeof(struct norm_params) <= sizeof(((union gc_op_params *)0)->raw),
               "norm params must fit the op parameter union");

static struct norm_params norm_of(const struct gc_tensor *t)
{
    struct norm_params p;
    memcpy(&p, t->p.raw, sizeof p);
    return p;
}

static union gc_op_params pack(struct norm_params p)
{
    union gc_op_params u;
    memset(&u, 0, sizeof u);
    memcpy(u.raw, &p, sizeof p);
    return u;
}

/* One program, one set of options for all three ops (gc_ops_build_all builds
 * each descriptor's program with its tunables). */
static const struct gc_tunable norm_tunables[] = {
    {"NORM_WG", {16, 32, 64, 128, 256}, 5, 64}, /* norm_stats_fwd */
    GC_EW_TUNABLE_LIST,                         /* norm_apply: the element-wise layout */
};
#define NORM_TUNABLES 3

extern const struct gc_op_desc gc__op_desc_norm_stats;

/* The norm program with the node's values (gc__exec_tunables: NORM_WG, EW_WG, EW_EPI). */
static gc_status norm_kernel(struct gc_exec *x, int slot, const char *name, cl_kernel *k)
{
    char opts[128];
    gc__op_options(&gc__op_desc_norm_stats, gc__exec_tunables(x), opts, sizeof opts);
    return gc__exec_kernel(x, slot, "norm", opts, name, k);
}

/* Statistics shape (SN, SC, 1, 1) of one field (mean or rstd). */
static void stat_shape(enum gc_norm_kind kind, const struct gc_tensor *x, int64_t s[4])
{
    s[0] = kind == GC_NORM_BATCH ? 1 : x->shape[0];
    s[1] = kind == GC_NORM_LAYER ? 1 : x->shape[1];
    s[2] = s[3] = 1;
}

/* Elements per group. */
static int64_t group_count(enum gc_norm_kind kind, const struct gc_tensor *x)
{
    int64_t s[4];
    stat_shape(kind, x, s);
    return x->numel / (s[0] * s[1]);
}

static gc_status check_x(const struct gc_tensor *x, const char *op)
{
    char b[64];
    if (x->ndim != 4)
        return gc_error(GC_INVALID_ARG, "%s: input %s must be (N, C, H, W)", op,
                        gc__shape_str(x, b, sizeof b));
    if (x->numel > INT32_MAX / 2)
        return gc_error(GC_UNSUPPORTED, "%s: input %s too large for 32-bit indexing", op,
                        gc__shape_str(x, b, sizeof b));
    return GC_OK;
}

/* ---- norm_stats ----------------------------------------------------------- */
// x: (N, C, H, W) -> (SN, 2 SC, 1, 1): [mean | rstd] per group
static gc_status stats_infer(struct gc_tensor *t)
{
    gc_status s = check_x(t->in[0], "norm_stats");
    if (s != GC_OK) return s;
    int64_t sh[4];
    stat_shape((enum gc_norm_kind)norm_of(t).kind, t->in[0], sh);
    sh[1] *= 2;
    gc__set_shape(t, 4, sh);
    return GC_OK;
}

/* Loop iterations of a norm_stats work-item running `passes` sums of `steps` steps each, and
 * the tree of group_sum after each (log2 NORM_WG <= 8 halvings). */
static int64_t stats_trips(int64_t steps, int passes)
{
    return 1 + passes * (gc__loops(steps) + gc__loops(8));
}

static gc_status stats_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    gc_status s = norm_kernel(x, 0, "norm_stats_fwd", &k);
    if (s != GC_OK) return s;
    struct norm_params p = norm_of(t);
    const struct gc_tensor *in = t->in[0];
    int64_t hw = in->shape[2] * in->shape[3], sh[4];
    stat_shape((enum gc_norm_kind)p.kind, in, sh);
    /* group g's elements: `outer` runs of `inner` contiguous values starting
     * at g * inner, `ostride` apart (BATCH: one run per sample). */
    cl_int inner = (cl_int)(p.kind == GC_NORM_LAYER ? in->numel / in->shape[0] : hw);
    cl_int outer = (cl_int)(p.kind == GC_NORM_BATCH ? in->shape[0] : 1);
    cl_int ostride = (cl_int)(in->shape[1] * hw), sc = (cl_int)sh[1];
    float eps = p.eps;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, in);
    int64_t wg = gc__exec_tunables(x)[0], steps = ((int64_t)inner * outer + wg - 1) / wg;
    size_t lwg = (size_t)wg, global = (size_t)(sh[0] * sh[1]) * lwg;
    if (stats_trips(steps, 2) <= gc__loop_budget(x->dev)) {
        struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off),   GC_KA(a.mem), GC_KA(a.off),
                                 GC_KA(inner), GC_KA(outer),   GC_KA(ostride), GC_KA(sc),
                                 GC_KA(eps)};
        return gc__exec_launch(x, k, 9, args, 1, &global, &lwg);
    }
    s = norm_kernel(x, 1, "norm_stats_part", &k);
    int64_t per = gc__loop_budget(x->dev) - stats_trips(0, 1); /* steps per launch */
    if (s == GC_OK) s = gc__loop_check(x->dev, stats_trips(per < 1 ? 1 : per, 1), "norm_stats");
    struct gc_buf ws = gc__exec_workspace(x);
    int64_t m = (int64_t)inner * outer;
    for (cl_int pass = 0; pass < 2 && s == GC_OK; pass++)
        for (int64_t e0 = 0; e0 < m && s == GC_OK; e0 += per * wg) {
            cl_int ce0 = (cl_int)e0, ce1 = (cl_int)(m - e0 < per * wg ? m : e0 + per * wg);
            struct gc_karg args[] = {GC_KA(y.mem),  GC_KA(y.off),   GC_KA(a.mem), GC_KA(a.off),
                                     GC_KA(inner),  GC_KA(outer),   GC_KA(ostride), GC_KA(sc),
                                     GC_KA(eps),    GC_KA(ws.mem),  GC_KA(ws.off), GC_KA(ce0),
                                     GC_KA(ce1),    GC_KA(pass)};
            s = gc__exec_launch(x, k, 14, args, 1, &global, &lwg);
        }
    return s;
}

/* Loop-limited devices: norm_stats_part's partials, (groups, NORM_WG). */
static int64_t stats_workspace(const struct gc_tensor *t, const int *tv)
{
    int64_t m = group_count((enum gc_norm_kind)norm_of(t).kind, t->in[0]);
    int64_t steps = (m + tv[0] - 1) / tv[0];
    if (stats_trips(steps, 2) <= gc__loop_budget(t->g->dev)) return 0;
    int64_t sh[4];
    stat_shape((enum gc_norm_kind)norm_of(t).kind, t->in[0], sh);
    return sh[0] * sh[1] * tv[0];
}

/* mean = sum(x)/M, var = sum((x - mean)^2)/M, r = (var + eps)^-1/2:
 * d/dx = dmean/M + dr * (-r^3 (x - mean) / M) (the mean's effect on var
 * vanishes because sum(x - mean) = 0). */
static gc_status stats_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                const bool *need, struct gc_tensor **dx)
{
    (void)need;
    struct gc_tensor *x = t->in[0];
    int64_t sc = t->shape[1] / 2;
    float inv_m = 1.0f / (float)group_count((enum gc_norm_kind)norm_of(t).kind, x);
    struct gc_tensor *dm = gc_slice(g, dy, 0, sc), *dr = gc_slice(g, dy, sc, sc);
    struct gc_tensor *m = gc_slice(g, t, 0, sc), *r = gc_slice(g, t, sc, sc);
    struct gc_tensor *coef = gc_scale(g, gc_mul(g, dr, gc_mul(g, r, gc_square(g, r))), -inv_m, 0);
    dx[0] = gc_add(g, gc_mul(g, gc_sub(g, x, m), coef), gc_scale(g, dm, inv_m, 0));
    return gc_graph_status(g);
}

static double stats_flops(const struct gc_tensor *t)
{
    return 3.0 * (double)t->in[0]->numel;
}

const struct gc_op_desc gc__op_desc_norm_stats = {.name = "norm_stats",
                                                  .program = "norm",
                                                  .infer = stats_infer,
                                                  .forward = stats_forward,
                                                  .backward = stats_backward,
                                                  .workspace = stats_workspace,
                                                  .tunables = norm_tunables,
                                                  .n_tunables = NORM_TUNABLES,
                                                  .untuned = 0x6, /* EW_*: norm_apply's */
                                                  .flops = stats_flops};

static bool valid_kind(enum gc_norm_kind kind)
{
    return kind == GC_NORM_BATCH || kind == GC_NORM_INSTANCE || kind == GC_NORM_LAYER;
}

struct gc_tensor *gc_norm_stats(struct gc_graph *g, struct gc_tensor *x, enum gc_norm_kind kind,
                                float eps)
{
    if (!valid_kind(kind) || !(eps >= 0))
        return gc__graph_fail(g, GC_INVALID_ARG, "norm_stats: bad kind %d or eps", (int)kind);
    union gc_op_params u = pack((struct norm_params){.kind = (int)kind, .eps = eps});
    return gc__node1(g, GC_OP_NORM_STATS, x, &u);
}

/* ---- norm_apply ----------------------------------------------------------- */
static struct gc_tensor *gamma_of(const struct gc_tensor *t)
{
    return norm_of(t).has_gamma ? t->in[2] : NULL;
}

static struct gc_tensor *beta_of(const struct gc_tensor *t)
{
    struct norm_params p = norm_of(t);
    return p.has_beta ? t->in[p.has_gamma ? 3 : 2] : NULL;
}

/* gamma/beta broadcast over x: (C, 1, 1) for BATCH/INSTANCE, (C, H, W) for LAYER. */
static void affine_shape(enum gc_norm_kind kind, const struct gc_tensor *x, int64_t s[3])
{
    s[0] = x->shape[1];
    s[1] = kind == GC_NORM_LAYER ? x->shape[2] : 1;
    s[2] = kind == GC_NORM_LAYER ? x->shape[3] : 1;
}

static gc_status check_affine(const struct gc_tensor *a, enum gc_norm_kind kind,
                              const struct gc_tensor *x, const char *what)
{
    int64_t s[3];
    affine_shape(kind, x, s);
    bool ok = kind == GC_NORM_LAYER ? a->ndim == 3 && a->shape[0] == s[0] && a->shape[1] == s[1] &&
                                          a->shape[2] == s[2]
                                    : a->ndim == 1 && a->shape[0] == s[0];
    char b[64];
    if (!ok)
        return gc_error(GC_INVALID_ARG, "norm_apply: %s %s must be %s", what,
                        gc__shape_str(a, b, sizeof b), kind == GC_NORM_LAYER ? "(C, H, W)" : "(C)");
    return GC_OK;
}

static gc_status apply_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0], *st = t->in[1];
    gc_status s = check_x(x, "norm_apply");
    if (s != GC_OK) return s;
    enum gc_norm_kind kind = (enum gc_norm_kind)norm_of(t).kind;
    int64_t sh[4];
    stat_shape(kind, x, sh);
    if (st->ndim != 4 || st->shape[0] != sh[0] || st->shape[1] != 2 * sh[1] || st->shape[2] != 1 ||
        st->shape[3] != 1) {
        char b[64];
        return gc_error(GC_INVALID_ARG, "norm_apply: statistics %s must be (%lld, %lld, 1, 1)",
                        gc__shape_str(st, b, sizeof b), (long long)sh[0], (long long)(2 * sh[1]));
    }
    if (gamma_of(t)) s = check_affine(gamma_of(t), kind, x, "gamma");
    if (s == GC_OK && beta_of(t)) s = check_affine(beta_of(t), kind, x, "beta");
    if (s == GC_OK) gc__set_shape(t, 4, x->shape);
    return s;
}

static gc_status apply_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    bool big = t->numel >= (1 << 24); /* beyond norm_apply_fwd's division-free indices */
    gc_status s = norm_kernel(x, 0, big ? "norm_apply_big" : "norm_apply_fwd", &k);
    if (s != GC_OK) return s;
    const struct gc_tensor *gm = gamma_of(t), *bt = beta_of(t);
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]),
                  st = gc__exec_buf(x, t->in[1]);
    /* an absent gamma/beta gets any valid buffer; flags tell the kernel */
    struct gc_buf gb = gm ? gc__exec_buf(x, gm) : st, bb = bt ? gc__exec_buf(x, bt) : st;
    const int64_t *xs = t->shape;
    cl_int4 shape = {{(cl_int)xs[0], (cl_int)xs[1], (cl_int)xs[2], (cl_int)xs[3]}};
    cl_int kind = norm_of(t).kind, flags = (gm ? 1 : 0) | (bt ? 2 : 0);
    if (big) {
        struct gc_karg args[] = {GC_KA(y.mem),  GC_KA(y.off),  GC_KA(a.mem),  GC_KA(a.off),
                                 GC_KA(st.mem), GC_KA(st.off), GC_KA(gb.mem), GC_KA(gb.off),
                                 GC_KA(bb.mem), GC_KA(bb.off), GC_KA(shape),  GC_KA(kind),
                                 GC_KA(flags)};
        return gc__launch_1d(x, k, 13, args, t->numel);
    }
    cl_ulong n = (cl_ulong)t->numel;
    cl_int hw = (cl_int)(xs[2] * xs[3]), c = (cl_int)xs[1];
    cl_float inv_hw = 1.0f / (float)hw, inv_c = 1.0f / (float)c;
    struct gc_karg args[] = {
        GC_KA(y.mem),  GC_KA(y.off),  GC_KA(a.mem),  GC_KA(a.off),  GC_KA(st.mem), GC_KA(st.off),
        GC_KA(gb.mem), GC_KA(gb.off), GC_KA(bb.mem), GC_KA(bb.off), GC_KA(n),      GC_KA(hw),
        GC_KA(inv_hw), GC_KA(c),      GC_KA(inv_c),  GC_KA(kind),   GC_KA(flags)};
    return gc__launch_ew(x, k, 17, args, t->numel, gc__exec_tunables(x) + 1);
}

/* gamma/beta (C) viewed as (C, 1, 1) so it broadcasts over (N, C, H, W). */
static struct gc_tensor *affine_view(struct gc_graph *g, struct gc_tensor *a,
                                     enum gc_norm_kind kind, const struct gc_tensor *x)
{
    int64_t s[3];
    affine_shape(kind, x, s);
    return gc_reshape(g, a, 3, s);
}

/* Sum z: (N, C, H, W) down to a's shape. */
static struct gc_tensor *sum_to_affine(struct gc_graph *g, struct gc_tensor *z,
                                       const struct gc_tensor *a, enum gc_norm_kind kind)
{
    int64_t s[3];
    affine_shape(kind, z, s);
    return gc_reshape(g, gc_sum_to(g, z, 3, s), a->ndim, a->shape);
}

/* y = (x - m) r gamma + beta, per group (m, r the two halves of stats):
 * dx = dy gamma r; dm = -sum(dy gamma r); dr = sum(dy gamma (x - m));
 * dgamma = sum(dy xhat); dbeta = sum(dy). */
static gc_status apply_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                const bool *need, struct gc_tensor **dx)
{
    struct norm_params p = norm_of(t);
    enum gc_norm_kind kind = (enum gc_norm_kind)p.kind;
    struct gc_tensor *x = t->in[0], *st = t->in[1], *gm = gamma_of(t), *bt = beta_of(t);
    int64_t ms[4];
    stat_shape(kind, x, ms);
    if (need[0] || need[1]) {
        struct gc_tensor *r = gc_slice(g, st, ms[1], ms[1]);
        struct gc_tensor *gdy = gm ? gc_mul(g, dy, affine_view(g, gm, kind, x)) : dy;
        struct gc_tensor *direct = gc_mul(g, gdy, r);
        if (need[0]) dx[0] = direct;
        if (need[1]) {
            struct gc_tensor *m = gc_slice(g, st, 0, ms[1]);
            struct gc_tensor *parts[2] = {gc_scale(g, gc_sum_to(g, direct, 4, ms), -1.0f, 0.0f),
                                          gc_sum_to(g, gc_mul(g, gdy, gc_sub(g, x, m)), 4, ms)};
            dx[1] = gc_concat(g, 2, parts);
        }
    }
    if (gm && need[2]) {
        struct gc_tensor *xhat = gc_norm_apply(g, x, st, kind, NULL, NULL);
        dx[2] = sum_to_affine(g, gc_mul(g, dy, xhat), gm, kind);
    }
    if (bt && need[p.has_gamma ? 3 : 2]) dx[p.has_gamma ? 3 : 2] = sum_to_affine(g, dy, bt, kind);
    return gc_graph_status(g);
}

static double apply_flops(const struct gc_tensor *t)
{
    return 4.0 * (double)t->numel;
}

const struct gc_op_desc gc__op_desc_norm_apply = {.name = "norm_apply",
                                                  .program = "norm",
                                                  .inplace = true,
                                                  .infer = apply_infer,
                                                  .forward = apply_forward,
                                                  .backward = apply_backward,
                                                  .tunables = norm_tunables,
                                                  .n_tunables = NORM_TUNABLES,
                                                  .untuned = 0x1, /* NORM_WG: norm_stats' */
                                                  .flops = apply_flops};

struct gc_tensor *gc_norm_apply(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *stats,
                                enum gc_norm_kind kind, struct gc_tensor *gamma,
                                struct gc_tensor *beta)
{
    if (!valid_kind(kind))
        return gc__graph_fail(g, GC_INVALID_ARG, "norm_apply: bad kind %d", (int)kind);
    struct gc_tensor *in[4] = {x, stats};
    int n = 2;
    if (gamma) in[n++] = gamma;
    if (beta) in[n++] = beta;
    union gc_op_params u = pack((struct norm_params){
        .kind = (int)kind, .has_gamma = gamma != NULL, .has_beta = beta != NULL});
    return gc__node(g, GC_OP_NORM_APPLY, n, in, &u);
}

/* ---- norm_running_update (batch norm's side effect) ------------------------ */
// stats: (1, 2C, 1, 1), running_mean, running_var: (C) -> stats, unchanged
static gc_status update_infer(struct gc_tensor *t)
{
    const struct gc_tensor *st = t->in[0], *rm = t->in[1], *rv = t->in[2];
    int64_t c = st->shape[1] / 2;
    if (st->ndim != 4 || st->shape[0] != 1 || rm->op != GC_OP_PARAM || rv->op != GC_OP_PARAM ||
        rm->ndim != 1 || rv->ndim != 1 || rm->shape[0] != c || rv->shape[0] != c)
        return gc_error(GC_INVALID_ARG,
                        "batch norm: running_mean and running_var must be "
                        "parameters of shape (C) = (%lld)",
                        (long long)c);
    gc__set_shape(t, 4, st->shape);
    return GC_OK;
}

static gc_status update_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    gc_status s = norm_kernel(x, 0, "norm_running_update_fwd", &k);
    if (s != GC_OK) return s;
    struct norm_params p = norm_of(t);
    struct gc_buf y = gc__exec_buf(x, t), st = gc__exec_buf(x, t->in[0]),
                  rm = gc__exec_buf(x, t->in[1]), rv = gc__exec_buf(x, t->in[2]);
    cl_int c = (cl_int)(t->shape[1] / 2);
    struct gc_karg args[] = {GC_KA(y.mem),  GC_KA(y.off),      GC_KA(st.mem), GC_KA(st.off),
                             GC_KA(rm.mem), GC_KA(rm.off),     GC_KA(rv.mem), GC_KA(rv.off),
                             GC_KA(c),      GC_KA(p.momentum), GC_KA(p.eps),  GC_KA(p.unbias)};
    return gc__launch_1d(x, k, 12, args, c);
}

/* The statistics pass through; the running buffers get no gradient
 * (PyTorch buffers). */
static gc_status update_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    (void)g, (void)t;
    if (need[0]) dx[0] = dy;
    return GC_OK;
}

static double update_flops(const struct gc_tensor *t)
{
    return 8.0 * (double)t->shape[1];
}

const struct gc_op_desc gc__op_desc_norm_running_update = {.name = "norm_running_update",
                                                           .program = "norm",
                                                           .inplace = true,
                                                           .infer = update_infer,
                                                           .forward = update_forward,
                                                           .backward = update_backward,
                                                           .tunables = norm_tunables,
                                                           .n_tunables = NORM_TUNABLES,
                                                           .untuned = 0x7, /* a 1-D launch */
                                                           .flops = update_flops};

/* ---- the layers ------------------------------------------------------------ */
struct gc_tensor *gc_batch_norm(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *gamma,
                                struct gc_tensor *beta, struct gc_tensor *running_mean,
                                struct gc_tensor *running_var, float momentum, float eps)
{
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "batch_norm: NULL input");
    if (!running_mean != !running_var)
        return gc__graph_fail(g, GC_INVALID_ARG,
                              "batch_norm: give both running_mean and running_var, or neither");
    if (!(momentum >= 0 && momentum <= 1))
        return gc__graph_fail(g, GC_INVALID_ARG, "batch_norm: momentum outside [0, 1]");
    struct gc_tensor *st = gc_norm_stats(g, x, GC_NORM_BATCH, eps);
    if (!st) return NULL;
    int64_t m = group_count(GC_NORM_BATCH, x);
    if (m < 2) /* as PyTorch: the unbiased variance needs two values */
        return gc__graph_fail(g, GC_INVALID_ARG,
                              "batch_norm: expected more than 1 value per channel when training");
    if (running_mean) {
        union gc_op_params u =
            pack((struct norm_params){.kind = GC_NORM_BATCH,
                                      .eps = eps,
                                      .momentum = momentum,
                                      .unbias = (float)((double)m / (double)(m - 1))});
        struct gc_tensor *in[3] = {st, running_mean, running_var};
        st = gc__node(g, GC_OP_NORM_RUNNING_UPDATE, 3, in, &u);
    }
    return gc_norm_apply(g, x, st, GC_NORM_BATCH, gamma, beta);
}

struct gc_tensor *gc_batch_norm_eval(struct gc_graph *g, struct gc_tensor *x,
                                     struct gc_tensor *gamma, struct gc_tensor *beta,
                                     struct gc_tensor *running_mean, struct gc_tensor *running_var,
                                     float eps)
{
    if (!x || !running_mean || !running_var)
        return gc__graph_fail(g, GC_INVALID_ARG, "batch_norm_eval: NULL input");
    if (x->ndim != 4 || running_mean->numel != x->shape[1] || running_var->numel != x->shape[1])
        return gc__graph_fail(g, GC_INVALID_ARG,
                              "batch_norm_eval: x must be (N, C, H, W), running stats (C)");
    /* stats = [running_mean | 1/sqrt(running_var + eps)] as (1, 2C, 1, 1);
     * buffers are detached: they get no gradient, as in PyTorch. */
    int64_t s[4] = {1, x->shape[1], 1, 1};
    struct gc_tensor *m = gc_reshape(g, gc_detach(g, running_mean), 4, s);
    struct gc_tensor *v = gc_reshape(g, gc_detach(g, running_var), 4, s);
    struct gc_tensor *r = gc_div(g, gc_fill(g, 1.0f, 4, s), gc_sqrt(g, gc_scale(g, v, 1.0f, eps)));
    struct gc_tensor *parts[2] = {m, r};
    return gc_norm_apply(g, x, gc_concat(g, 2, parts), GC_NORM_BATCH, gamma, beta);
}

struct gc_tensor *gc_instance_norm(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *gamma,
                                   struct gc_tensor *beta, float eps)
{
    return gc_norm_apply(g, x, gc_norm_stats(g, x, GC_NORM_INSTANCE, eps), GC_NORM_INSTANCE, gamma,
                         beta);
}

struct gc_tensor *gc_layer_norm(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *gamma,
                                struct gc_tensor *beta, float eps)
{
    return gc_norm_apply(g, x, gc_norm_stats(g, x, GC_NORM_LAYER, eps), GC_NORM_LAYER, gamma, beta);
}
