/* SPDX-License-Identifier: MIT */
/* Status names and messages (generated from GC_STATUS_LIST), the per-thread
 * last-error buffer, the log callback and the assertion handler. */
#include "gancl/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GC_ERRBUF_SIZE 16384 /* large enough for a kernel build log excerpt */

static _Thread_local char errbuf[GC_ERRBUF_SIZE];

const char *gc_status_name(gc_status s)
{
    switch (s) {
#define GC_STATUS_NAME_(name, value, msg)                                                          \
    case GC_##name:                                                                                \
        return "GC_" #name;
        GC_STATUS_LIST(GC_STATUS_NAME_)
#undef GC_STATUS_NAME_
    }
    return "GC_UNKNOWN_STATUS";
}

const char *gc_status_message(gc_status s)
{
    switch (s) {
#define GC_STATUS_MSG_(name, value, msg)                                                           \
    case GC_##name:                                                                                \
        return msg;
        GC_STATUS_LIST(GC_STATUS_MSG_)
#undef GC_STATUS_MSG_
    }
    return "unknown status";
}

const char *gc_last_error(void)
{
    return errbuf;
}

void gc_clear_error(void)
{
    errbuf[0] = '\0';
}

gc_status gc_verror(gc_status s, const char *fmt, va_list ap)
{
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    return s;
}

gc_status gc_error(gc_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gc_verror(s, fmt, ap);
    va_end(ap);
    return s;
}

gc_status gc_error_context(gc_status s, const char *fmt, ...)
{
    char prefix[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strlen(prefix), olen = strlen(errbuf);
    if (plen + 2 >= sizeof errbuf) return s;
    if (plen + 2 + olen >= sizeof errbuf) olen = sizeof errbuf - plen - 3;
    memmove(errbuf + plen + 2, errbuf, olen);
    errbuf[plen + 2 + olen] = '\0';
    memcpy(errbuf, prefix, plen);
    errbuf[plen] = ':';
    errbuf[plen + 1] = ' ';
    return s;
}

static gc_log_fn log_fn;
static void *log_user;

void gc_log_set_callback(gc_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void gc_log(enum gc_log_level level, const char *fmt, ...)
{
    if (!log_fn) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_user);
}

void gc__assert_fail(const char *expr, const char *file, int line, const char *what)
{
    fprintf(stderr, "gan-cl: internal error at %s:%d: assertion `%s` failed%s%s\n", file, line,
            expr, what ? " for " : "", what ? what : "");
    abort();
}
