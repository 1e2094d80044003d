/* SPDX-License-Identifier: MIT */
/* The training loop behind `gan-cl train`, separated from option parsing. */
#ifndef GANCL_APP_TRAIN_RUN_H
#define GANCL_APP_TRAIN_RUN_H

#include <signal.h>
#include <stdint.h>

#include "gancl/gan.h"

/* --eval-n default: 2000 images. The fmnist features are 64-d, so 2000
 * samples estimate the 64x64 covariance ~30x over; FID's small-sample bias
 * (real vs real: 1.3-1.6 at 2000, 0.26 at 10,000) is ~1 unit, a near-constant
 * offset next to a trained dcgan32's ~23. Generating + classifying 2000
 * images costs ~1 s, 3.5 dcgan32 steps on the 2-core PoCL machine
 * (docs/EVAL.md). */
#define GC_TRAIN_EVAL_N 2000

struct gc_train_opts {
    struct gc_gan_config cfg;
    const char *data;    /* fashion-mnist[:class] or an image folder */
    const char *device;  /* --device selector or NULL */
    const char *run_dir; /* NULL: runs/<model>-<time> */
    const char *resume;  /* run folder to continue, or NULL */
    long steps, epochs;  /* stop after `steps` G updates, or after `epochs` (if > 0) */
    long sample_every, ckpt_every, log_every;
    long eval_every, eval_n; /* FID (fmnist) every eval_every G updates (0: never) on eval_n images */
    int nc;              /* --nc, 0: 1 for Fashion-MNIST, 3 for a folder */
    volatile sig_atomic_t *interrupted;
};

int gc_train_run(struct gc_train_opts *o);

#endif
