/* SPDX-License-Identifier: MIT */
/* The tuning process's side of the watchdog (gc_tune_supervise, tune.h; the parent's side is
 * supervise.c): before each phase that can block (a candidate's build, its verification run
 * and timing; the closing step timing) the process tells its supervisor how long the phase
 * may take, and that it is over after. Every call is a no-op without a supervisor (library
 * users, tests that call gc__tune_gemm_shape directly, `gan-cl tune --no-watchdog`). */
#ifndef GANCL_TUNE_WATCHDOG_H
#define GANCL_TUNE_WATCHDOG_H

#include <stdbool.h>

#include "tune/tune_impl.h"

/* A heartbeat, one SOCK_SEQPACKET message (far below PIPE_BUF-sized socket buffers). */
struct gc__tune_watch_msg {
    char op;        /* 'A' arm, 'D' disarm */
    bool candidate; /* the phase measures a candidate (pending in the record): restartable */
    double seconds; /* armed: the phase's deadline from now */
    char label[248]; /* "candidate gemm_cpu MR=24 ... on NN 64x64x64 b1" */
};

/* Starts a phase that must end within `seconds`; label names it in the supervisor's message.
 * candidate: the record holds the phase's candidate as pending, so a new process can resume
 * after it (otherwise a hang or crash ends the tune). */
void gc__tune_watch_arm(double seconds, bool candidate, const char *label);
void gc__tune_watch_disarm(void);
/* The supervisor's floor for a run or timing (gc_tune_watchdog.floor_s); 0 when unsupervised. */
double gc__tune_watch_floor(void);
/* gc__tune_clock() when supervision started (the whole tune's start), or -1 when unsupervised. */
double gc__tune_watch_started(void);
/* Deadlines. A build's: max(GC_TUNE_BUILD_FLOOR_S, 3x the longest build noted in this
 * process, the floor). A run's: GC_TUNE_HANG_FACTOR times the time it should take, the floor
 * at least. */
#define GC_TUNE_BUILD_FLOOR_S 300 /* CLBlast's builds take up to 150 s on PoCL */
#define GC_TUNE_HANG_FACTOR 100
double gc__tune_watch_build_s(void);
double gc__tune_watch_run_s(double expected_s);
/* A build (or a phase that is mostly one) that started at gc__tune_clock() t0 ended now. */
void gc__tune_watch_note_build(double t0);

/* Turns the record's pending entries — what the previous tuning process was measuring when it
 * died — into GC_TUNE_HUNG when the supervisor killed it for overrunning, else (a crash, or an
 * earlier unsupervised tune that died) GC_TUNE_CRASHED. Returns how many changed. */
int gc__tune_blame_pending(struct gc_tune_record *r);

/* supervise.c, in a new child: the socket to report on, the floor, the tune's start, and what
 * killed the previous child (GC_TUNE_HUNG or GC_TUNE_CRASHED). */
void gc__tune_watch_child(int fd, double floor_s, double started, enum gc_tune_outcome blame);

#endif
