/* SPDX-License-Identifier: MIT */
/* gc_tune_supervise (tune.h): the parent of the tuning processes. It forks a child, reads its
 * heartbeats (watchdog.h) from a SOCK_SEQPACKET socket pair — a pipe that keeps messages
 * whole and reports the child's end as EOF — and waits with poll() for the next heartbeat or
 * the armed deadline. A child that overruns a deadline is SIGKILLed; one that overran or died
 * of a signal while a candidate was armed is replaced by a new child, which resumes from the
 * record and marks that candidate hung or crashed (gc__tune_blame_pending). Anything else that
 * hangs or dies has no candidate to blame: a new child would only repeat it, so the parent
 * gives up with one clear error. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "tune/watchdog.h"

#define DEFAULT_FLOOR_S 30
#define DEFAULT_RESTARTS 16

/* The child being watched and its armed phase. */
struct watched {
    pid_t pid;
    int fd;
    bool armed, candidate;
    double seconds, deadline;
    char label[sizeof ((struct gc__tune_watch_msg *)0)->label];
};

enum end { END_EXIT, END_HUNG, END_SIGNAL };

static volatile sig_atomic_t parent_interrupted;
static void on_parent_sigint(int sig)
{
    (void)sig;
    parent_interrupted = 1; /* the child handles Ctrl-C; no new child after one */
}

static void say(const struct gc_tune_watchdog *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct gc_tune_watchdog *w, const char *fmt, ...)
{
    if (!w->say) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    w->say(line, w->user);
}

/* In the new child: the caller's SIGINT handling back, its end of the socket, and — where
 * Linux allows — a SIGINT when the parent dies, so an orphaned tune saves and stops. */
static void become_child(int fd, const struct sigaction *old_int, const struct gc_tune_watchdog *w,
                         double started, enum gc_tune_outcome blame)
{
    sigaction(SIGINT, old_int, NULL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGINT);
#endif
    gc__tune_watch_child(fd, w->floor_s > 0 ? w->floor_s : DEFAULT_FLOOR_S, started, blame);
}

static gc_status spawn(struct watched *c, const struct sigaction *old_int, const struct gc_tune_watchdog *w,
                       double started, enum gc_tune_outcome blame, bool *child)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return gc_error(GC_IO, "tune: watchdog socket: %s", strerror(errno));
    /* Close-on-exec: a compiler the driver runs must not hold the child's end open. */
    fcntl(sv[0], F_SETFD, FD_CLOEXEC);
    fcntl(sv[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return gc_error(GC_IO, "tune: fork of the tuning process: %s", strerror(e));
    }
    *child = pid == 0;
    if (*child) {
        close(sv[0]);
        become_child(sv[1], old_int, w, started, blame);
        return GC_OK;
    }
    close(sv[1]);
    *c = (struct watched){.pid = pid, .fd = sv[0]};
    return GC_OK;
}

static void heard(struct watched *c, const struct gc__tune_watch_msg *m)
{
    c->armed = m->op == 'A';
    if (!c->armed) return;
    c->candidate = m->candidate;
    c->seconds = m->seconds;
    c->deadline = gc__tune_clock() + m->seconds;
    memcpy(c->label, m->label, sizeof c->label);
    c->label[sizeof c->label - 1] = '\0';
}

/* Milliseconds to wait for a heartbeat: none armed, until one comes (-1); else until the
 * deadline, in slices of a second at most (see watch). */
static int wait_ms(const struct watched *c)
{
    if (!c->armed) return -1;
    double left = ceil((c->deadline - gc__tune_clock()) * 1e3);
    return left <= 0 ? 0 : left > 1000 ? 1000 : (int)left;
}

static int reap(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
    return status;
}

/* Watches the child until it ends: exited (*info = exit status), killed for overrunning the
 * armed deadline, or died of a signal (*info = the signal). */
static enum end watch(struct watched *c, int *info)
{
    for (;;) {
        int ms = wait_ms(c);
        if (ms == 0) {
            kill(c->pid, SIGKILL);
            reap(c->pid);
            return END_HUNG;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        double t0 = gc__tune_clock();
        int r = poll(&p, 1, ms);
        /* A slice far longer than asked: this process was stopped (Ctrl-Z stops the child
         * too) for up to the whole slice, and that time is not the candidate's. */
        double took = gc__tune_clock() - t0;
        if (c->armed && ms > 0 && took > ms * 1e-3 + 0.5) c->deadline += took;
        if (r <= 0) continue; /* deadline reached, or a signal (Ctrl-C: the child handles it) */
        struct gc__tune_watch_msg m;
        ssize_t n = recv(c->fd, &m, sizeof m, 0);
        if (n == (ssize_t)sizeof m) heard(c, &m);
        else if (n == 0 || (n < 0 && errno != EINTR)) break; /* the child's end closed: it ended */
    }
    int status = reap(c->pid);
    if (WIFEXITED(status)) {
        *info = WEXITSTATUS(status);
        return END_EXIT;
    }
    *info = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
    return END_SIGNAL;
}

static bool stop_signal(int sig) { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT; }

/* What follows a child's end: GC_OK with *again when a new child should resume, GC_OK with
 * sup->exit_code set when supervision is over, or an error. */
static gc_status judge(const struct gc_tune_watchdog *w, const struct watched *c, enum end how, int info,
                       int restarts, struct gc_tune_supervision *sup, bool *again)
{
    int max = w->max_restarts > 0 ? w->max_restarts : DEFAULT_RESTARTS;
    *again = false;
    if (how == END_EXIT || (how == END_SIGNAL && stop_signal(info))) {
        sup->exit_code = how == END_EXIT ? info : 128 + info;
        return GC_OK;
    }
    const char *what = c->armed ? c->label : "the tuning process (between phases)";
    if (!c->armed || !c->candidate) {
        if (how == END_HUNG)
            return gc_error(GC_LIMIT, "tune: %s hung (> %.0f s) and was killed; no candidate was being "
                                      "measured, so a new run would hang again (the record is kept)",
                            what, c->seconds);
        return gc_error(GC_CL, "tune: %s died of signal %d (%s); no candidate was being measured, so a new "
                               "run would die again (the record is kept)", what, info, strsignal(info));
    }
    if (how == END_HUNG)
        say(w, "%s hung (> %.0f s): killed, recorded as hung, resuming", c->label, c->seconds);
    else
        say(w, "%s crashed (signal %d, %s): recorded as crashed, resuming", c->label, info, strsignal(info));
    if (parent_interrupted) {
        sup->exit_code = 128 + SIGINT;
        return GC_OK; /* recorded by the next tune; Ctrl-C asked for no more */
    }
    if (restarts >= max)
        return gc_error(GC_LIMIT, "tune: %d tuning processes hung or crashed; giving up (the record is "
                                  "kept: run the tune again to go on)", restarts + 1);
    *again = true;
    return GC_OK;
}

gc_status gc_tune_supervise(const struct gc_tune_watchdog *w, struct gc_tune_supervision *sup)
{
    memset(sup, 0, sizeof *sup);
    double started = gc__tune_clock();
    enum gc_tune_outcome blame = GC_TUNE_CRASHED; /* of an earlier tune's leftovers */
    struct sigaction on_int = {.sa_handler = on_parent_sigint}, old_int;
    sigemptyset(&on_int.sa_mask);
    parent_interrupted = 0;
    sigaction(SIGINT, &on_int, &old_int);
    gc_status s = GC_OK;
    for (;;) {
        struct watched c;
        s = spawn(&c, &old_int, w, started, blame, &sup->child);
        if (sup->child) return GC_OK;
        if (s != GC_OK) break;
        int info = 0;
        enum end how = watch(&c, &info);
        close(c.fd);
        blame = how == END_HUNG ? GC_TUNE_HUNG : GC_TUNE_CRASHED;
        bool again;
        s = judge(w, &c, how, info, sup->restarts, sup, &again);
        if (s != GC_OK || !again) break;
        sup->restarts++;
    }
    sigaction(SIGINT, &old_int, NULL);
    return s;
}
