/* SPDX-License-Identifier: MIT */
/* Status list, last-error messages, log callback and allocation hooks. */
#include <string.h>

#include "gancl/alloc.h"
#include "gancl/status.h"
#include "harness.h"

static void test_names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(gc_status_name(GC_OK), "GC_OK");
    assert_string_equal(gc_status_name(GC_DEVICE_NOMEM), "GC_DEVICE_NOMEM");
    assert_string_equal(gc_status_message(GC_CL_BUILD), "OpenCL program build failed");
    assert_string_equal(gc_status_name((gc_status)-999), "GC_UNKNOWN_STATUS");
}

static void test_error_context(void **state)
{
    (void)state;
    assert_int_equal(gc_error(GC_IO, "%s: short read", "a.png"), GC_IO);
    assert_string_equal(gc_last_error(), "a.png: short read");
    gc_error_context(GC_IO, "loading %s", "data");
    assert_string_equal(gc_last_error(), "loading data: a.png: short read");
    gc_clear_error();
    assert_string_equal(gc_last_error(), "");
}

static int log_calls;
static void count_log(enum gc_log_level level, const char *msg, void *user)
{
    assert_int_equal(level, GC_LOG_WARN);
    assert_string_equal(msg, "x=3");
    assert_ptr_equal(user, &log_calls);
    log_calls++;
}

static void test_log_callback(void **state)
{
    (void)state;
    gc_log(GC_LOG_WARN, "dropped without a callback");
    gc_log_set_callback(count_log, &log_calls);
    gc_log(GC_LOG_WARN, "x=%d", 3);
    gc_log_set_callback(NULL, NULL);
    gc_log(GC_LOG_WARN, "dropped again");
    assert_int_equal(log_calls, 1);
}

static void test_alloc_hooks_leak_checked(void **state)
{
    (void)state;
    gc_test_use_cmocka_alloc();
    char *s = gc_strdup("gan-cl");
    assert_string_equal(s, "gan-cl");
    gc_free(s);
    gc_free(NULL);
    gc_test_use_libc_alloc();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_messages),
        cmocka_unit_test(test_error_context),
        cmocka_unit_test(test_log_callback),
        cmocka_unit_test(test_alloc_hooks_leak_checked),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
