/* SPDX-License-Identifier: MIT */
/* The search over one recorded kernel use's tunables (op_bench.h has the bench): the
 * tunables the op depends on (gc_op_desc.untuned excluded) span the candidates; the whole
 * cartesian product when it has at most MAX_PRODUCT members (the element-wise layout: 5 x 6),
 * else the default, every one-tunable change of it, then random draws. Only valid values
 * run (the bench checks work-group and local-memory limits and the loop budget). As for
 * GEMMs (search.c), every candidate is written to the record as "pending" before it runs,
 * rejected ones are recorded and never run again, and the default and the best 3 are
 * re-timed in interleaved rounds before the fastest becomes the key's entry. Under the
 * watchdog (watchdog.h) a candidate's build-verify-time is armed with a build's deadline plus
 * a run's, and a finalist's re-timing (pending again meanwhile) with a run's. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "tune/op_bench.h"
#include "tune/watchdog.h"

#define FIRST_SAMPLES 5
#define FINAL_ROUNDS 3
#define FINALISTS 4 /* the default and the best 3 */
#define MAX_PRODUCT 64
#define MAX_SEEN 256

struct osearch {
    struct gc_device *dev;
    struct gc_tune_opbench b;
    struct gc_tune_record *rec;
    const char *path;
    const struct gc_tune_search *opt;
    const struct gc_tune_op *op;
    struct gc_tune_opcand seen[MAX_SEEN]; /* right and timed, this run */
    int n_seen, evals, rejected;
    uint64_t rng;
    double deadline;
};

static bool out_of_time(const struct osearch *s)
{
    return gc__tune_clock() >= s->deadline ||
           (s->opt->max_evals > 0 && s->evals >= s->opt->max_evals) ||
           (s->opt->interrupted && *s->opt->interrupted) || s->n_seen == MAX_SEEN;
}

static bool rejected_before(const struct osearch *s, const int *tv)
{
    int i = gc__tune_record_find_op(s->rec, s->op->key, tv);
    return i >= 0 && s->rec->e[i].outcome != GC_TUNE_BEST && gc__tune_entry_current(&s->rec->e[i]);
}

static struct gc_tune_entry entry(const struct osearch *s, const int *tv, enum gc_tune_outcome o)
{
    struct gc_tune_entry e = {.is_op = true, .outcome = o,
                              .source_hash = gc__tune_op_source_hash(s->op->kernel)};
    snprintf(e.kernel, sizeof e.kernel, "%s", s->op->kernel);
    snprintf(e.key, sizeof e.key, "%s", s->op->key);
    memcpy(e.tv, tv, sizeof e.tv);
    gc__tune_now_iso(e.date, sizeof e.date);
    return e;
}

/* Records (key, tv) with outcome o (replacing its entry) and writes the file. */
static gc_status mark(struct osearch *s, const int *tv, enum gc_tune_outcome o, double err)
{
    struct gc_tune_entry e = entry(s, tv, o);
    e.error = err;
    int i = gc__tune_record_find_op(s->rec, s->op->key, tv);
    if (i >= 0) s->rec->e[i] = e;
    else {
        gc_status st = gc__tune_record_add(s->rec, &e);
        if (st != GC_OK) return st;
    }
    return gc__tune_record_save(s->path, s->rec);
}

static void drop(struct osearch *s, const int *tv)
{
    int i = gc__tune_record_find_op(s->rec, s->op->key, tv);
    if (i >= 0) s->rec->e[i] = s->rec->e[--s->rec->n];
}

static void say_rejected(const struct osearch *s, enum gc_tune_outcome o, const int *tv)
{
    if (!s->opt->progress) return;
    char p[128], line[512];
    gc__tune_op_params_str(s->op->kernel, tv, p, sizeof p);
    snprintf(line, sizeof line, "  rejected (%s): %s %s", gc__tune_outcome_name(o), s->op->kernel, p);
    s->opt->progress(line, s->opt->user);
}

/* "candidate conv2d_fwd TILE=16 ... on <key>", the watchdog's label. */
static void label_of(const struct osearch *s, const int *tv, char *buf, size_t size)
{
    char p[128];
    gc__tune_op_params_str(s->op->kernel, tv, p, sizeof p);
    snprintf(buf, size, "candidate %s %s on %s", s->op->kernel, p, s->op->key);
}

/* Runs of c GC_TUNE_HANG_FACTOR times slower than the default's (unknown: a build's time). */
static double run_deadline(const struct osearch *s, int calls)
{
    double def = s->n_seen > 0 ? s->seen[0].median : 0; /* the default is measured first */
    return def > 0 ? gc__tune_watch_run_s(calls * (def > 1e-3 ? def : 1e-3)) : gc__tune_watch_build_s();
}

/* One build-verify-time, mostly the build (a program per value set). */
static enum gc_tune_outcome watched_eval(struct osearch *s, struct gc_tune_opcand *c)
{
    char label[512];
    label_of(s, c->tv, label, sizeof label);
    double t0 = gc__tune_clock();
    gc__tune_watch_arm(gc__tune_watch_build_s() + run_deadline(s, 2 + FIRST_SAMPLES), true, label);
    enum gc_tune_outcome o = gc__tune_opbench_eval(&s->b, c, FIRST_SAMPLES);
    gc__tune_watch_disarm();
    gc__tune_watch_note_build(t0);
    return o;
}

/* A finalist re-timed, pending in the record meanwhile (a hang or crash now is blamed on it). */
static gc_status retime(struct osearch *s, struct gc_tune_opcand *c)
{
    char label[512];
    label_of(s, c->tv, label, sizeof label);
    gc_status st = mark(s, c->tv, GC_TUNE_PENDING, 0);
    gc__tune_watch_arm(run_deadline(s, 1 + FIRST_SAMPLES), true, label);
    if (st == GC_OK) st = gc__tune_opbench_time(&s->b, c, FIRST_SAMPLES);
    gc__tune_watch_disarm();
    drop(s, c->tv);
    return st;
}

/* Verifies then times tv (once per run); NULL when invalid or rejected, now or before. */
static const struct gc_tune_opcand *eval(struct osearch *s, const int *tv, gc_status *st)
{
    for (int i = 0; i < s->n_seen; i++)
        if (!memcmp(s->seen[i].tv, tv, sizeof s->seen[i].tv)) return &s->seen[i];
    if (rejected_before(s, tv) || *st != GC_OK) return NULL;
    if ((*st = mark(s, tv, GC_TUNE_PENDING, 0)) != GC_OK) return NULL;
    struct gc_tune_opcand c;
    memset(&c, 0, sizeof c);
    memcpy(c.tv, tv, sizeof c.tv);
    enum gc_tune_outcome o = watched_eval(s, &c);
    gc_clear_error();
    if (o == GC_TUNE_OUTCOME_COUNT) { /* not valid on this device: not a candidate */
        drop(s, tv);
        return NULL;
    }
    s->evals++;
    gc__tune_evals_total++;
    if (o != GC_TUNE_BEST) {
        s->rejected++;
        say_rejected(s, o, tv);
        *st = mark(s, tv, o, c.err);
        return NULL;
    }
    drop(s, tv); /* right: the pending mark goes with the next write */
    s->seen[s->n_seen++] = c;
    return &s->seen[s->n_seen - 1];
}

/* Members of the product over the tuned tunables (untuned ones stay at the default). */
static int product(const struct osearch *s)
{
    int n = 1;
    for (int i = 0; i < s->b.n_tunables; i++)
        if (!(s->b.untuned >> i & 1)) n *= s->b.tunables[i].n_candidates;
    return n;
}

/* The idx-th member of the product (mixed radix over the tuned tunables). */
static void member(const struct osearch *s, int idx, int *tv)
{
    memcpy(tv, s->b.def, sizeof s->b.def);
    for (int i = 0; i < s->b.n_tunables; i++) {
        if (s->b.untuned >> i & 1) continue;
        const struct gc_tunable *t = &s->b.tunables[i];
        tv[i] = t->candidates[idx % t->n_candidates];
        idx /= t->n_candidates;
    }
}

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void search(struct osearch *s, gc_status *st)
{
    int n = product(s), tv[GC_MAX_TUNABLES];
    if (n <= MAX_PRODUCT) {
        for (int i = 0; i < n && *st == GC_OK && !out_of_time(s); i++) {
            member(s, i, tv);
            eval(s, tv, st);
        }
        return;
    }
    for (int i = 0; i < s->b.n_tunables && *st == GC_OK; i++) { /* one tunable at a time */
        const struct gc_tunable *t = &s->b.tunables[i];
        for (int k = 0; k < t->n_candidates && !(s->b.untuned >> i & 1) && !out_of_time(s); k++) {
            memcpy(tv, s->b.def, sizeof tv);
            tv[i] = t->candidates[k];
            eval(s, tv, st);
        }
    }
    for (int i = 0; i < 4 * MAX_PRODUCT && *st == GC_OK && !out_of_time(s); i++) {
        member(s, (int)(next(&s->rng) % (uint64_t)n), tv);
        eval(s, tv, st);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The default (fin[0]) and the best 3, re-timed in interleaved rounds; the median of the
 * rounds' medians decides. */
static gc_status finals(struct osearch *s, struct gc_tune_opcand *fin, int *n_fin)
{
    int n = 0;
    for (int i = 0; i < s->n_seen; i++)
        if (!memcmp(s->seen[i].tv, s->b.def, sizeof s->b.def)) fin[n++] = s->seen[i];
    if (n == 0) return gc_error(GC_FORMAT, "tune: %s: the default values failed verification", s->op->key);
    bool taken[MAX_SEEN] = {false};
    for (int k = 0; k < FINALISTS - 1; k++) {
        int b = -1;
        for (int i = 0; i < s->n_seen; i++)
            if (!taken[i] && memcmp(s->seen[i].tv, s->b.def, sizeof s->b.def) &&
                (b < 0 || s->seen[i].median < s->seen[b].median))
                b = i;
        if (b < 0) break;
        taken[b] = true;
        fin[n++] = s->seen[b];
    }
    double med[FINALISTS][FINAL_ROUNDS];
    for (int r = 0; r < FINAL_ROUNDS; r++)
        for (int i = 0; i < n; i++) {
            struct gc_tune_opcand c = fin[i];
            gc_status st = retime(s, &c);
            if (st != GC_OK) return st;
            med[i][r] = c.median;
            if (c.min < fin[i].min) fin[i].min = c.min;
        }
    for (int i = 0; i < n; i++) {
        qsort(med[i], FINAL_ROUNDS, sizeof med[i][0], cmp_double);
        fin[i].median = med[i][FINAL_ROUNDS / 2];
    }
    *n_fin = n;
    return GC_OK;
}

static void fill_row(struct gc_tune_row *row, const struct gc_tune_entry *e)
{
    snprintf(row->kernel, sizeof row->kernel, "%s", e->kernel);
    snprintf(row->shape, sizeof row->shape, "%s", e->key);
    gc__tune_op_params_str(e->kernel, e->tv, row->params, sizeof row->params);
    row->default_s = e->default_s;
    row->tuned_s = e->median_s;
    row->evals = e->evals;
}

static gc_status finish(struct osearch *s, struct gc_tune_row *row)
{
    struct gc_tune_opcand fin[FINALISTS];
    int n = 0, w = 0;
    gc_status st = finals(s, fin, &n);
    if (st != GC_OK) return st;
    for (int i = 1; i < n; i++)
        if (fin[i].median < fin[w].median) w = i;
    struct gc_tune_entry e = entry(s, fin[w].tv, GC_TUNE_BEST);
    e.median_s = fin[w].median;
    e.min_s = fin[w].min;
    e.error = fin[w].err;
    e.default_s = fin[0].median;
    e.evals = s->evals;
    if ((st = gc__tune_record_add(s->rec, &e)) != GC_OK) return st;
    fill_row(row, &e);
    row->rejected = s->rejected;
    return gc__tune_record_save(s->path, s->rec);
}

static gc_status run(struct osearch *s, struct gc_tune_row *row)
{
    gc_status st = GC_OK;
    struct gc_tune_record *rec = s->rec;
    for (int i = rec->n - 1; i >= 0; i--) /* stale entries (changed kernel) make room */
        if (rec->e[i].is_op && !strcmp(rec->e[i].key, s->op->key) && !gc__tune_entry_current(&rec->e[i]))
            rec->e[i] = rec->e[--rec->n];
    s->deadline = s->opt->deadline;
    const struct gc_tune_opcand *d = eval(s, s->b.def, &st);
    /* The finalists' rounds: FINALISTS x FINAL_ROUNDS x (1 + FIRST_SAMPLES) samples. */
    double sample = d && d->median > 1e-3 ? d->median : 1e-3;
    s->deadline -= FINALISTS * FINAL_ROUNDS * (1 + FIRST_SAMPLES) * sample * 1.5;
    if (st == GC_OK) search(s, &st);
    if (st == GC_OK && s->opt->interrupted && *s->opt->interrupted) {
        st = gc__tune_record_save(s->path, rec); /* without this run's pending marks */
        if (st == GC_OK) st = gc_error(GC_INTERRUPTED, "tune: interrupted");
    }
    return st == GC_OK ? finish(s, row) : st;
}

gc_status gc__tune_op_shape(struct gc_device *dev, const struct gc_tune_op *op,
                            struct gc_tune_record *rec, const char *path,
                            const struct gc_tune_search *opt, struct gc_tune_row *row)
{
    memset(row, 0, sizeof *row);
    int have = gc__tune_record_best_op(rec, op->key);
    if (have >= 0) {
        fill_row(row, &rec->e[have]);
        row->resumed = true;
        return GC_OK;
    }
    struct osearch *s = gc_calloc(1, sizeof *s);
    if (!s) return gc_error(GC_NOMEM, "tune: out of host memory");
    *s = (struct osearch){.dev = dev, .rec = rec, .path = path, .opt = opt, .op = op, .rng = opt->seed | 1};
    gc_status st = gc__tune_opbench_create(dev, op, &s->b);
    if (st == GC_OK) {
        st = run(s, row);
        gc__tune_opbench_destroy(&s->b);
    }
    gc_free(s);
    return st;
}
