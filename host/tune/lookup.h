/* SPDX-License-Identifier: MIT */
/* The one call the GEMM default path makes into the tuner (host/ops/gemm.c, cfg == NULL):
 * the device's loaded tuning record (gc_tune_load), if any, picks the config of this shape.
 * This is the one upward include (ops -> tune) in the tree: the record belongs to the tuner,
 * the hook to the op; declaring the hook here keeps the record's types out of ops/. */
#ifndef GANCL_TUNE_LOOKUP_H
#define GANCL_TUNE_LOOKUP_H

#include <stdbool.h>

#include "ops/gemm.h"

/* True (and *cfg set) when dev's loaded record holds d's shape. Costs one predictable
 * branch when no record is loaded, a short scan of the loaded shapes otherwise; while the
 * tuner records shapes it also notes d. */
bool gc__tune_lookup_gemm(const struct gc_device *dev, const struct gc_gemm_desc *d,
                          struct gc_gemm_config *cfg);

#endif
