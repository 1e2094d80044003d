/* SPDX-License-Identifier: MIT */
/* Shared test helpers: tensor comparison with a readable first failure,
 * the devices every device-level test runs on, leak-checked allocation
 * hooks, and the PyTorch fixture reader. */
#ifndef GANCL_TEST_HARNESS_H
#define GANCL_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gancl/device.h"
#include "gancl/status.h"

/* Compares element-wise with |a-e| <= atol + rtol*|e|. On failure prints the
 * first bad index (as (n,c,h,w) when `shape` is given), both values, the
 * max absolute and relative errors and fails the test. shape may be NULL
 * (then the index is flat); ndim <= 4. */
void gc_assert_tensor_close_shape(const float *actual, const float *expect, const int64_t *shape,
                                  int ndim, double atol, double rtol, const char *label);
#define gc_assert_tensor_close(actual, expect, n, atol, rtol, label)                              \
    do {                                                                                           \
        int64_t shape_[1] = {(int64_t)(n)};                                                        \
        gc_assert_tensor_close_shape((actual), (expect), shape_, 1, (atol), (rtol), (label));      \
    } while (0)

/* Fails the test with gc_last_error() unless s == GC_OK. */
#define gc_assert_ok(s)                                                                            \
    do {                                                                                           \
        gc_status s_ = (s);                                                                        \
        if (s_ != GC_OK) fail_msg("%s: %s (%s)", #s, gc_status_name(s_), gc_last_error());        \
    } while (0)

/* Opens every device the tests should run on: all OpenCL devices present, or
 * those named by GANCL_TEST_DEVICES (comma-separated --device selectors).
 * Fails the test when there are none: a missing device is a failure, never a
 * skip. Devices stay open until the process exits. */
int gc_test_devices(struct gc_device ***devs);

/* Routes gan-cl's host allocations through cmocka's leak checker. */
void gc_test_use_cmocka_alloc(void);
void gc_test_use_libc_alloc(void);

/* Deterministic test data: uniform in [lo, hi). */
void gc_test_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi);

/* PyTorch fixtures (tests/fixtures/NAME.gcf, written by tools/gen_fixtures.py):
 *   GCFIX 1
 *   # comment lines (generator command, torch version)
 *   tensor NAME NDIM D0 D1 ...
 *   values ... (whitespace separated, %.9g)            */
struct gc_fixture;
struct gc_fixture *gc_fixture_load(const char *name); /* relative to GANCL_FIXTURES; fails test */
/* Returns the tensor's data (owned by the fixture) and fills shape/ndim; fails the test if absent. */
const float *gc_fixture_get(const struct gc_fixture *fx, const char *tensor, int64_t *shape,
                            int *ndim);
int64_t gc_fixture_numel(const struct gc_fixture *fx, const char *tensor);
void gc_fixture_free(struct gc_fixture *fx);

#endif
