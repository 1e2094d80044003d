/* SPDX-License-Identifier: MIT */
/* FID (fmnist) inside the training loop (`gan-cl train --eval-every N`):
 * the features of `n` real training items are computed once per run, then
 * each evaluation generates `n` images from fixed latents and compares.
 *
 * It never touches the training state's random streams: real items come
 * from the dataset by index (gc_dataset_get, no loader), latents from host
 * Philox (seed, stream 89), and generation runs the model's sampling plan
 * (batch norm on running statistics, no random ops). So losses with and
 * without --eval-every are the same bits, and --resume stays exact. The
 * same latents every time make successive FIDs differ by the generator
 * only, not by a new draw. Images reach the classifier by eval_frame.h's
 * rules, the ones `gan-cl eval` uses. */
#ifndef GANCL_APP_TRAIN_EVAL_H
#define GANCL_APP_TRAIN_EVAL_H

#include <stdint.h>

#include "gancl/dataset.h"
#include "gancl/device.h"
#include "gancl/gan.h"

struct gc_app_fid;

/* Loads the fmnist classifier and the real features: n items of `ds` (a
 * seeded sample; all of them when it holds <= n), trained-on-Fashion-MNIST
 * framing when `fmnist`. */
gc_status gc_app_fid_create(struct gc_device *dev, const struct gc_dataset *ds, bool fmnist,
                            const struct gc_gan_config *cfg, int64_t n, struct gc_app_fid **out);
/* FID (fmnist) of m's samples against the cached real features. */
gc_status gc_app_fid_run(struct gc_app_fid *e, struct gc_gan *m, double *fid);
void gc_app_fid_destroy(struct gc_app_fid *e);

#endif
