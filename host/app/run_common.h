/* SPDX-License-Identifier: MIT */
/* What every training loop of the app shares: clocks, the host shuffle
 * generator, and the run folder (runs/<model>-<time>/ with samples/ and
 * checkpoints/). */
#ifndef GANCL_APP_RUN_COMMON_H
#define GANCL_APP_RUN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "gancl/status.h"

double gc_app_now(void);
/* splitmix64 step: host-side shuffles and draws, seeded per epoch. */
uint64_t gc_app_mix(uint64_t *state);
/* A seeded permutation of 0..n-1 (Fisher-Yates with gc_app_mix). */
void gc_app_permutation(int64_t *order, int64_t n, uint64_t seed);
/* resume ? resume : run ? run : runs/<model>-YYYYmmdd-HHMMSS */
void gc_app_run_dir(const char *model, const char *run, const char *resume, char *buf,
                    size_t size);
/* Creates DIR, DIR/samples and DIR/checkpoints. */
gc_status gc_app_make_run_dirs(const char *dir);

#endif
