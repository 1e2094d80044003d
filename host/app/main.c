/* SPDX-License-Identifier: MIT */
/* gan-cl: entry point and sub-command dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "gancl/device.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"train", gc_cmd_train, "train a GAN (default: dcgan32 on Fashion-MNIST)"},
    {"sample", gc_cmd_sample, "sample a trained generator into a PNG grid"},
    {"translate", gc_cmd_translate, "translate images with a trained CycleGAN generator"},
    {"devices", gc_cmd_devices, "list OpenCL devices (and test a --device selector)"},
    {"bench", gc_cmd_bench, "time training steps of a benchmark workload (GFLOP/s)"},
    {"classify", gc_cmd_classify, "train/test the Fashion-MNIST classifier behind eval"},
    {"eval", gc_cmd_eval, "FID, KID, P&R, density/coverage, IS (fmnist) of a generator"},
    {"report", gc_cmd_report, "rewrite a run folder's index.html from its log and samples"},
    {"tune", gc_cmd_tune, "tune the GEMMs of a model on a device (writes its tuning record)"},
    {"cache", gc_cmd_cache, "show or clear the on-disk kernel cache (info | clear | warm)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gan-cl COMMAND [OPTIONS]\n\n"
               "A portable GAN training engine on OpenCL.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`gan-cl COMMAND --help` lists a command's options and their defaults.\n");
}

int gc_app_fail(gc_status s)
{
    const char *msg = gc_last_error();
    fprintf(stderr, "gan-cl: %s\n", msg && *msg ? msg : gc_status_message(s));
    return s == GC_NO_DEVICE || s == GC_INVALID_ARG ? GC_EXIT_USAGE
           : s == GC_INTERRUPTED                    ? GC_EXIT_INTERRUPTED
                                                    : GC_EXIT_FAIL;
}

static int verbose_level;

static void app_log(enum gc_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level == GC_LOG_DEBUG && verbose_level < 2) return;
    if (level == GC_LOG_INFO && verbose_level < 1) return;
    static const char *names[] = {"debug", "info", "warning", "error"};
    fprintf(stderr, "gan-cl: %s: %s\n", names[level], msg);
}

void gc_app_install_logger(int verbose)
{
    verbose_level = verbose;
    gc_log_set_callback(app_log, NULL);
}

int main(int argc, char **argv)
{
    /* Mesa's rusticl lists no device unless told which drivers to expose;
     * its software device is a useful second compiler, and it is never the
     * default device (select.c ranks software rasterisers last). */
    setenv("RUSTICL_ENABLE", "llvmpipe", 0);
    gc_app_install_logger(0);
    if (argc < 2) {
        usage(stderr);
        return GC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return GC_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gan-cl %s\n", GC_VERSION);
        return GC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gan-cl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return GC_EXIT_USAGE;
}
