/* SPDX-License-Identifier: MIT */
/* The training loop behind `gan-cl train`, separated from option parsing. */
#ifndef GANCL_APP_TRAIN_RUN_H
#define GANCL_APP_TRAIN_RUN_H

#include <signal.h>
#include <stdint.h>

#include "gancl/gan.h"

struct gc_train_opts {
    struct gc_gan_config cfg;
    const char *data;    /* fashion-mnist[:class] */
    const char *device;  /* --device selector or NULL */
    const char *run_dir; /* NULL: runs/<model>-<time> */
    const char *resume;  /* run folder to continue, or NULL */
    long steps, epochs;  /* stop after `steps` G updates, or after `epochs` (if > 0) */
    long sample_every, ckpt_every, log_every;
    volatile sig_atomic_t *interrupted;
};

int gc_train_run(struct gc_train_opts *o);

#endif
