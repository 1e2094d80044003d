/* SPDX-License-Identifier: MIT */
/* Graph-level tests of the 'ops' executable (ops_graph.c), registered by
 * test_ops.c's main. */
#ifndef GANCL_TEST_OPS_H
#define GANCL_TEST_OPS_H

void gc_test_plan_stats(void **state);
void gc_test_inplace(void **state);
void gc_test_arena_split(void **state);
void gc_test_sticky_error(void **state);
void gc_test_no_gradient(void **state);
void gc_test_detach(void **state);
void gc_test_accumulate(void **state);

#endif
