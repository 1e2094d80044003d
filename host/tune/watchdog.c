/* SPDX-License-Identifier: MIT */
/* The tuning process's heartbeats to its supervisor (watchdog.h). The state is process-wide:
 * one tune runs per supervised process, and it is set once, right after fork. */
#include <stdio.h>
#include <sys/socket.h>

#include "tune/watchdog.h"

static int watch_fd = -1;
static double watch_floor, watch_started = -1;
static enum gc_tune_outcome watch_blame = GC_TUNE_CRASHED;

void gc__tune_watch_child(int fd, double floor_s, double started, enum gc_tune_outcome blame)
{
    watch_fd = fd;
    watch_floor = floor_s;
    watch_started = started;
    watch_blame = blame;
}

static void tell(const struct gc__tune_watch_msg *m)
{
    /* MSG_NOSIGNAL: a supervisor that is gone must not kill the tune with SIGPIPE; then there
     * is nobody left to tell, and the tune goes on unwatched. */
    if (watch_fd >= 0) (void)send(watch_fd, m, sizeof *m, MSG_NOSIGNAL);
}

void gc__tune_watch_arm(double seconds, bool candidate, const char *label)
{
    struct gc__tune_watch_msg m = {.op = 'A', .candidate = candidate, .seconds = seconds};
    snprintf(m.label, sizeof m.label, "%s", label);
    tell(&m);
}

void gc__tune_watch_disarm(void)
{
    struct gc__tune_watch_msg m = {.op = 'D'};
    tell(&m);
}

double gc__tune_watch_floor(void) { return watch_fd >= 0 ? watch_floor : 0; }

static double longest_build_s;

static double max2(double a, double b) { return a > b ? a : b; }

double gc__tune_watch_build_s(void)
{
    return max2(max2(GC_TUNE_BUILD_FLOOR_S, 3 * longest_build_s), gc__tune_watch_floor());
}

double gc__tune_watch_run_s(double expected_s)
{
    return max2(gc__tune_watch_floor(), GC_TUNE_HANG_FACTOR * expected_s);
}

void gc__tune_watch_note_build(double t0) { longest_build_s = max2(longest_build_s, gc__tune_clock() - t0); }

double gc__tune_watch_started(void) { return watch_fd >= 0 ? watch_started : -1; }

int gc__tune_blame_pending(struct gc_tune_record *r)
{
    int n = 0;
    for (int i = 0; i < r->n; i++)
        if (r->e[i].outcome == GC_TUNE_PENDING) r->e[i].outcome = watch_blame, n++;
    return n;
}
