/* SPDX-License-Identifier: MIT */
/* Internals of host/tune: the record in memory (record.c), the loaded records the GEMM
 * default path consults (lookup.c), the candidate bench and search (search.c). */
#ifndef GANCL_TUNE_IMPL_H
#define GANCL_TUNE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "cl/clrt.h"
#include "gancl/tune.h"
#include "ops/gemm.h"
#include "tune/lookup.h"

#define GC_TUNE_FORMAT "gan-cl tuning record 1"

/* The part of a GEMM descriptor a record entry is keyed by (leading dimensions and strides
 * change neither the result of a config nor, in the models, the shape class). */
struct gc_tune_shape {
    bool ta, tb;
    int64_t m, n, k, batch;
};

/* The rest of the descriptor a shape was tuned with: the model's leading dimensions and batch
 * strides (a weight shared by the batch has stride 0). They change a config's time, not its
 * result, so entries are keyed by the shape alone; the layout is kept so that a later bench
 * (gc-bench-gemm --record) times what the tuner timed. All 0: not recorded (older records). */
struct gc_tune_layout {
    int64_t lda, ldb, ldc, stride_a, stride_b, stride_c;
};

enum gc_tune_outcome {
    GC_TUNE_BEST,         /* the chosen config of its shape */
    GC_TUNE_WRONG,        /* output differs from the reference (or wrote past a buffer) */
    GC_TUNE_BUILD_FAILED, /* the kernel variant does not compile */
    GC_TUNE_FAILED,       /* enqueue / run failed (CL or CLBlast error) */
    GC_TUNE_CRASHED,      /* was running when an earlier tune died: never again */
    GC_TUNE_HUNG,         /* outlived its watchdog deadline (gc_tune_supervise): never again */
    GC_TUNE_PENDING,      /* being measured right now (a crash leaves it so) */
    GC_TUNE_OUTCOME_COUNT
};
const char *gc__tune_outcome_name(enum gc_tune_outcome o);

struct gc_tune_entry {
    char kernel[32]; /* "gemm": a candidate of the shape; "clblast": CLBlast's own report;
                      * kind "op": the op's name ("add") or the optimizer kernel's */
    bool is_op;      /* kind "op": one of gan-cl's own non-GEMM kernels, keyed by `key` */
    char key[GC_SHAPE_KEY_MAX]; /* op: gc__op_shape_key / gc__tune_optim_key */
    int tv[GC_MAX_TUNABLES];    /* op: the tunables' values, in the descriptor's order */
    struct gc_tune_shape shape;
    struct gc_tune_layout layout;
    enum gc_tune_outcome outcome;
    struct gc_gemm_config cfg;
    double median_s, min_s, gflops, error; /* error: max |c - ref| of verification */
    double default_s;                      /* BEST: the default config's median beside it */
    uint64_t source_hash;
    int evals;
    char date[32]; /* ISO 8601 UTC */
};

struct gc_tune_record {
    /* The device it was measured on (for the fallback chain and --import). */
    char key[512], name[256], driver[128], platform_version[128];
    uint32_t vendor_id;
    enum gc_device_type type;
    struct gc_tune_entry *e;
    int n, cap;
};

void gc__tune_record_init(struct gc_tune_record *r, const struct gc_device_info *info);
void gc__tune_record_free(struct gc_tune_record *r);
gc_status gc__tune_record_add(struct gc_tune_record *r, const struct gc_tune_entry *e);
/* Index of the entry of (shape, cfg) — any outcome — or -1. */
int gc__tune_record_find(const struct gc_tune_record *r, const struct gc_tune_shape *s,
                         const struct gc_gemm_config *cfg);
/* Index of the shape's valid BEST entry (current source hash), or -1. */
int gc__tune_record_best(const struct gc_tune_record *r, const struct gc_tune_shape *s);
/* Index of the shape's "clblast" report entry (CLBlast defaults vs its best override), or -1. */
int gc__tune_record_clblast(const struct gc_tune_record *r, const struct gc_tune_shape *s);
gc_status gc__tune_record_load(const char *path, struct gc_tune_record *r);
gc_status gc__tune_record_save(const char *path, const struct gc_tune_record *r);

/* ---- kind "op" entries (op_search.c, op_bench.c) ---- */
/* The tunables of a kernel an op entry names: an op descriptor's or the optimizer's
 * (program "optim"); false for an unknown name. */
bool gc__tune_op_tunables(const char *kernel, const struct gc_tunable **t, int *n,
                          unsigned *untuned, const char **program);
/* Hash of cl/common.cl + the kernel's program source + the record format. */
uint64_t gc__tune_op_source_hash(const char *kernel);
/* Index of the op entry (key, tv) — any outcome — or -1; of key's current BEST entry, or -1. */
int gc__tune_record_find_op(const struct gc_tune_record *r, const char *key, const int *tv);
int gc__tune_record_best_op(const struct gc_tune_record *r, const char *key);
/* "EW_WG=256 EW_EPI=1" */
void gc__tune_op_params_str(const char *kernel, const int *tv, char *buf, size_t size);
/* Recording of the kernel uses with tunables (plans created, optimizers created) while on. */
void gc__tune_op_recording_start(struct gc_device *dev);
void gc__tune_op_recording_stop(struct gc_tune_op **ops, int *n);
/* dev's installed op choices: the number of kernel shapes. */
int gc__tune_loaded_ops(const struct gc_device *dev);

/* Test hook: called on every op candidate's output (n floats) before it is compared with
 * the reference output of the default values. */
extern void (*gc__tune_test_corrupt_op)(const char *key, const int *tv, float *y, size_t n);


/* Hash of what a config's results depend on: the kernel source (cl/common.cl + cl/gemm.cl)
 * for gan-cl's own kernels, CLBlast's version for CLBlast, and the record format. */
uint64_t gc__tune_source_hash(enum gc_gemm_impl impl);
/* True when cfg's source hash is current. */
bool gc__tune_entry_current(const struct gc_tune_entry *e);
void gc__tune_shape_of(const struct gc_gemm_desc *d, struct gc_tune_shape *s);
void gc__tune_layout_of(const struct gc_gemm_desc *d, struct gc_tune_layout *l);
bool gc__tune_shape_eq(const struct gc_tune_shape *a, const struct gc_tune_shape *b);
bool gc__tune_config_eq(const struct gc_gemm_config *a, const struct gc_gemm_config *b);
/* "gemm_cpu MR=24 NR=16 KC=256 VW=16 MC=192 NC=256" */
void gc__tune_config_str(const struct gc_gemm_config *cfg, char *buf, size_t size);
void gc__tune_shape_str(const struct gc_tune_shape *s, char *buf, size_t size);
void gc__tune_now_iso(char *buf, size_t size);

/* Recording: while on, every GEMM the default path runs on dev is appended (distinct
 * shapes with their full descriptors) — how `gan-cl tune` collects a model's shapes. */
void gc__tune_recording_start(struct gc_device *dev);
/* Stops and hands over the collected descriptors (gc_malloc'd). */
void gc__tune_recording_stop(struct gc_gemm_desc **descs, int *n);
/* Installs rec's valid entries on dev (replacing any); the GEMM default path uses them. */
gc_status gc__tune_install(struct gc_device *dev, const struct gc_tune_record *rec);
/* The i-th (0-based) shape, its tuned layout and config of dev's installed entries — exactly
 * what the GEMM default path answers from (valid, current entries only); false past the last
 * one or when nothing is installed. gc-bench-gemm --record times these shapes. */
bool gc__tune_loaded_choice(const struct gc_device *dev, int i, struct gc_tune_shape *shape,
                            struct gc_tune_layout *layout, struct gc_gemm_config *cfg);
/* Whether dev's installed entries are consulted (the tuner times the step both ways). */
void gc__tune_set_enabled(struct gc_device *dev, bool on);

/* Test hook: called on every candidate's output (c: the full C buffer, n floats) before it
 * is compared with the reference, so a test can make a chosen candidate wrong. */
extern void (*gc__tune_test_corrupt)(const struct gc_gemm_config *cfg, float *c, size_t n);
/* Test hook: called before every candidate's verification run (its program built), so a test
 * can make a chosen candidate hang or crash the process. */
extern void (*gc__tune_test_before_verify)(const struct gc_gemm_config *cfg);
/* Test counter: candidates measured (verified and timed) since the process started. */
extern int64_t gc__tune_evals_total;

/* CLBlast candidates (clblast_space.c), defaults `def` completed: the i-th "likely good" set
 * for the shape (false past the list's end), or a random valid one (false if none found). */
bool gc__tune_clblast_likely(const struct gc_device_info *info, const struct gc_clblast_params *def,
                             const struct gc_tune_shape *sh, int i, struct gc_clblast_params *out);
bool gc__tune_clblast_random(const struct gc_device_info *info, const struct gc_clblast_params *def,
                             uint64_t *rng, struct gc_clblast_params *out);

/* Tunes one GEMM shape (full descriptor d) on dev, keeping rec and its file at `path` up to
 * date: skips the shape if rec already holds a valid BEST for it (*row->resumed), never
 * re-measures a candidate rec lists as rejected, records every rejection and the winner.
 * clb_row (may be NULL) gets CLBlast's own row when CLBlast was measured (kernel "clblast":
 * its defaults vs its best parameter set), else kernel "".
 * deadline: gc__tune_clock() value to stop searching at. */
struct gc_tune_search {
    double deadline;
    int max_evals;
    int clblast; /* 0: gan-cl's kernels only; 1: also CLBlast, defaults and parameter sets;
                  * 2: CLBlast only (the default config is still measured, as the baseline) */
    double *clblast_build_s; /* in/out, may be NULL: the estimated cost of one new CLBlast
                              * parameter set (its program build); a set is tried only while it
                              * fits before the deadline */
    volatile sig_atomic_t *interrupted;
    void (*progress)(const char *line, void *user);
    void *user;
    uint64_t seed;
};
gc_status gc__tune_gemm_shape(struct gc_device *dev, const struct gc_gemm_desc *d,
                              struct gc_tune_record *rec, const char *path,
                              const struct gc_tune_search *opt, struct gc_tune_row *row,
                              struct gc_tune_row *clb_row);
double gc__tune_clock(void);

/* Tunes one recorded kernel use: skips it when rec holds a current BEST for its key
 * (row->resumed), never re-runs a rejected candidate, records rejections and the winner.
 * opt->clblast and clblast_build_s are not used. */
gc_status gc__tune_op_shape(struct gc_device *dev, const struct gc_tune_op *op,
                            struct gc_tune_record *rec, const char *path,
                            const struct gc_tune_search *opt, struct gc_tune_row *row);

#endif
