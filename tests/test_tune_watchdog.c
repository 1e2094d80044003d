/* SPDX-License-Identifier: MIT */
/* The tuner's watchdog (gc_tune_supervise, host/tune/supervise.c and watchdog.c): a candidate
 * that hangs is killed with its process after the deadline, recorded "hung", and a new process
 * resumes the tune to a BEST entry without running it again; one that crashes the process is
 * recorded "crashed" the same way; a hang or death outside any candidate, or too many, ends
 * supervision with one error; a child's exit status comes back; time the supervisor spent
 * stopped (Ctrl-Z) does not count against a deadline.
 *
 * This executable never touches OpenCL itself: drivers are not fork-safe, so every device is
 * opened in a supervised child (which then _exits, never returning into cmocka). The children
 * share the hook's state with the test through a MAP_SHARED file mapping. Records go to a
 * temporary $XDG_CACHE_HOME whose gan-cl/programs, pocl/ and mesa_shader_cache/ link to the
 * real caches (the candidates' kernels are the ones test_tune builds). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <fcntl.h>

#include "cl/cache.h"
#include "harness.h"
#include "tune/tune_impl.h"
#include "tune/watchdog.h"

#define FLOOR_S 2.0 /* the watchdog's floor here: a hung candidate costs this much */

enum mode { HANG, CRASH };

/* What the hook in the children and the test share. */
struct shared {
    enum mode mode;
    int calls, target_at;   /* the target_at-th verification picks the target */
    bool have_target;
    struct gc_gemm_config target;
    int target_calls;       /* verifications of the target, over all children */
};

static struct shared *sh;
static char tmp_root[256], record[512], said[1024];

static void link_cache(const char *real, const char *link_path)
{
    gc_mkdirs(real);
    if (symlink(real, link_path) != 0) fprintf(stderr, "no link %s -> %s\n", link_path, real);
}

static int setup(void **state)
{
    (void)state;
    char real[2048], link_path[512];
    if (gc_cache_root(real, sizeof real) != GC_OK) return -1; /* <cache>/gan-cl */
    snprintf(tmp_root, sizeof tmp_root, "/tmp/gancl-test-watchdog-XXXXXX");
    if (!mkdtemp(tmp_root)) return -1;
    snprintf(link_path, sizeof link_path, "%s/gan-cl", tmp_root);
    gc_mkdirs(link_path);
    snprintf(link_path, sizeof link_path, "%s/gan-cl/programs", tmp_root);
    strcat(real, "/programs");
    link_cache(real, link_path);
    *strrchr(real, '/') = '\0';
    *strrchr(real, '/') = '\0';
    /* PoCL and rusticl (Mesa) compile a kernel at its first launch: keep their caches warm too. */
    static const char *const drivers[] = {"pocl", "mesa_shader_cache"};
    size_t root_len = strlen(real);
    for (int i = 0; i < 2; i++) {
        snprintf(real + root_len, sizeof real - root_len, "/%s", drivers[i]);
        snprintf(link_path, sizeof link_path, "%s/%s", tmp_root, drivers[i]);
        link_cache(real, link_path);
    }
    setenv("XDG_CACHE_HOME", tmp_root, 1);
    snprintf(record, sizeof record, "%s/record.json", tmp_root);
    char map_path[512];
    snprintf(map_path, sizeof map_path, "%s/shared", tmp_root);
    int fd = open(map_path, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, sizeof *sh) != 0) return -1;
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return sh == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    munmap(sh, sizeof *sh);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Dies of SIGABRT (ASan's handler would intercept a SIGSEGV and report it), without a core file. */
static void crash(void)
{
    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
    abort();
}

/* Test hook, in the children: picks the target_at-th candidate verified as the target, then
 * hangs or crashes on it every time it is verified. */
static void before_verify(const struct gc_gemm_config *cfg)
{
    if (++sh->calls == sh->target_at) sh->target = *cfg, sh->have_target = true;
    if (!sh->have_target || !gc__tune_config_eq(cfg, &sh->target)) return;
    sh->target_calls++;
    if (sh->mode == CRASH) crash();
    for (;;) sleep(1000);           /* until the watchdog's SIGKILL */
}

static const struct gc_gemm_desc tiny = {.m = 16, .n = 24, .k = 8, .lda = 8, .ldb = 24, .ldc = 24,
                                         .batch = 1, .alpha = 1, .beta = 0};

/* A tuning process: the record from the file (pending entries blamed as gan-cl tune does),
 * then the tiny shape tuned with 4 candidates at most. Exit status 0 when it finished. */
static int child_tune(void)
{
    gc__tune_test_before_verify = before_verify;
    struct gc_device *dev;
    char note[256];
    if (gc_device_open(getenv("GANCL_TEST_DEVICE"), NULL, &dev, note, sizeof note) != GC_OK) {
        fprintf(stderr, "child: %s\n", gc_last_error());
        return 3;
    }
    struct gc_tune_record r;
    gc_status s = gc__tune_record_load(record, &r);
    if (s == GC_NOT_FOUND) {
        gc_clear_error();
        gc__tune_record_init(&r, gc_device_get_info(dev));
        s = GC_OK;
    }
    if (s == GC_OK) gc__tune_blame_pending(&r);
    struct gc_tune_search opt = {.deadline = gc__tune_clock() + 120, .max_evals = 4, .seed = 1};
    struct gc_tune_row row;
    if (s == GC_OK) s = gc__tune_gemm_shape(dev, &tiny, &r, record, &opt, &row, NULL);
    if (s != GC_OK) fprintf(stderr, "child: %s\n", gc_last_error());
    gc__tune_record_free(&r);
    gc_device_destroy(dev);
    return s == GC_OK ? 0 : 4;
}

static void keep_line(const char *line, void *user)
{
    (void)user;
    snprintf(said, sizeof said, "%s", line);
    printf("# supervisor: %s\n", line);
}

static struct gc_tune_watchdog watchdog(int max_restarts)
{
    said[0] = '\0';
    return (struct gc_tune_watchdog){.floor_s = FLOOR_S, .max_restarts = max_restarts, .say = keep_line};
}

/* A supervised tune of the tiny shape whose target_at-th verification misbehaves: it
 * finishes after one restart, the target recorded as `want` and verified only once. */
static void supervised_tune(enum mode mode, enum gc_tune_outcome want, double *seconds)
{
    memset(sh, 0, sizeof *sh);
    sh->mode = mode;
    sh->target_at = 2; /* the default is verified first */
    unlink(record);
    struct gc_tune_watchdog w = watchdog(3);
    struct gc_tune_supervision sup;
    double t0 = gc__tune_clock();
    gc_status s = gc_tune_supervise(&w, &sup);
    if (sup.child) _exit(s == GC_OK ? child_tune() : 5);
    *seconds = gc__tune_clock() - t0;
    gc_assert_ok(s);
    assert_int_equal(sup.exit_code, 0);
    assert_int_equal(sup.restarts, 1);
    assert_true(sh->have_target);
    assert_int_equal(sh->target_calls, 1); /* the resumed process never ran it again */

    struct gc_tune_record r;
    gc_assert_ok(gc__tune_record_load(record, &r));
    struct gc_tune_shape shape;
    gc__tune_shape_of(&tiny, &shape);
    int t = gc__tune_record_find(&r, &shape, &sh->target), b = gc__tune_record_best(&r, &shape);
    assert_true(t >= 0);
    assert_string_equal(gc__tune_outcome_name(r.e[t].outcome), gc__tune_outcome_name(want));
    assert_true(b >= 0);
    assert_false(gc__tune_config_eq(&r.e[b].cfg, &sh->target));
    for (int i = 0; i < r.n; i++) assert_int_not_equal(r.e[i].outcome, GC_TUNE_PENDING);
    gc__tune_record_free(&r);
}

static void test_hung_candidate_killed_and_skipped(void **state)
{
    (void)state;
    double seconds;
    supervised_tune(HANG, GC_TUNE_HUNG, &seconds);
    printf("# hung candidate: tune finished in %.1f s; supervisor said: %s\n", seconds, said);
    assert_non_null(strstr(said, "hung (> "));
    assert_non_null(strstr(said, "killed, recorded as hung, resuming"));
    assert_non_null(strstr(said, "candidate gemm_"));
    assert_non_null(strstr(said, " on NN 16x24x8 b1"));
    assert_true(seconds >= FLOOR_S); /* not killed before its deadline */
}

static void test_crashing_candidate_recorded(void **state)
{
    (void)state;
    double seconds;
    supervised_tune(CRASH, GC_TUNE_CRASHED, &seconds);
    printf("# crashing candidate: tune finished in %.1f s; supervisor said: %s\n", seconds, said);
    assert_non_null(strstr(said, "crashed (signal 6"));
    assert_non_null(strstr(said, "recorded as crashed, resuming"));
}

/* Without OpenCL: what ends supervision. */
static gc_status supervise_child(int max_restarts, void (*child)(void), struct gc_tune_supervision *sup)
{
    struct gc_tune_watchdog w = watchdog(max_restarts);
    gc_status s = gc_tune_supervise(&w, sup);
    if (sup->child) {
        child();
        _exit(0);
    }
    return s;
}

static void exit_7(void) { _exit(7); }
static void hang_outside(void)
{
    gc__tune_watch_arm(0.2, false, "the test's step timing");
    for (;;) sleep(1000);
}
static void die_outside(void) { crash(); }
static void crash_candidate(void)
{
    gc__tune_watch_arm(60, true, "candidate X on Y");
    crash();
}

/* Stops the supervisor (as Ctrl-Z stops the whole job) for 2 s during a 2.5 s phase that
 * then goes on 1 s more: the stopped time is not the candidate's. */
static void stopped_supervisor(void)
{
    gc__tune_watch_arm(2.5, true, "candidate stopped");
    sleep(1);
    kill(getppid(), SIGSTOP);
    sleep(2);
    kill(getppid(), SIGCONT);
    sleep(1);
    gc__tune_watch_disarm();
}

static void test_stopped_time_not_counted(void **state)
{
    (void)state;
    struct gc_tune_supervision sup;
    gc_assert_ok(supervise_child(1, stopped_supervisor, &sup));
    assert_int_equal(sup.restarts, 0);
    assert_int_equal(sup.exit_code, 0);
}

static void test_supervision_ends(void **state)
{
    (void)state;
    struct gc_tune_supervision sup;
    gc_assert_ok(supervise_child(3, exit_7, &sup));
    assert_false(sup.child);
    assert_int_equal(sup.exit_code, 7);
    assert_int_equal(sup.restarts, 0);

    assert_int_equal(supervise_child(3, hang_outside, &sup), GC_LIMIT);
    assert_int_equal(sup.restarts, 0);
    assert_non_null(strstr(gc_last_error(), "the test's step timing hung"));
    gc_clear_error();

    assert_int_equal(supervise_child(3, die_outside, &sup), GC_CL);
    assert_non_null(strstr(gc_last_error(), "died of signal 6"));
    gc_clear_error();

    assert_int_equal(supervise_child(2, crash_candidate, &sup), GC_LIMIT);
    assert_int_equal(sup.restarts, 2);
    assert_non_null(strstr(gc_last_error(), "3 tuning processes"));
    gc_clear_error();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_supervision_ends),
        cmocka_unit_test(test_stopped_time_not_counted),
        cmocka_unit_test(test_hung_candidate_killed_and_skipped),
        cmocka_unit_test(test_crashing_candidate_recorded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
