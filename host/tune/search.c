/* SPDX-License-Identifier: MIT */
/* The search over GEMM configs for one shape: the default and a small "likely good" set,
 * then random valid configs, then hill climbing from the best over neighbouring values of
 * one tunable at a time, each stage stopped by the deadline, --max-evals or an interrupt.
 * Every candidate is verified before it is timed (bench.c) and written to the record as
 * "pending" first: a candidate that kills the process stays pending in the file and the
 * next tune records it as crashed. Rejected candidates are never run again. The best 3 and
 * the default are then re-measured in interleaved rounds and the fastest becomes the
 * shape's entry.
 *
 * CLBlast's own parameter sets (clblast_space.c) join the likely set and the random stage.
 * Each new set costs a CLBlast program build (about 1 s on GPUs, 10-150 s on PoCL), so one
 * is started only while the last measured build still fits before the deadline. A set that
 * failed to build or crashed on one shape is not tried on another (CLBlast compiles one
 * program for all shapes). CLBlast's defaults and its best set are re-measured beside the
 * finalists, for the report's CLBlast row. A set is applied per shape with
 * CLBlastOverrideParameters; the step switches sets between shapes, so a set's measured
 * switch cost (twice: in and back out) is added to its time when the winner is chosen.
 *
 * Under `gan-cl tune`'s watchdog (watchdog.h) each blocking phase of a candidate is armed with
 * a deadline: its build (and first launch, where drivers compile) at least 300 s (3x the
 * longest build so far when longer), its verification run and its timing 100x the
 * default's time of the shape, the floor at least (the verification also 3x the longest so
 * far), the default itself a build's deadline (its time is the unit). A
 * candidate that overruns is killed with the process and recorded as hung by the next one; the
 * finalists' re-timing is armed and marked pending the same way. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "ops/gemm_thin.h"
#include "tune/bench.h"
#include "tune/watchdog.h"

#define FIRST_SAMPLES 5
#define FINAL_ROUNDS 3 /* x FIRST_SAMPLES samples each for the finalists */
#define MAX_FINALISTS 6 /* the default, the best 3, CLBlast's defaults and its best set */
#define CLB_BUILD_CPU_S 60 /* first guess of a CLBlast build (spec/cpu-kernels.md: 11-147 s) */
#define CLB_BUILD_GPU_S 5
#define MAX_SEEN 512
#define MAX_ACCUMULATORS 32 /* MR * NR / VW: beyond the register file compile time explodes */
#define MIN_CALL_S 3e-3   /* bench.c's timed sample: a call counts at least this long */

int64_t gc__tune_evals_total;
/* Of this process: pace the next deadlines. The build phase includes the kernel's first
 * launch, where PoCL and rusticl compile it (bench.c); the verification's 3x longest_verify_s
 * is insurance should a driver compile again for the real shape. */
static double longest_verify_s;

struct cand {
    struct gc_gemm_config cfg;
    double median, min, err;
};

struct search {
    struct gc_device *dev;
    struct gc_tune_bench b;
    struct gc_tune_record *rec;
    const char *path;
    const struct gc_tune_search *opt;
    struct gc_tune_shape shape;
    char shape_str[96];
    struct gc_tune_layout layout; /* of the descriptor measured, kept with the entries */
    struct gc_gemm_config def;
    double def_s; /* the default's median once measured (the watchdog's unit), else 0 */
    struct cand seen[MAX_SEEN]; /* measured (correct) this run */
    int n_seen, evals, rejected;
    uint64_t rng;
    double deadline; /* of the search: the finalists' re-measurement fits after it */
    struct gc_clblast_params clb_def; /* CLBlast's database values for the device */
    bool clb_sets;                    /* CLBlast parameter sets are searched */
    double clb_build_local;           /* the estimate when opt->clblast_build_s is NULL */
    int clb_evals;                    /* CLBlast candidates measured (defaults included) */
};

static bool is_clb_set(const struct gc_gemm_config *c) { return c->impl == GC_GEMM_CLBLAST && c->clb.set; }

static double *clb_build(struct search *s)
{
    return s->opt->clblast_build_s ? s->opt->clblast_build_s : &s->clb_build_local;
}

static bool out_of_time(const struct search *s)
{
    return gc__tune_clock() >= s->deadline ||
           (s->opt->max_evals > 0 && s->evals >= s->opt->max_evals) ||
           (s->opt->interrupted && *s->opt->interrupted) || s->n_seen == MAX_SEEN;
}

static void say(const struct search *s, const char *fmt, const char *a, const char *b)
{
    if (!s->opt->progress) return;
    char line[512];
    snprintf(line, sizeof line, fmt, a, b);
    s->opt->progress(line, s->opt->user);
}

static bool fatal(enum gc_tune_outcome o) { return o == GC_TUNE_CRASHED || o == GC_TUNE_HUNG; }

/* Any rejection holds for its own shape. A build failure depends on the options only
 * (transposes + params), not on the shape; a CLBlast set's program serves every shape and
 * transpose, and one that crashed or hung the process (GEMMK=1 on PoCL) is not worth a second.
 * An own kernel that crashed or hung is not retried on shapes of the same transposes either
 * (the same program): its fault may depend on the shape, but each costs a new process (device
 * open, the model's step, the default re-measured) and the watchdog's wait, while dropping one
 * config of the many the search draws costs little. */
static bool rejected_before(const struct search *s, const struct gc_gemm_config *cfg)
{
    for (int i = 0; i < s->rec->n; i++) {
        const struct gc_tune_entry *e = &s->rec->e[i];
        if (e->outcome == GC_TUNE_BEST || strcmp(e->kernel, "gemm") || !gc__tune_config_eq(&e->cfg, cfg) ||
            !gc__tune_entry_current(e))
            continue;
        if (gc__tune_shape_eq(&e->shape, &s->shape)) return true;
        bool same_program = is_clb_set(cfg) || (e->shape.ta == s->shape.ta && e->shape.tb == s->shape.tb);
        if (same_program && (e->outcome == GC_TUNE_BUILD_FAILED || fatal(e->outcome))) return true;
    }
    return false;
}

static gc_status mark(struct search *s, const struct gc_gemm_config *cfg, enum gc_tune_outcome o,
                      double err)
{
    int i = gc__tune_record_find(s->rec, &s->shape, cfg);
    struct gc_tune_entry e = {.kernel = "gemm", .shape = s->shape, .layout = s->layout, .outcome = o, .cfg = *cfg,
                              .error = err, .source_hash = gc__tune_source_hash(cfg->impl)};
    gc__tune_now_iso(e.date, sizeof e.date);
    if (i >= 0) s->rec->e[i] = e;
    else {
        gc_status st = gc__tune_record_add(s->rec, &e);
        if (st != GC_OK) return st;
    }
    return gc__tune_record_save(s->path, s->rec);
}

/* ---- one candidate under the watchdog ---- */

static double max2(double a, double b) { return a > b ? a : b; }

/* `calls` calls of a candidate GC_TUNE_HANG_FACTOR times slower than the default. The default
 * itself (its time unknown) gets a build's deadline: a default wrongly taken as hung would leave
 * the shape without a baseline in every later tune. */
static double run_deadline(const struct search *s, int calls)
{
    if (s->def_s <= 0) return gc__tune_watch_build_s();
    return gc__tune_watch_run_s(calls * max2(s->def_s, MIN_CALL_S));
}

static double verify_deadline(const struct search *s, const struct gc_gemm_config *cfg)
{
    double t = max2(run_deadline(s, 1), 3 * longest_verify_s);
    /* CLBlast builds in its first call */
    return cfg->impl == GC_GEMM_CLBLAST ? t + gc__tune_watch_build_s() : t;
}

/* "candidate gemm_cpu MR=24 ... on NN 64x64x64 b1", the watchdog's label. */
static void label_of(const struct search *s, const struct gc_gemm_config *cfg, char *buf, size_t size)
{
    char name[200];
    gc__tune_config_str(cfg, name, sizeof name);
    snprintf(buf, size, "candidate %s on %s", name, s->shape_str);
}

/* `samples` timed samples of cfg after its warm-up, armed (a candidate: pending in the record). */
static gc_status watched_time(struct search *s, const struct gc_gemm_config *cfg, int samples,
                              double *median, double *min)
{
    char label[320];
    label_of(s, cfg, label, sizeof label);
    gc__tune_watch_arm(run_deadline(s, samples + 1), true, label);
    gc_status st = gc__tune_bench_time(&s->b, cfg, samples, median, min);
    gc__tune_watch_disarm();
    return st;
}

/* Builds, verifies and times cfg, each phase armed; the outcome (GC_TUNE_BEST: correct). */
static enum gc_tune_outcome measure(struct search *s, const struct gc_gemm_config *cfg, struct cand *c)
{
    char label[320];
    label_of(s, cfg, label, sizeof label);
    double t0 = gc__tune_clock();
    gc__tune_watch_arm(gc__tune_watch_build_s(), true, label);
    enum gc_tune_outcome o = gc__tune_bench_build(&s->b, cfg);
    gc__tune_watch_note_build(t0);
    bool clb = cfg->impl == GC_GEMM_CLBLAST;
    if (o == GC_TUNE_BEST) {
        double t1 = gc__tune_clock();
        gc__tune_watch_arm(verify_deadline(s, cfg), true, label);
        o = gc__tune_bench_verify(&s->b, cfg, &c->err);
        if (clb) gc__tune_watch_note_build(t1);
        else longest_verify_s = max2(longest_verify_s, gc__tune_clock() - t1);
    }
    gc__tune_watch_disarm();
    if (is_clb_set(cfg)) *clb_build(s) = gc__tune_clock() - t0; /* mostly the build: the next one's guess */
    if (clb) s->clb_evals++;
    if (o == GC_TUNE_BEST && watched_time(s, cfg, FIRST_SAMPLES, &c->median, &c->min) != GC_OK)
        o = GC_TUNE_FAILED;
    return o;
}

/* Verifies then times cfg. Returns the candidate, or NULL (invalid, rejected now or before). */
static const struct cand *eval(struct search *s, const struct gc_gemm_config *cfg, gc_status *st)
{
    for (int i = 0; i < s->n_seen; i++)
        if (gc__tune_config_eq(&s->seen[i].cfg, cfg)) return &s->seen[i];
    if (gc__gemm_config_check(&s->dev->info, cfg) != GC_OK || rejected_before(s, cfg)) {
        gc_clear_error();
        return NULL;
    }
    if (is_clb_set(cfg) && gc__tune_clock() + *clb_build(s) > s->deadline)
        return NULL; /* its build won't fit */
    if ((*st = mark(s, cfg, GC_TUNE_PENDING, 0)) != GC_OK) return NULL;
    struct cand c = {.cfg = *cfg};
    enum gc_tune_outcome o = measure(s, cfg, &c);
    s->evals++;
    gc__tune_evals_total++;
    if (o != GC_TUNE_BEST) {
        char name[200];
        gc__tune_config_str(cfg, name, sizeof name);
        s->rejected++;
        say(s, "  rejected (%s): %s", gc__tune_outcome_name(o), name);
        gc_clear_error();
        *st = mark(s, cfg, o, c.err);
        return NULL;
    }
    /* Correct: drop the pending mark (saved with the next write, which comes before any other
     * armed phase: a mark, or the shape's entry). */
    int i = gc__tune_record_find(s->rec, &s->shape, cfg);
    if (i >= 0) s->rec->e[i] = s->rec->e[--s->rec->n];
    if (gc__tune_config_eq(cfg, &s->def)) s->def_s = c.median;
    s->seen[s->n_seen++] = c;
    return &s->seen[s->n_seen - 1];
}

static int best_index(const struct search *s)
{
    int b = -1;
    for (int i = 0; i < s->n_seen; i++)
        if (b < 0 || s->seen[i].median < s->seen[b].median) b = i;
    return b;
}

/* ---- candidates ---- */

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static int round_up(int v, int unit) { return unit > 0 ? (v + unit - 1) / unit * unit : v; }

/* Makes the multiples right (NR of VW, MC of MR, NC of NR); false when the config is outside
 * the searched space (too many accumulators). */
static bool repair(struct gc_gemm_config *c)
{
    if (c->impl == GC_GEMM_OWN_THIN) return c->thin_wg % c->thin_split == 0;
    if (c->impl != GC_GEMM_OWN_CPU) return true;
    c->nr = round_up(c->nr < c->vw ? c->vw : c->nr, c->vw);
    c->mc = round_up(c->mc < c->mr ? c->mr : c->mc, c->mr);
    c->nc = round_up(c->nc < c->nr ? c->nr : c->nc, c->nr);
    return c->mr * (c->nr / c->vw) <= MAX_ACCUMULATORS;
}

/* Whether the shape is one gemm_thin is meant for (M or N 1, or small K). */
static bool thin_shape(const struct search *s)
{
    struct gc_gemm_desc d = {.m = s->shape.m, .n = s->shape.n, .k = s->shape.k};
    return gc__gemm_thin_shape(&d);
}

/* A random config of gan-cl's kernel (for thin shapes every other one gemm_thin's), or (every
 * third draw, or always with clblast == 2) a random CLBlast parameter set. */
static bool random_config(struct search *s, int i, struct gc_gemm_config *c)
{
    *c = s->def;
    if (s->clb_sets && (s->opt->clblast == 2 || i % 3 == 2)) {
        c->impl = GC_GEMM_CLBLAST;
        c->clblast_strided_batched = false;
        return gc__tune_clblast_random(&s->dev->info, &s->clb_def, &s->rng, &c->clb);
    }
    if (s->opt->clblast == 2) return false;
    c->impl = s->dev->info.type == GC_DEVICE_CPU ? GC_GEMM_OWN_CPU : GC_GEMM_OWN_TILED;
    if (thin_shape(s) && next(&s->rng) % 2) c->impl = GC_GEMM_OWN_THIN;
    for (int i = 0; i < gc__gemm_tunable_count; i++) {
        const struct gc_gemm_tunable *t = &gc__gemm_tunables[i];
        if (t->impl == c->impl)
            *gc__gemm_tunable_field(c, t) = t->candidates[next(&s->rng) % (uint64_t)t->n_candidates];
    }
    return repair(c);
}

static void try_list(struct search *s, const int (*list)[5], int n, gc_status *st)
{
    for (int i = 0; i < n && s->opt->clblast != 2 && *st == GC_OK && !out_of_time(s); i++) {
        struct gc_gemm_config c = s->def;
        if (s->dev->info.type == GC_DEVICE_CPU) { /* the default may be gemm_thin there */
            c.impl = GC_GEMM_OWN_CPU;
            c.mr = list[i][0];
            c.nr = list[i][1];
            c.kc = list[i][2] ? list[i][2] : c.kc;
            c.mc = list[i][3] ? list[i][3] : c.mc;
            c.nc = list[i][4] ? list[i][4] : c.nc;
        } else {
            c.impl = GC_GEMM_OWN_TILED;
            c.tsm = list[i][0], c.tsn = list[i][1], c.tsk = list[i][2], c.wptm = list[i][3], c.wptn = list[i][4];
        }
        if (repair(&c)) eval(s, &c, st);
    }
}

/* gemm_thin configs {WG, VW, SPLIT, RB}: one GEMV output per item in small and large groups,
 * several items per output (SPLIT) for few outputs over long K; for small K (the outer
 * kernel, which ignores SPLIT) narrower vectors and more rows per item. */
static void try_thin(struct search *s, gc_status *st)
{
    static const int gemv[][4] = {{32, 16, 1, 8}, {8, 16, 1, 8}, {256, 16, 1, 8}, {64, 8, 1, 8},
                                  {16, 16, 2, 8}, {32, 16, 4, 8}, {64, 16, 8, 8}, {64, 4, 1, 8}};
    static const int outer[][4] = {{32, 16, 1, 8}, {128, 16, 1, 8}, {64, 16, 1, 16}, {64, 4, 1, 4},
                                   {64, 8, 1, 4}, {16, 16, 1, 2}, {256, 4, 1, 1}, {64, 1, 1, 8}};
    bool g = s->shape.m == 1 || s->shape.n == 1;
    const int(*thin)[4] = g ? gemv : outer;
    int n = g ? (int)(sizeof gemv / sizeof gemv[0]) : (int)(sizeof outer / sizeof outer[0]);
    for (int i = 0; i < n && s->opt->clblast != 2 && *st == GC_OK && !out_of_time(s); i++) {
        struct gc_gemm_config c = s->def;
        c.impl = GC_GEMM_OWN_THIN;
        c.thin_wg = thin[i][0], c.thin_vw = thin[i][1], c.thin_split = thin[i][2];
        c.thin_rb = thin[i][3];
        if (repair(&c)) eval(s, &c, st);
    }
}

/* The default, CLBlast's own tuned defaults, and configurations measured good before
 * (spec/cpu-kernels.md: 24x16, 12x32, 6x64 float16 tiles equal at large sizes; narrow N
 * wants narrow panels; KC 128-256). */
static void likely_set(struct search *s, gc_status *st)
{
    static const int cpu16[][5] = {{24, 16, 0, 0, 0},  {12, 32, 0, 0, 0},  {6, 64, 0, 0, 0},
                                   {8, 32, 0, 0, 0},   {16, 16, 0, 0, 0},  {24, 16, 128, 0, 0},
                                   {12, 32, 128, 0, 0}, {24, 16, 0, 96, 128}, {12, 32, 0, 96, 128},
                                   {24, 16, 0, 384, 512}, {6, 64, 128, 0, 0}, {4, 64, 0, 0, 0}};
    static const int cpu8[][5] = {{6, 16, 0, 0, 0},  {12, 16, 0, 0, 0}, {4, 32, 0, 0, 0},
                                  {8, 16, 0, 0, 0},  {6, 32, 0, 0, 0},  {6, 16, 128, 0, 0},
                                  {12, 16, 128, 0, 0}, {6, 16, 0, 96, 128}};
    static const int tiled[][5] = {{64, 64, 16, 4, 4},  {128, 64, 16, 8, 4}, {64, 128, 16, 4, 8},
                                   {128, 128, 16, 8, 8}, {32, 32, 16, 2, 2}, {64, 64, 32, 4, 4},
                                   {32, 64, 16, 4, 4},  {64, 64, 16, 8, 8},  {128, 128, 8, 8, 8}};
    s->deadline = s->opt->deadline;
    const struct cand *d = eval(s, &s->def, st);
    /* Finalists: MAX_FINALISTS configs x FINAL_ROUNDS x (1 + FIRST_SAMPLES) samples of >= 3 ms. */
    if (d) s->deadline -= (double)MAX_FINALISTS * FINAL_ROUNDS * (1 + FIRST_SAMPLES) * (d->median > 3e-3 ? d->median : 3e-3);
    struct gc_gemm_config cb = s->def;
    cb.impl = GC_GEMM_CLBLAST;
    cb.clblast_strided_batched = false;
    memset(&cb.clb, 0, sizeof cb.clb);
    bool cpu = s->dev->info.type == GC_DEVICE_CPU;
    if (s->opt->clblast && (!cpu || s->opt->clblast == 2) && *st == GC_OK) eval(s, &cb, st);
    if (thin_shape(s)) try_thin(s, st);
    if (!cpu) try_list(s, tiled, (int)(sizeof tiled / sizeof tiled[0]), st);
    else if (s->def.vw == 16) try_list(s, cpu16, (int)(sizeof cpu16 / sizeof cpu16[0]), st);
    else try_list(s, cpu8, (int)(sizeof cpu8 / sizeof cpu8[0]), st);
    if (s->opt->clblast && cpu && s->opt->clblast != 2 && *st == GC_OK && !out_of_time(s)) eval(s, &cb, st);
    for (int i = 0; s->clb_sets && *st == GC_OK && !out_of_time(s) &&
                    gc__tune_clblast_likely(&s->dev->info, &s->clb_def, &s->shape, i, &cb.clb);
         i++)
        eval(s, &cb, st);
}

static void random_stage(struct search *s, int tries, gc_status *st)
{
    for (int i = 0; i < tries && *st == GC_OK && !out_of_time(s); i++) {
        struct gc_gemm_config c;
        if (random_config(s, i, &c)) eval(s, &c, st);
        else if (s->opt->clblast == 2) return; /* no valid CLBlast set left to draw */
    }
}

/* Hill climbing: from the best so far, every one-step change of one tunable (neighbouring
 * candidate value), in random order; move to the first that is faster, stop at a local
 * optimum (or the budget). */
static void climb(struct search *s, gc_status *st)
{
    bool moved = true;
    while (moved && *st == GC_OK && !out_of_time(s)) {
        moved = false;
        int bi = best_index(s);
        if (bi < 0 || s->seen[bi].cfg.impl == GC_GEMM_CLBLAST || s->opt->clblast == 2) return;
        struct cand best = s->seen[bi];
        int order[2 * 16], n = 0;
        for (int i = 0; i < gc__gemm_tunable_count; i++)
            if (gc__gemm_tunables[i].impl == best.cfg.impl) order[n++] = 2 * i, order[n++] = 2 * i + 1;
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(next(&s->rng) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j], order[j] = t;
        }
        for (int i = 0; i < n && !moved && *st == GC_OK && !out_of_time(s); i++) {
            const struct gc_gemm_tunable *t = &gc__gemm_tunables[order[i] / 2];
            struct gc_gemm_config c = best.cfg;
            int *f = gc__gemm_tunable_field(&c, t), k = 0;
            while (k < t->n_candidates - 1 && t->candidates[k] < *f) k++;
            k += order[i] % 2 ? 1 : -1;
            if (k < 0 || k >= t->n_candidates || t->candidates[k] == *f) continue;
            *f = t->candidates[k];
            if (!repair(&c)) continue;
            const struct cand *r = eval(s, &c, st);
            moved = r && r->median < best.median;
        }
    }
}

/* ---- finalists and the entry ---- */

static bool in_list(const struct cand *fin, int n, const struct gc_gemm_config *c)
{
    for (int i = 0; i < n; i++)
        if (gc__tune_config_eq(&fin[i].cfg, c)) return true;
    return false;
}

/* Index in seen of the fastest candidate that keep() accepts, or -1. */
static int fastest(const struct search *s, bool (*keep)(const struct gc_gemm_config *))
{
    int b = -1;
    for (int i = 0; i < s->n_seen; i++)
        if (keep(&s->seen[i].cfg) && (b < 0 || s->seen[i].median < s->seen[b].median)) b = i;
    return b;
}

static bool is_clb_default(const struct gc_gemm_config *c) { return c->impl == GC_GEMM_CLBLAST && !c->clb.set; }

/* A finalist's re-timing, pending in the record while it runs: a finalist that hangs or
 * crashes now is blamed like any candidate (and the shape's search resumes without it). */
static gc_status retime(struct search *s, const struct gc_gemm_config *cfg, double *median, double *min)
{
    gc_status st = mark(s, cfg, GC_TUNE_PENDING, 0);
    if (st == GC_OK) st = watched_time(s, cfg, FIRST_SAMPLES, median, min);
    int i = gc__tune_record_find(s->rec, &s->shape, cfg);
    if (i >= 0 && s->rec->e[i].outcome == GC_TUNE_PENDING) s->rec->e[i] = s->rec->e[--s->rec->n];
    return st;
}

/* The best 3, the default, and CLBlast's defaults and best set when measured, re-timed in
 * interleaved rounds (noise hits all alike): the median of the rounds' medians decides.
 * Index 0 of *fin is the default. */
static gc_status finals(struct search *s, struct cand *fin, int *n_fin)
{
    int n = 0;
    for (int i = 0; i < s->n_seen; i++)
        if (gc__tune_config_eq(&s->seen[i].cfg, &s->def)) fin[n++] = s->seen[i];
    if (n == 0) {
        int i = gc__tune_record_find(s->rec, &s->shape, &s->def);
        return gc_error(GC_FORMAT, "tune: the default GEMM config of %s failed verification (%s)%s",
                        s->shape_str, i >= 0 ? gc__tune_outcome_name(s->rec->e[i].outcome) : "skipped",
                        i >= 0 ? "; remove its entry from the record to measure it again" : "");
    }
    struct cand pool[MAX_SEEN];
    int np = 0;
    for (int i = 0; i < s->n_seen; i++)
        if (!gc__tune_config_eq(&s->seen[i].cfg, &s->def)) pool[np++] = s->seen[i];
    for (int k = 0; k < 3 && np > 0; k++) {
        int b = 0;
        for (int i = 1; i < np; i++) if (pool[i].median < pool[b].median) b = i;
        fin[n++] = pool[b];
        pool[b] = pool[--np];
    }
    int c0 = fastest(s, is_clb_default), c1 = fastest(s, is_clb_set);
    if (c0 >= 0 && !in_list(fin, n, &s->seen[c0].cfg)) fin[n++] = s->seen[c0];
    if (c1 >= 0 && !in_list(fin, n, &s->seen[c1].cfg)) fin[n++] = s->seen[c1];
    double med[FINAL_ROUNDS][MAX_FINALISTS], mn[MAX_FINALISTS];
    for (int i = 0; i < n; i++) mn[i] = fin[i].min;
    for (int r = 0; r < FINAL_ROUNDS; r++)
        for (int i = 0; i < n; i++) {
            double m1;
            gc_status st = retime(s, &fin[i].cfg, &med[r][i], &m1);
            if (st != GC_OK) return st;
            if (m1 < mn[i]) mn[i] = m1;
        }
    for (int i = 0; i < n; i++) {
        double v[FINAL_ROUNDS];
        for (int r = 0; r < FINAL_ROUNDS; r++) v[r] = med[r][i];
        for (int a = 1; a < FINAL_ROUNDS; a++)
            for (int b = a; b > 0 && v[b] < v[b - 1]; b--) { double t = v[b]; v[b] = v[b - 1]; v[b - 1] = t; }
        fin[i].median = v[FINAL_ROUNDS / 2];
        fin[i].min = mn[i];
    }
    *n_fin = n;
    return GC_OK;
}

static double flops_of(const struct gc_tune_shape *sh)
{
    return 2.0 * (double)sh->m * (double)sh->n * (double)sh->k * (double)sh->batch;
}

static void fill_row(struct gc_tune_row *row, const struct gc_tune_entry *e)
{
    snprintf(row->kernel, sizeof row->kernel, "%s", e->kernel);
    gc__tune_shape_str(&e->shape, row->shape, sizeof row->shape);
    gc__tune_config_str(&e->cfg, row->params, sizeof row->params);
    row->flops = flops_of(&e->shape);
    row->default_s = e->default_s;
    row->tuned_s = e->median_s;
    row->evals = e->evals;
}

static struct gc_tune_entry entry_of(const struct search *s, const char *kernel, const struct cand *c,
                                     double default_s, int evals)
{
    struct gc_tune_entry e = {.shape = s->shape, .layout = s->layout, .outcome = GC_TUNE_BEST, .cfg = c->cfg,
                              .median_s = c->median, .min_s = c->min, .error = c->err,
                              .default_s = default_s, .evals = evals,
                              .source_hash = gc__tune_source_hash(c->cfg.impl)};
    snprintf(e.kernel, sizeof e.kernel, "%s", kernel);
    e.gflops = flops_of(&s->shape) / e.median_s * 1e-9;
    gc__tune_now_iso(e.date, sizeof e.date);
    return e;
}

/* CLBlast's report entry: its defaults beside its best set (or its defaults alone). */
static gc_status clblast_entry(struct search *s, const struct cand *fin, int n, struct gc_tune_row *row)
{
    int c0 = -1, c1 = -1;
    for (int i = 0; i < n; i++) {
        if (is_clb_default(&fin[i].cfg)) c0 = i;
        if (is_clb_set(&fin[i].cfg)) c1 = i;
    }
    if (c0 < 0) return GC_OK;
    struct gc_tune_entry e = entry_of(s, "clblast", &fin[c1 >= 0 && fin[c1].median < fin[c0].median ? c1 : c0],
                                      fin[c0].median, s->clb_evals);
    for (int i = s->rec->n - 1; i >= 0; i--) /* one report entry per shape */
        if (!strcmp(s->rec->e[i].kernel, "clblast") && gc__tune_shape_eq(&s->rec->e[i].shape, &s->shape))
            s->rec->e[i] = s->rec->e[--s->rec->n];
    if (row) fill_row(row, &e);
    return gc__tune_record_add(s->rec, &e);
}

/* The time a finalist costs in a step: a CLBlast set is switched in before its GEMM and out
 * after it when the shapes around it use other sets. */
static gc_status step_cost(struct search *s, const struct cand *c, double *cost)
{
    *cost = c->median;
    if (!is_clb_set(&c->cfg)) return GC_OK;
    double sw;
    gc_status st = gc__clblast_switch_cost(s->dev, &s->clb_def, &c->cfg.clb, &sw);
    *cost += 2 * sw;
    return st;
}

static gc_status finish(struct search *s, struct gc_tune_row *row, struct gc_tune_row *clb_row)
{
    struct cand fin[MAX_FINALISTS];
    int n = 0;
    gc_status st = finals(s, fin, &n);
    int w = 0;
    double best = 0, cost;
    for (int i = 0; i < n && st == GC_OK; i++) {
        st = step_cost(s, &fin[i], &cost);
        if (i == 0 || cost < best) w = i, best = cost;
    }
    if (st != GC_OK) return st;
    struct gc_tune_entry e = entry_of(s, "gemm", &fin[w], fin[0].median, s->evals);
    if ((st = gc__tune_record_add(s->rec, &e)) != GC_OK) return st;
    fill_row(row, &e);
    row->rejected = s->rejected;
    if ((st = clblast_entry(s, fin, n, clb_row)) != GC_OK) return st;
    return gc__tune_record_save(s->path, s->rec);
}

/* Whether CLBlast parameter sets are searched: asked for, and the device's defaults known
 * (they complete every set). */
static void clblast_setup(struct search *s)
{
    s->clb_build_local = s->dev->info.type == GC_DEVICE_CPU ? CLB_BUILD_CPU_S : CLB_BUILD_GPU_S;
    if (!s->opt->clblast) return;
    s->clb_sets = gc__clblast_defaults(s->dev, &s->clb_def) == GC_OK;
    if (!s->clb_sets) say(s, "  CLBlast parameter sets skipped: %s%s", gc_last_error(), "");
    gc_clear_error();
}

gc_status gc__tune_gemm_shape(struct gc_device *dev, const struct gc_gemm_desc *d,
                              struct gc_tune_record *rec, const char *path,
                              const struct gc_tune_search *opt, struct gc_tune_row *row,
                              struct gc_tune_row *clb_row)
{
    memset(row, 0, sizeof *row);
    if (clb_row) memset(clb_row, 0, sizeof *clb_row);
    struct search *s = gc_calloc(1, sizeof *s);
    if (!s) return gc_error(GC_NOMEM, "tune: out of host memory");
    *s = (struct search){.dev = dev, .rec = rec, .path = path, .opt = opt, .rng = opt->seed | 1};
    gc__tune_shape_of(d, &s->shape);
    gc__tune_shape_str(&s->shape, s->shape_str, sizeof s->shape_str);
    gc__tune_layout_of(d, &s->layout);
    int have = gc__tune_record_best(rec, &s->shape);
    gc_status st = GC_OK;
    if (have >= 0) {
        fill_row(row, &rec->e[have]);
        row->resumed = true;
        int c = gc__tune_record_clblast(rec, &s->shape);
        if (c >= 0 && clb_row) {
            fill_row(clb_row, &rec->e[c]);
            clb_row->resumed = true;
        }
    } else if ((st = gc__tune_bench_create(dev, d, &s->b)) == GC_OK) {
        gc__gemm_default_config(&dev->info, d, &s->def);
        clblast_setup(s);
        /* Stale entries of this shape (changed kernel) make room for the new ones. */
        for (int i = rec->n - 1; i >= 0; i--)
            if (gc__tune_shape_eq(&rec->e[i].shape, &s->shape) && !gc__tune_entry_current(&rec->e[i]))
                rec->e[i] = rec->e[--rec->n];
        likely_set(s, &st);
        if (st == GC_OK) random_stage(s, 8, &st);
        if (st == GC_OK) climb(s, &st);
        if (st == GC_OK) random_stage(s, MAX_SEEN, &st);
        if (st == GC_OK && opt->interrupted && *opt->interrupted) {
            st = gc__tune_record_save(path, rec); /* without this run's pending marks */
            if (st == GC_OK) st = gc_error(GC_INTERRUPTED, "tune: interrupted");
        }
        if (st == GC_OK) st = finish(s, row, clb_row);
        if (st != GC_OK && st != GC_INTERRUPTED)
            gc__tune_record_save(path, rec); /* the last correct candidate's pending mark gone */
        gc__tune_bench_destroy(&s->b);
    }
    gc_free(s);
    return st;
}
