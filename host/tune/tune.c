/* SPDX-License-Identifier: MIT */
/* gc_tune_run: collects the GEMM shapes a model's training step really runs (one step with
 * the GEMM default path recording them) and the uses of gan-cl's own kernels with tunables
 * (the plans and optimizers the model creates record every (op, shape key)); tunes the
 * kernel uses first, under at most OP_SHARE of the budget (op_search.c: a few ms per
 * candidate), then each GEMM shape under a share of the rest (search.c),
 * keeps the record current on disk after every candidate, installs it on the device and
 * times the model's step with the defaults and with the record. */
#include <stdio.h>
#include <string.h>

#include "cl/cache.h"
#include "gancl/alloc.h"
#include "gancl/cyclegan.h"
#include "gancl/gan.h"
#include "tune/tune_impl.h"
#include "tune/watchdog.h"

#define STEP_PAIRS 5       /* timed steps each way, interleaved, after 2 warm-ups */
#define CLBLAST_BUILD_S 150 /* CLBlast's slowest build on PoCL (spec/cpu-kernels.md) */
#define OP_SHARE 0.15       /* of the budget, at most, for the non-GEMM kernels */

static const char *const all_models[] = {"dcgan32", "wgan32", "wgangp32", "cyclegan64", "cyclegan128"};

struct model {
    struct gc_gan *gan;
    struct gc_cyclegan *cg;
    float *real;
    int64_t elems; /* one real batch */
    int n_critic;
};

static void model_free(struct model *m)
{
    gc_gan_destroy(m->gan);
    gc_cyclegan_destroy(m->cg);
    gc_free(m->real);
    memset(m, 0, sizeof *m);
}

static gc_status model_build(struct gc_device *dev, const char *name, struct model *m)
{
    memset(m, 0, sizeof *m);
    gc_status s;
    int n_real = 2;
    if (strncmp(name, "cyclegan", 8) == 0) {
        struct gc_cyclegan_config c;
        s = gc_cyclegan_preset(name, &c);
        if (s == GC_OK) s = gc_cyclegan_create(dev, &c, &m->cg);
        m->elems = (int64_t)c.input_nc * c.size * c.size;
    } else {
        struct gc_gan_config c;
        s = gc_gan_preset(name, &c);
        if (s == GC_OK) s = gc_gan_create(dev, &c, &m->gan);
        m->elems = (int64_t)c.batch * c.channels * c.image_size * c.image_size;
        m->n_critic = n_real = c.n_critic;
    }
    if (s == GC_OK) m->real = gc_malloc(sizeof(float) * (size_t)(m->elems * n_real));
    if (s == GC_OK && !m->real) s = gc_error(GC_NOMEM, "tune: out of host memory");
    uint64_t x = 1;
    for (int64_t i = 0; s == GC_OK && i < m->elems * n_real; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        m->real[i] = (float)((double)(x >> 11) * 0x1p-52 - 1.0);
    }
    if (s != GC_OK) model_free(m);
    return s;
}

/* One training step as `gan-cl bench` runs it; seconds. */
static gc_status model_step(struct gc_device *dev, struct model *m, double *sec)
{
    double t0 = gc__tune_clock();
    gc_status s = GC_OK;
    if (m->cg) s = gc_cyclegan_step(m->cg, m->real, m->real + m->elems);
    for (int i = 0; m->gan && i < m->n_critic && s == GC_OK; i++)
        s = gc_gan_d_step(m->gan, m->real + (size_t)i * (size_t)m->elems);
    if (m->gan && s == GC_OK) s = gc_gan_g_step(m->gan);
    if (s == GC_OK) s = gc_device_finish(dev);
    *sec = gc__tune_clock() - t0;
    return s;
}

static void say(const struct gc_tune_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct gc_tune_options *o, const char *fmt, ...)
{
    if (!o->progress) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    o->progress(line, o->user);
}

/* Appends the kernel uses in ops (n) to *all (*n_all), each key once. */
static gc_status merge_ops(struct gc_tune_op **all, int *n_all, const struct gc_tune_op *ops, int n)
{
    struct gc_tune_op *grown = gc_realloc(*all, sizeof *grown * (size_t)(*n_all + n + 1));
    if (!grown) return gc_error(GC_NOMEM, "tune: out of host memory");
    *all = grown;
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < *n_all && strcmp(grown[j].key, ops[i].key)) j++;
        if (j == *n_all) grown[(*n_all)++] = ops[i];
    }
    return GC_OK;
}

/* Appends the distinct GEMM shapes of one step of `name` to *all and its kernel uses with
 * tunables (plans and optimizers are created while the model is built) to *ops; *step_s: a
 * warm step's time. */
static gc_status collect(struct gc_device *dev, const char *name, struct gc_gemm_desc **all,
                         int *n_all, struct gc_tune_op **ops, int *n_ops, double *step_s)
{
    struct model m;
    gc__tune_set_enabled(dev, false);
    gc__tune_op_recording_start(dev);
    gc_status s = model_build(dev, name, &m);
    double t;
    gc__tune_recording_start(dev);
    if (s == GC_OK) s = model_step(dev, &m, &t);
    struct gc_gemm_desc *d;
    struct gc_tune_op *o;
    int n, no;
    gc__tune_recording_stop(&d, &n);
    gc__tune_op_recording_stop(&o, &no);
    if (s == GC_OK) s = merge_ops(ops, n_ops, o, no);
    gc_free(o);
    if (s != GC_OK) {
        model_free(&m);
        gc_free(d);
        return s;
    }
    if (s == GC_OK) s = model_step(dev, &m, step_s); /* kernels built: a real step's time */
    model_free(&m);
    struct gc_gemm_desc *grown = s == GC_OK ? gc_realloc(*all, sizeof *grown * (size_t)(*n_all + n + 1)) : NULL;
    if (s == GC_OK && !grown) s = gc_error(GC_NOMEM, "tune: out of host memory");
    for (int i = 0; s == GC_OK && i < n; i++) {
        struct gc_tune_shape a, b;
        gc__tune_shape_of(&d[i], &a);
        int j = 0;
        for (; j < *n_all; j++) {
            gc__tune_shape_of(&grown[j], &b);
            if (gc__tune_shape_eq(&a, &b)) break;
        }
        if (j == *n_all) grown[(*n_all)++] = d[i];
    }
    if (grown) *all = grown;
    gc_free(d);
    return s;
}

/* The device's own record (or a new one); a candidate left pending by a tune that died
 * was what killed it: recorded as crashed (or hung, when the watchdog killed it), never run
 * again. */
static gc_status open_record(struct gc_device *dev, char *path, size_t size, struct gc_tune_record *r)
{
    gc_status s = gc_tune_record_path(&dev->info, path, size);
    if (s != GC_OK) return s;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    if ((s = gc_mkdirs(dir)) != GC_OK) return s;
    s = gc__tune_record_load(path, r);
    if (s == GC_NOT_FOUND) {
        gc_clear_error();
        gc__tune_record_init(r, &dev->info);
        return GC_OK;
    }
    if (s != GC_OK) return gc_error_context(s, "tuning record (delete it to start afresh)");
    struct gc_tune_record fresh;
    gc__tune_record_init(&fresh, &dev->info); /* the device fields as this driver says */
    memcpy(r->key, fresh.key, sizeof r->key);
    memcpy(r->driver, fresh.driver, sizeof r->driver);
    memcpy(r->platform_version, fresh.platform_version, sizeof r->platform_version);
    gc__tune_blame_pending(r);
    return gc__tune_record_save(path, r);
}

/* One step armed under the watchdog: a warm-up may build the tuned configs' kernels. */
static gc_status watched_step(struct gc_device *dev, struct model *m, const char *name, double step_s,
                              bool warm_up, double *sec)
{
    char label[64];
    snprintf(label, sizeof label, "the %s training step (timing)", name);
    double t = gc__tune_watch_run_s(step_s) + (warm_up ? gc__tune_watch_build_s() : 0);
    gc__tune_watch_arm(t, false, label);
    gc_status s = model_step(dev, m, sec);
    gc__tune_watch_disarm();
    return s;
}

/* Median step time of the model with the defaults and with the record, interleaved; step_s:
 * a step's time when the shapes were collected (paces the watchdog). */
static gc_status time_steps(struct gc_device *dev, const char *name, double step_s, double *def_s,
                            double *tuned_s)
{
    struct model m;
    gc_status s = model_build(dev, name, &m);
    double t[2][STEP_PAIRS] = {{0}}, x;
    for (int i = 0; i < 2 && s == GC_OK; i++) {
        gc__tune_set_enabled(dev, i == 1);
        s = watched_step(dev, &m, name, step_s, true, &x);
    }
    for (int i = 0; i < 2 * STEP_PAIRS && s == GC_OK; i++) {
        gc__tune_set_enabled(dev, i % 2 == 1);
        s = watched_step(dev, &m, name, step_s, false, &t[i % 2][i / 2]);
    }
    gc__tune_set_enabled(dev, true);
    model_free(&m);
    for (int k = 0; k < 2 && s == GC_OK; k++)
        for (int a = 1; a < STEP_PAIRS; a++)
            for (int b = a; b > 0 && t[k][b] < t[k][b - 1]; b--) {
                double y = t[k][b];
                t[k][b] = t[k][b - 1];
                t[k][b - 1] = y;
            }
    *def_s = t[0][STEP_PAIRS / 2];
    *tuned_s = t[1][STEP_PAIRS / 2];
    return s;
}

/* A kernel use's claim on the op budget: its candidates' runs grow with the elements it
 * reads, on top of a fixed part (program builds, launches). With equal shares the large
 * uses (conv_transpose2d, norm_stats over whole activations) ran out of time after the
 * default and a build or two and kept their defaults. */
static double op_weight(const struct gc_tune_op *op)
{
    double el = 0;
    for (int i = 0; i < op->n_in; i++) {
        double n = 1;
        for (int d = 0; d < op->ndim[i]; d++) n *= (double)op->shape[i][d];
        el += n;
    }
    return 1 + el / 65536;
}

/* The kernel uses, each under its weighted share of the time left before `end` (what one
 * leaves unused goes to the rest). */
static gc_status tune_ops(struct gc_device *dev, const struct gc_tune_options *o,
                          const struct gc_tune_op *ops, int n, double end,
                          struct gc_tune_record *rec, const char *path, struct gc_tune_result *out)
{
    gc_status s = GC_OK;
    double w_left = 0;
    for (int i = 0; i < n; i++) w_left += op_weight(&ops[i]);
    for (int i = 0; i < n && s == GC_OK; i++) {
        double now = gc__tune_clock(), w = op_weight(&ops[i]), share = (end - now) * w / w_left;
        w_left -= w;
        struct gc_tune_search opt = {
            .deadline = now + (share > 0 ? share : 0), .max_evals = o->max_evals,
            .interrupted = o->interrupted, .progress = o->progress, .user = o->user,
            .seed = 0x2545f4914f6cdd1dull * (uint64_t)(i + 1)};
        struct gc_tune_row *row = &out->rows[out->n_rows];
        s = gc__tune_op_shape(dev, &ops[i], rec, path, &opt, row);
        if (s == GC_UNSUPPORTED) { /* a use the bench cannot rebuild keeps its defaults */
            say(o, "[%d/%d] %s: skipped (%s)", i + 1, n, ops[i].key, gc_last_error());
            gc_clear_error();
            s = GC_OK;
            continue;
        }
        if (s != GC_OK) break;
        out->n_rows++;
        say(o, "[%d/%d] %s: %.4f -> %.4f ms (%.2fx) %s%s", i + 1, n, row->shape,
            row->default_s * 1e3, row->tuned_s * 1e3, row->default_s / row->tuned_s, row->params,
            row->resumed ? " (from the record)" : "");
    }
    return s;
}

static gc_status tune_shapes(struct gc_device *dev, const struct gc_tune_options *o,
                             const struct gc_gemm_desc *d, int n, double end, struct gc_tune_record *rec,
                             const char *path, struct gc_tune_result *out)
{
    gc_status s = GC_OK;
    /* One CLBlast parameter set costs a program build: CLBLAST_BUILD_S on CPUs until the first
     * is measured, about a second on GPUs. Asked for explicitly, the first set is tried
     * whatever it costs, and its measured build paces the rest. */
    double clb_build = o->clblast > 0 ? 0 : dev->info.type == GC_DEVICE_CPU ? CLBLAST_BUILD_S : 2;
    for (int i = 0; i < n && s == GC_OK; i++) {
        double now = gc__tune_clock(), share = (end - now) / (n - i);
        bool clb = o->clblast > 0 || (o->clblast < 0 && (dev->info.type != GC_DEVICE_CPU || share >= clb_build));
        struct gc_tune_search opt = {
            .deadline = now + (share > 0 ? share : 0), .max_evals = o->max_evals,
            .clblast = !clb ? 0 : o->clblast == 2 ? 2 : 1, .clblast_build_s = &clb_build,
            .interrupted = o->interrupted, .progress = o->progress, .user = o->user,
            .seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1)};
        struct gc_tune_row *row = &out->rows[out->n_rows], *crow = row + 1;
        s = gc__tune_gemm_shape(dev, &d[i], rec, path, &opt, row, crow);
        if (s != GC_OK) break;
        out->n_rows++;
        say(o, "[%d/%d] gemm %s: %.3f -> %.3f ms (%.2fx, %.1f GFLOP/s) %s%s", i + 1, n, row->shape,
            row->default_s * 1e3, row->tuned_s * 1e3, row->default_s / row->tuned_s,
            row->flops / row->tuned_s * 1e-9, row->params, row->resumed ? " (from the record)" : "");
        if (!crow->kernel[0]) continue;
        out->n_rows++;
        say(o, "      clblast: defaults %.3f ms, best set %.3f ms (%.2fx) %s", crow->default_s * 1e3,
            crow->tuned_s * 1e3, crow->default_s / crow->tuned_s, crow->params);
    }
    return s;
}

gc_status gc_tune_run(struct gc_device *dev, const struct gc_tune_options *o,
                      struct gc_tune_result *out)
{
    /* Under the watchdog a restarted process has what is left of the whole tune's budget. */
    double t0 = gc__tune_watch_started() >= 0 ? gc__tune_watch_started() : gc__tune_clock();
    double budget = o->budget_s > 0 ? o->budget_s : 600;
    memset(out, 0, sizeof *out);
    const char *const *models = o->model ? &o->model : all_models;
    int n_models = o->model ? 1 : (int)(sizeof all_models / sizeof all_models[0]);
    struct gc_tune_record rec = {0};
    struct gc_gemm_desc *d = NULL;
    struct gc_tune_op *ops = NULL;
    int n = 0, n_ops = 0;
    double step_sum = 0, step_s[8] = {0};
    gc_status s = open_record(dev, out->record_path, sizeof out->record_path, &rec);
    for (int i = 0; i < n_models && i < 8 && s == GC_OK; i++) {
        s = collect(dev, models[i], &d, &n, &ops, &n_ops, &step_s[i]);
        step_sum += step_s[i];
        if (s == GC_OK)
            say(o, "%s: %d distinct GEMM shapes, %d kernel shapes so far (a step: %.3f s)",
                models[i], n, n_ops, step_s[i]);
    }
    /* A row per kernel use and per shape, and CLBlast's own row beside it where measured. */
    out->rows = s == GC_OK ? gc_calloc((size_t)(2 * n + n_ops + 1), sizeof *out->rows) : NULL;
    if (s == GC_OK && !out->rows) s = gc_error(GC_NOMEM, "tune: out of host memory");
    /* What the closing step timing needs (model builds ~ a step each) stays outside the search. */
    double reserve = o->step_timing ? step_sum * (2 * STEP_PAIRS + 4) * 1.3 : 0;
    double search_s = budget - reserve - (gc__tune_clock() - t0);
    double t_ops = gc__tune_clock();
    if (s == GC_OK && n_ops)
        s = tune_ops(dev, o, ops, n_ops, t_ops + (search_s > 0 ? search_s : 0) * OP_SHARE, &rec,
                     out->record_path, out);
    out->op_s = gc__tune_clock() - t_ops;
    if (s == GC_OK) s = tune_shapes(dev, o, d, n, t0 + budget - reserve, &rec, out->record_path, out);
    if (s == GC_OK || s == GC_INTERRUPTED) {
        gc_status si = gc__tune_install(dev, &rec);
        if (s == GC_OK) s = si;
    }
    for (int i = 0; s == GC_OK && o->step_timing && i < n_models && i < 8; i++) {
        snprintf(out->steps[i].model, sizeof out->steps[i].model, "%s", models[i]);
        s = time_steps(dev, models[i], step_s[i], &out->steps[i].default_s, &out->steps[i].tuned_s);
        if (s == GC_OK) out->n_steps++;
    }
    gc__tune_record_free(&rec);
    gc_free(d);
    gc_free(ops);
    out->elapsed_s = gc__tune_clock() - t0;
    return s;
}

void gc_tune_result_free(struct gc_tune_result *r)
{
    if (!r) return;
    gc_free(r->rows);
    r->rows = NULL;
    r->n_rows = 0;
}
