/* SPDX-License-Identifier: MIT */
/* Sub-commands of the gan-cl executable. Only host/app prints or exits:
 * each command returns the process exit status. */
#ifndef GANCL_APP_H
#define GANCL_APP_H

#include <signal.h>

#include "gancl/status.h"

/* Exit statuses: 0 ok, 1 runtime failure, 2 usage / no such device, 130 interrupted. */
#define GC_EXIT_OK 0
#define GC_EXIT_FAIL 1
#define GC_EXIT_USAGE 2
#define GC_EXIT_INTERRUPTED 130

int gc_cmd_devices(int argc, char **argv);
int gc_cmd_cache(int argc, char **argv);
int gc_cmd_train(int argc, char **argv);
/* train --model cyclegan*: its own options (train_cyclegan.c). */
int gc_train_cyclegan(int argc, char **argv, volatile sig_atomic_t *interrupted);
int gc_cmd_sample(int argc, char **argv);
int gc_cmd_translate(int argc, char **argv);
int gc_cmd_bench(int argc, char **argv);
int gc_cmd_tune(int argc, char **argv);
int gc_cmd_classify(int argc, char **argv);
int gc_cmd_eval(int argc, char **argv);
int gc_cmd_report(int argc, char **argv);
/* The fmnist classifier's weights: `given` if not NULL, else the first of
 * $GANCL_MODELS/, <executable's dir>/../models/, ./models/ holding
 * fmnist_classifier.safetensors (GC_NOT_FOUND naming them otherwise). */
gc_status gc_app_model_path(const char *given, char *buf, size_t size);
/* Loads dev's tuning record (gancl/tune.h) and prints the one line that says so; returns
 * gc_tune_load's status (GC_OK: a record is in use; otherwise the built-in defaults). */
struct gc_device;
gc_status gc_app_tune_load(struct gc_device *dev);

/* Prints "gan-cl: <message>" for a failed status and returns its exit code. */
int gc_app_fail(gc_status s);
/* Log callback printing warnings and errors (and info when verbose). */
void gc_app_install_logger(int verbose);

#endif
