/* SPDX-License-Identifier: MIT */
/* Per-device tuning: `gan-cl tune` measures gan-cl's GEMM configurations (its own kernels'
 * tile sizes, CLBlast) on the shapes a model really uses, verifies every candidate against a
 * reference, and keeps the winners in a tuning record, one JSON file per device under
 * $XDG_CACHE_HOME/gan-cl/tuning/<gc_device_key>.json. train/bench/sample call gc_tune_load
 * once after opening the device; from then on the GEMM default path uses the record's
 * choice for every shape it holds (an unknown shape keeps the built-in default).
 *
 * Lookup fallback when the device has no record of its own: a record of the same device
 * under another driver version, then one of the same vendor id and device type, then the
 * built-in defaults. Entries whose kernel source changed since they were measured (source
 * hash) are ignored, and a later tune measures them again. */
#ifndef GANCL_TUNE_H
#define GANCL_TUNE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "gancl/device.h"
#include "gancl/status.h"

/* Loads the tuning record that applies to dev (fallback chain above) and keeps its valid
 * entries on the device for the GEMM default path, until gc_tune_unload. `line` gets one
 * line for the user: "tuning record <path>: N GEMM shapes (exact device and driver)" or,
 * when nothing applies, "no tuning record for <device>: run gan-cl tune --device ...".
 * GC_OK when a record was loaded, GC_NOT_FOUND when none applies (not an error: defaults),
 * GC_FORMAT / GC_IO when the device's own record is unreadable (defaults stay in use). */
gc_status gc_tune_load(struct gc_device *dev, char *line, size_t size);
/* Forgets dev's loaded record: the GEMM default path returns to the built-in defaults. */
void gc_tune_unload(struct gc_device *dev);

/* Path of the device's own record: <cache root>/tuning/<gc_device_key>.json. */
gc_status gc_tune_record_path(const struct gc_device_info *info, char *buf, size_t size);
/* The device's own record's current choices: GEMM shapes and kernel shapes (gan-cl's other
 * kernels). GC_NOT_FOUND when the device has no record. */
gc_status gc_tune_record_counts(const struct gc_device_info *info, int *gemm_shapes,
                                int *kernel_shapes);
/* Copies the device's record to `path` (--out). */
gc_status gc_tune_export(const struct gc_device_info *info, const char *path);
/* Merges the entries of a record written on another machine (--import) into the device's
 * record: entries of this device's kernels' current source whose configuration is valid on
 * this device; an imported shape replaces the local one. *n gets the entries taken. */
gc_status gc_tune_import(const struct gc_device_info *info, const char *path, int *n);

struct gc_tune_options {
    const char *model;  /* a preset of gan.h or cyclegan.h; NULL = every preset */
    double budget_s;    /* wall-clock budget of the whole tune (default 600) */
    int max_evals;      /* candidates measured per shape at most; 0 = no limit */
    int clblast;        /* 1 try CLBlast (its defaults and its own parameter sets), 2 CLBlast
                         * only, 0 never, -1 auto (GPUs, or CPUs whose share of the budget per
                         * shape covers a CLBlast build: 150 s until one is measured) */
    bool step_timing;   /* time the model's training step untuned vs tuned at the end */
    volatile sig_atomic_t *interrupted; /* checked between candidates; may be NULL */
    void (*progress)(const char *line, void *user); /* one line per event; may be NULL */
    void *user;
};

/* One tuned (kernel, shape). Times are medians of the final interleaved re-measurement. */
struct gc_tune_row {
    char kernel[32];  /* "gemm": the shape's winner; "clblast": CLBlast alone, its defaults
                       * (default_s) vs its best parameter set (tuned_s); else one of
                       * gan-cl's own kernels: the op ("add", "norm_stats") or optimizer
                       * kernel ("adam_step") */
    char shape[192];  /* "NT 256x256x2304 b1", "sum_to (64,128,16,16)->(1,128,1,1)" */
    char params[200]; /* "gemm_cpu MR=24 NR=16 ...", "clblast indirect GEMMK=0 KREG=1 ...",
                       * "EW_WG=512 EW_EPI=2" */
    double flops;
    double default_s, tuned_s;
    int evals, rejected; /* candidates measured / rejected (wrong, build failure, ...) */
    bool resumed;        /* taken from the record of an earlier (interrupted) tune */
};

struct gc_tune_result {
    struct gc_tune_row *rows;
    int n_rows;
    /* Training step of each tuned model, default configs vs the record (medians, s). */
    struct {
        char model[16];
        double default_s, tuned_s;
    } steps[8];
    int n_steps;
    char record_path[1024];
    double elapsed_s;
    double op_s; /* of elapsed_s: tuning gan-cl's own non-GEMM kernels */
};

/* Tunes the GEMM shapes of the model(s) on dev, writing the record as it goes (an
 * interrupted tune resumes where it stopped), then loads it on dev. *out is filled even on
 * GC_INTERRUPTED (rows finished so far); free it with gc_tune_result_free. */
gc_status gc_tune_run(struct gc_device *dev, const struct gc_tune_options *o,
                      struct gc_tune_result *out);
void gc_tune_result_free(struct gc_tune_result *r);

/* Supervision of a tune by a watchdog process. A candidate can hang the process (a kernel that
 * never finishes, a driver deadlock) or kill it (a driver crash); OpenCL drivers are not
 * fork-safe, so the tune runs in a child forked before any OpenCL call. The child tells the
 * parent through a socket how long each blocking phase may take (a candidate's build: at least
 * 300 s; its verification run and timing: at least floor_s, more for slow shapes); the parent
 * SIGKILLs a child that overruns, and starts a new child that resumes from the record, where
 * the candidate being measured is recorded "hung" (overran) or "crashed" (died of a signal)
 * and never run again. */
struct gc_tune_watchdog {
    double floor_s;   /* shortest deadline of a candidate's run or timing (default 30) */
    int max_restarts; /* children started after the first at most (default 16) */
    void (*say)(const char *line, void *user); /* one line per restart; may be NULL */
    void *user;
};

struct gc_tune_supervision {
    bool child;    /* true: this is a tuning process — tune (gc_tune_run), then exit */
    int restarts;  /* children started before this one (the child: 0 for the first) */
    int exit_code; /* the parent: the last child's exit status (128 + signal when stopped by
                    * SIGINT, SIGTERM, SIGHUP or SIGQUIT) */
};

/* Call before any OpenCL call. Returns in every child with sup->child set (GC_OK), and in the
 * parent once a child exits by itself (GC_OK) or supervision gives up: GC_LIMIT when the
 * restarts are used up or something other than a candidate hung (the closing step timing),
 * GC_CL when the child died of a signal while no candidate was running — restarting would
 * repeat it. The parent touches no device; it ignores SIGINT while a child runs (the child
 * handles Ctrl-C), and starts no new child after one. Children share the tune's wall-clock
 * start: a restarted gc_tune_run gets what is left of the budget. GC_IO when fork fails. */
gc_status gc_tune_supervise(const struct gc_tune_watchdog *w, struct gc_tune_supervision *sup);

#endif
