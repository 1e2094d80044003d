/* SPDX-License-Identifier: MIT */
/* The bench of one recorded kernel use (see op_bench.h).
 *
 * Inputs are deterministic values in [0.25, 1.25]: valid for every op (log, sqrt, div,
 * norms). The reference is the output of the default values on the same bench. Tolerance:
 * bit-identical, except where a tunable changes a summation's order — sum_to (RED_WG: the
 * number of partial sums) and norm_stats (NORM_WG) — there 1e-5 relative per output (the
 * suites' reduction tolerance; all-positive inputs keep the sums well-conditioned). Guards:
 * an op's plan arenas are filled with a NaN pattern before each run, and afterwards every
 * float outside the output, the step's workspace and the inputs must still hold it and the
 * inputs must be unchanged; an optimizer's buffers carry GUARD floats after their n, which
 * must come back unchanged (every buffer is compared in full, bit for bit). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "train/optim_impl.h"
#include "tune/op_bench.h"

#define GUARD 1024          /* optimizer: floats after each buffer */
#define SENTINEL 0x7fa5a5a5u /* a NaN no kernel writes */
#define SAMPLE_S 1e-3        /* a timed sample repeats the launch for about this long */
#define MAX_REPS 2000
#define RTOL_SUM 1e-5
#define MAX_ARENAS 64

void (*gc__tune_test_corrupt_op)(const char *key, const int *tv, float *y, size_t n);

static void fill_inputs(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = 0.25f + (float)((double)(s >> 11) * 0x1p-53);
    }
}

static bool is_optim(const struct gc_tune_op *op)
{
    return op->op == GC_OP_COUNT;
}

static enum gc_optim_kind optim_kind(const char *kernel)
{
    for (int k = GC_OPTIM_SGD; k <= GC_OPTIM_RMSPROP; k++)
        if (!strcmp(kernel, gc__optim_kernel_name((enum gc_optim_kind)k))) return (enum gc_optim_kind)k;
    return GC_OPTIM_ADAM;
}

/* ---- an op: a graph of one node ---- */

static gc_status op_inputs(struct gc_tune_opbench *b)
{
    const struct gc_tune_op *op = b->op;
    struct gc_param_group *grp = NULL;
    for (int i = 0; i < op->n_in; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        if (op->param[i] && !grp) grp = gc_param_group(b->g, "bench");
        b->in[i] = op->param[i] ? gc_param(grp, name, op->ndim[i], op->shape[i])
                                : gc_input(b->g, name, op->ndim[i], op->shape[i]);
    }
    gc_status s = gc_graph_status(b->g);
    if (s == GC_OK && grp) s = gc_param_group_alloc(grp);
    for (int i = 0; i < op->n_in && s == GC_OK; i++) {
        size_t n = (size_t)gc_tensor_numel(b->in[i]);
        b->host_in[i] = gc_malloc(sizeof(float) * (n ? n : 1));
        if (!b->host_in[i]) return gc_error(GC_NOMEM, "tune: out of host memory");
        fill_inputs(b->host_in[i], n, (uint64_t)i + 1);
        if (op->param[i]) s = gc_param_write(b->in[i], b->host_in[i]);
    }
    return s;
}

static gc_status op_create(struct gc_tune_opbench *b)
{
    gc_status s = gc_graph_create(b->dev, &b->g);
    if (s == GC_OK) s = op_inputs(b);
    if (s == GC_OK) {
        b->y = gc__node(b->g, b->op->op, b->op->n_in, b->in, &b->op->p);
        s = gc_graph_status(b->g);
    }
    if (s != GC_OK) return gc_error_context(GC_UNSUPPORTED, "%s: cannot rebuild it", b->op->key);
    b->n_out = (size_t)gc_tensor_numel(b->y);
    b->rtol = b->op->op == GC_OP_SUM_TO || b->op->op == GC_OP_NORM_STATS ? RTOL_SUM : 0;
    return GC_OK;
}

/* The largest *_WG value of tv. */
static size_t largest_wg(const struct gc_tune_opbench *b, const int *tv)
{
    size_t wg = 1;
    for (int i = 0; i < b->n_tunables; i++) {
        size_t l = strlen(b->tunables[i].name);
        if (l > 3 && !strcmp(b->tunables[i].name + l - 3, "_WG") && (size_t)tv[i] > wg) wg = (size_t)tv[i];
    }
    return wg;
}

/* The kernels' own limits (every kernel of the program built with tv): the largest *_WG
 * value within each one's CL_KERNEL_WORK_GROUP_SIZE, its local memory within the device's.
 * The defaults' work-group size always counts as valid: rusticl (Mesa 22.3, llvmpipe)
 * reports 32 for every kernel yet runs the engine's 256-item groups correctly (the ops and
 * golden suites check them there), and the defaults are what the engine runs anyway.
 * GC_OK and *valid; GC_CL_BUILD when the options do not compile. */
static gc_status check_limits(struct gc_tune_opbench *b, const int *tv, bool *valid)
{
    char opts[256];
    size_t len = 0, wg = largest_wg(b, tv), def_wg = largest_wg(b, b->def);
    for (int i = 0; i < b->n_tunables; i++)
        len += (size_t)snprintf(opts + len, sizeof opts - len, "%s-D%s=%d", i ? " " : "",
                                b->tunables[i].name, tv[i]);
    *valid = wg <= b->dev->info.max_work_group;
    if (!*valid) return GC_OK;
    cl_program p;
    gc_status s = gc__program_get(b->dev, b->program, opts, &p);
    if (s != GC_OK) return s;
    cl_kernel ks[64];
    cl_uint nk = 0;
    if (clCreateKernelsInProgram(p, 64, ks, &nk) != CL_SUCCESS) return GC_OK; /* the run decides */
    for (cl_uint i = 0; i < nk; i++) {
        size_t kwg = 0;
        cl_ulong lmem = 0;
        clGetKernelWorkGroupInfo(ks[i], b->dev->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg, NULL);
        clGetKernelWorkGroupInfo(ks[i], b->dev->id, CL_KERNEL_LOCAL_MEM_SIZE, sizeof lmem, &lmem, NULL);
        if ((kwg && wg > kwg && wg > def_wg) || lmem > b->dev->info.local_mem) *valid = false;
        clReleaseKernel(ks[i]);
    }
    return GC_OK;
}

/* The plan's arenas: every float outside y, y's workspace and the inputs still holds the
 * sentinel, and the inputs hold what was written. */
static bool op_guards_ok(struct gc_tune_opbench *b, struct gc_plan *p, gc_status *st)
{
    cl_mem mem[MAX_ARENAS];
    int64_t floats[MAX_ARENAS];
    int n = gc__plan_arenas(p, mem, floats, MAX_ARENAS);
    bool ok = n <= MAX_ARENAS;
    for (int a = 0; a < n && ok && *st == GC_OK; a++) {
        uint32_t *h = gc_malloc(sizeof *h * (size_t)(floats[a] ? floats[a] : 1));
        if (!h) {
            *st = gc_error(GC_NOMEM, "tune: out of host memory");
            break;
        }
        cl_int e = clEnqueueReadBuffer(b->dev->queue, mem[a], CL_TRUE, 0, (size_t)floats[a] * 4, h, 0, NULL, NULL);
        if (e != CL_SUCCESS) *st = gc__cl_fail(b->dev, e, "reading the bench's arena");
        int ar;
        int64_t off, len;
        /* Blank out what may change, check what must hold values, then the rest. */
        if (gc__plan_block(p, b->y, false, &ar, &off, &len) && ar == a)
            for (int64_t i = off; i < off + len; i++) h[i] = SENTINEL;
        if (gc__plan_block(p, b->y, true, &ar, &off, &len) && ar == a)
            for (int64_t i = off; i < off + len; i++) h[i] = SENTINEL;
        for (int k = 0; k < b->op->n_in && ok; k++)
            if (!b->op->param[k] && gc__plan_block(p, b->in[k], false, &ar, &off, &len) && ar == a) {
                ok = !memcmp(h + off, b->host_in[k], (size_t)len * 4);
                for (int64_t i = off; i < off + len; i++) h[i] = SENTINEL;
            }
        for (int64_t i = 0; i < floats[a] && ok; i++) ok = h[i] == SENTINEL;
        gc_free(h);
    }
    return ok;
}

/* One run of the plan on fresh arenas; y read into b->out. */
static gc_status op_run_once(struct gc_tune_opbench *b, struct gc_plan *p)
{
    cl_mem mem[MAX_ARENAS];
    int64_t floats[MAX_ARENAS];
    int n = gc__plan_arenas(p, mem, floats, MAX_ARENAS);
    uint32_t pat = SENTINEL;
    for (int a = 0; a < n && a < MAX_ARENAS; a++)
        GC_CL_CHECK(b->dev, clEnqueueFillBuffer(b->dev->queue, mem[a], &pat, 4, 0, (size_t)floats[a] * 4, 0, NULL, NULL),
                    "filling the bench's arena");
    gc_status s = GC_OK;
    for (int k = 0; k < b->op->n_in && s == GC_OK; k++)
        if (!b->op->param[k]) s = gc_plan_write(p, b->in[k], b->host_in[k]);
    if (s == GC_OK) s = gc_plan_run(p);
    if (s == GC_OK) s = gc_plan_read(p, b->y, b->out);
    return s;
}

/* ---- an optimizer update over n floats ---- */

static gc_status optim_create(struct gc_tune_opbench *b)
{
    b->n = b->op->shape[0][0];
    b->n_out = (size_t)(b->n + GUARD) * GC_OPB_BUFS;
    size_t bytes = sizeof(float) * (size_t)(b->n + GUARD);
    gc_status s = GC_OK;
    for (int i = 0; i < GC_OPB_BUFS && s == GC_OK; i++) {
        b->init[i] = gc_malloc(bytes);
        if (!b->init[i]) return gc_error(GC_NOMEM, "tune: out of host memory");
        fill_inputs(b->init[i], (size_t)(b->n + GUARD), (uint64_t)i + 11);
        s = gc__buffer_create(b->dev, bytes, &b->ob[i]);
    }
    b->rtol = 0;
    return s;
}

/* One update (step 3) with tv over the bench's buffers as they are. */
static gc_status optim_launch(struct gc_tune_opbench *b, const int *tv)
{
    struct gc_optim_config c = gc_optim_defaults(optim_kind(b->op->kernel), 2e-4f);
    c.momentum = 0.9f; /* SGD / RMSprop: the momentum branch too */
    c.weight_decay = 1e-4f;
    return gc__optim_run(b->dev, &c, tv, 3, b->ob[0], b->ob[1], b->ob[2], b->ob[3], b->n);
}

/* The initial content, one update, everything read back into b->out. */
static gc_status optim_run_once(struct gc_tune_opbench *b, const int *tv)
{
    size_t bytes = sizeof(float) * (size_t)(b->n + GUARD);
    for (int i = 0; i < GC_OPB_BUFS; i++)
        GC_CL_CHECK(b->dev, clEnqueueWriteBuffer(b->dev->queue, b->ob[i], CL_FALSE, 0, bytes, b->init[i], 0, NULL, NULL),
                    "writing the bench's buffers");
    gc_status s = optim_launch(b, tv);
    for (int i = 0; i < GC_OPB_BUFS && s == GC_OK; i++)
        GC_CL_CHECK(b->dev, clEnqueueReadBuffer(b->dev->queue, b->ob[i], CL_TRUE, 0, bytes,
                                                b->out + (size_t)i * (size_t)(b->n + GUARD), 0, NULL, NULL),
                    "reading the bench's buffers");
    return s;
}

/* The guard floats after each buffer's n must keep their initial values. */
static bool optim_guards_ok(const struct gc_tune_opbench *b)
{
    for (int i = 0; i < GC_OPB_BUFS; i++)
        if (memcmp(b->out + (size_t)i * (size_t)(b->n + GUARD) + b->n, b->init[i] + b->n, GUARD * 4))
            return false;
    return true;
}

/* ---- both ---- */

/* One verified run of tv: outputs into b->out. *guards: no write outside the output. */
static gc_status run_checked(struct gc_tune_opbench *b, const int *tv, bool *guards)
{
    if (is_optim(b->op)) {
        gc_status s = optim_run_once(b, tv);
        *guards = s == GC_OK && optim_guards_ok(b);
        return s;
    }
    struct gc_plan *p = NULL;
    gc_status s = gc__plan_create_tv(b->g, 1, &b->y, b->y, tv, &p);
    if (s == GC_OK) s = op_run_once(b, p);
    *guards = s == GC_OK && op_guards_ok(b, p, &s);
    gc_plan_destroy(p);
    return s;
}

gc_status gc__tune_opbench_create(struct gc_device *dev, const struct gc_tune_op *op,
                                  struct gc_tune_opbench *b)
{
    memset(b, 0, sizeof *b);
    b->dev = dev;
    b->op = op;
    if (!gc__tune_op_tunables(op->kernel, &b->tunables, &b->n_tunables, &b->untuned, &b->program))
        return gc_error(GC_UNSUPPORTED, "%s: no tunables", op->key);
    if (is_optim(op)) gc__optim_default_values(dev, b->def);
    else gc__op_default_values(dev, gc__op_descs[op->op], b->def);
    gc_status s = is_optim(op) ? optim_create(b) : op_create(b);
    if (s == GC_OK) {
        b->ref = gc_malloc(sizeof(float) * (b->n_out ? b->n_out : 1));
        b->out = gc_malloc(sizeof(float) * (b->n_out ? b->n_out : 1));
        if (!b->ref || !b->out) s = gc_error(GC_NOMEM, "tune: out of host memory");
    }
    bool guards = false;
    if (s == GC_OK) s = run_checked(b, b->def, &guards);
    if (s == GC_OK && !guards) s = gc_error(GC_FORMAT, "%s: the default values write outside the output", op->key);
    if (s == GC_OK) memcpy(b->ref, b->out, sizeof(float) * b->n_out);
    if (s != GC_OK) gc__tune_opbench_destroy(b);
    return s;
}

void gc__tune_opbench_destroy(struct gc_tune_opbench *b)
{
    gc_graph_destroy(b->g);
    for (int i = 0; i < GC_MAX_INPUTS; i++) gc_free(b->host_in[i]);
    for (int i = 0; i < GC_OPB_BUFS; i++) {
        gc__buffer_release(b->ob[i]);
        gc_free(b->init[i]);
    }
    gc_free(b->ref);
    gc_free(b->out);
    memset(b, 0, sizeof *b);
}

/* Max |out - ref| (inf where a value differs beyond the tolerance, or a NaN appears). */
static double compare(const struct gc_tune_opbench *b, bool *ok)
{
    double err = 0;
    *ok = true;
    for (size_t i = 0; i < b->n_out && *ok; i++) {
        double r = b->ref[i], d = fabs((double)b->out[i] - r);
        *ok = b->rtol > 0 ? d <= b->rtol * fabs(r) : !memcmp(&b->out[i], &b->ref[i], 4);
        if (d > err) err = d;
    }
    return *ok ? err : INFINITY;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

gc_status gc__tune_opbench_time(struct gc_tune_opbench *b, struct gc_tune_opcand *c, int samples)
{
    struct gc_plan *p = NULL;
    gc_status s = is_optim(b->op) ? GC_OK : gc__plan_create_tv(b->g, 1, &b->y, b->y, c->tv, &p);
    for (int k = 0; k < b->op->n_in && s == GC_OK && p; k++)
        if (!b->op->param[k]) s = gc_plan_write(p, b->in[k], b->host_in[k]);
    /* warm-up, and the repetitions that make a sample about SAMPLE_S long */
    double t0 = gc__tune_clock(), one = 0, t[32];
    if (s == GC_OK) s = p ? gc_plan_run(p) : optim_launch(b, c->tv);
    if (s == GC_OK) s = gc_device_finish(b->dev);
    one = gc__tune_clock() - t0;
    int reps = one > 0 ? (int)(SAMPLE_S / one) + 1 : 1;
    if (reps > MAX_REPS) reps = MAX_REPS;
    if (samples > 32) samples = 32;
    for (int i = 0; i < samples && s == GC_OK; i++) {
        double a = gc__tune_clock();
        for (int r = 0; r < reps && s == GC_OK; r++)
            s = p ? gc_plan_run(p) : optim_launch(b, c->tv);
        if (s == GC_OK) s = gc_device_finish(b->dev);
        t[i] = (gc__tune_clock() - a) / reps;
    }
    gc_plan_destroy(p);
    if (s != GC_OK) return s;
    qsort(t, (size_t)samples, sizeof t[0], cmp_double);
    c->median = t[samples / 2];
    c->min = t[0];
    return GC_OK;
}

enum gc_tune_outcome gc__tune_opbench_eval(struct gc_tune_opbench *b, struct gc_tune_opcand *c,
                                           int samples)
{
    bool valid = false, guards = false, ok = false;
    c->err = INFINITY;
    gc_status s = check_limits(b, c->tv, &valid);
    if (s != GC_OK) return s == GC_CL_BUILD ? GC_TUNE_BUILD_FAILED : GC_TUNE_FAILED;
    if (!valid) return GC_TUNE_OUTCOME_COUNT;
    s = run_checked(b, c->tv, &guards);
    if (s == GC_UNSUPPORTED) return GC_TUNE_OUTCOME_COUNT; /* a loop beyond the device's budget */
    if (s != GC_OK) return s == GC_CL_BUILD ? GC_TUNE_BUILD_FAILED : GC_TUNE_FAILED;
    if (gc__tune_test_corrupt_op) gc__tune_test_corrupt_op(b->op->key, c->tv, b->out, b->n_out);
    double err = compare(b, &ok);
    if (!ok || !guards) return GC_TUNE_WRONG;
    c->err = err;
    return gc__tune_opbench_time(b, c, samples) == GC_OK ? GC_TUNE_BEST : GC_TUNE_FAILED;
}
