/* SPDX-License-Identifier: MIT */
/* The training loop behind `gan-cl train`, separated from option parsing. */
#ifndef GANCL_APP_TRAIN_RUN_H
#define GANCL_APP_TRAIN_RUN_H

#include <signal.h>
#include <stdint.h>

#include "gancl/gan.h"

/* --eval-n default: 2000 images. The fmnist features are 64-d, so 2000
 * samples estimate the 64x64 covariance ~30x over (FID's bias falls as 1/n;
 * 2000 vs 10000 differ by a few units, a constant offset that does not hide
 * a trend), and generating + classifying 2000 images costs about as much as a
 * few training steps (docs/TRAINING.md has the measured numbers). */
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
