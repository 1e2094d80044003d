/* SPDX-License-Identifier: MIT */
/* Status codes, the per-thread last-error message and the log callback.
 *
 * Every function that touches a file, a device, an allocation, a kernel build
 * or user input returns a gc_status. The details (file name, OpenCL error
 * name, full build log) go to a per-thread message read with gc_last_error(),
 * so a caller can print one clear line. Library code never prints: it logs
 * through a settable callback. */
#ifndef GANCL_STATUS_H
#define GANCL_STATUS_H

#include <stdarg.h>
#include <stddef.h>

/* X(NAME, value, message) — the one list from which the enum and the
 * name/message tables are generated, so they cannot drift. */
#define GC_STATUS_LIST(X)                                                                          \
    X(OK, 0, "success")                                                                            \
    X(NOMEM, -1, "out of host memory")                                                             \
    X(DEVICE_NOMEM, -2, "out of device memory")                                                    \
    X(CL, -3, "OpenCL error")                                                                      \
    X(CL_BUILD, -4, "OpenCL program build failed")                                                 \
    X(IO, -5, "input/output error")                                                                \
    X(FORMAT, -6, "malformed or unsupported file format")                                          \
    X(UNSUPPORTED, -7, "unsupported operation")                                                    \
    X(INVALID_ARG, -8, "invalid argument")                                                         \
    X(NO_DEVICE, -9, "no matching OpenCL device")                                                  \
    X(INTERRUPTED, -10, "interrupted")                                                             \
    X(NOT_FOUND, -11, "not found")                                                                 \
    X(CLBLAST, -12, "CLBlast error")                                                               \
    X(LIMIT, -13, "limit exceeded")

enum gc_status {
#define GC_STATUS_ENUM_(name, value, msg) GC_##name = value,
    GC_STATUS_LIST(GC_STATUS_ENUM_)
#undef GC_STATUS_ENUM_
};
typedef enum gc_status gc_status;

/* "GC_NOMEM", ... ; "GC_UNKNOWN_STATUS" for values outside the list. */
const char *gc_status_name(gc_status s);
/* "out of host memory", ... */
const char *gc_status_message(gc_status s);

/* The message describing the most recent failure on this thread ("" if none). */
const char *gc_last_error(void);
void gc_clear_error(void);

/* Records a formatted message as this thread's last error and returns `s`,
 * so failure paths read `return gc_error(GC_IO, "%s: %s", path, strerror(e));` */
gc_status gc_error(gc_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
gc_status gc_verror(gc_status s, const char *fmt, va_list ap);
/* Prepends "prefix: " to the current last error (adds context on the way up). */
gc_status gc_error_context(gc_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

enum gc_log_level { GC_LOG_DEBUG, GC_LOG_INFO, GC_LOG_WARN, GC_LOG_ERROR };
typedef void (*gc_log_fn)(enum gc_log_level level, const char *msg, void *user);
/* NULL restores the default, which drops everything: the library is silent
 * unless the application asks to hear it. */
void gc_log_set_callback(gc_log_fn fn, void *user);
void gc_log(enum gc_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Always-on check for programmer errors (never for runtime conditions). */
void gc__assert_fail(const char *expr, const char *file, int line, const char *what);
#define GC_ASSERT(expr) ((expr) ? (void)0 : gc__assert_fail(#expr, __FILE__, __LINE__, NULL))
#define GC_ASSERT_MSG(expr, what)                                                                  \
    ((expr) ? (void)0 : gc__assert_fail(#expr, __FILE__, __LINE__, (what)))

#endif
