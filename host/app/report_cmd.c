/* SPDX-License-Identifier: MIT */
/* `gan-cl report RUN_DIR`: rewrites a run's index.html from its log.csv,
 * options.txt and samples/ — for runs made elsewhere (a GPU machine, an older
 * gan-cl) or after editing the report code; training itself is not needed. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "report.h"

/* The `model` line of options.txt ("model        dcgan32"); "" if absent. */
static void read_model(const char *dir, char model[64])
{
    char path[1200], line[512];
    snprintf(path, sizeof path, "%s/options.txt", dir);
    *model = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "model %63s", model) == 1) break;
    fclose(f);
}

int gc_cmd_report(int argc, char **argv)
{
    bool help = argc == 2 && strcmp(argv[1], "--help") == 0;
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(help ? stdout : stderr,
                "usage: gan-cl report RUN_DIR\n\n"
                "Rewrites RUN_DIR/index.html (loss curves, one row per epoch, sample grids)\n"
                "from RUN_DIR/log.csv, options.txt and samples/.\n");
        return help ? GC_EXIT_OK : GC_EXIT_USAGE;
    }
    char path[1200], model[64];
    snprintf(path, sizeof path, "%s/log.csv", argv[1]);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gan-cl report: %s: cannot read (not a run folder?)\n", path);
        return GC_EXIT_FAIL;
    }
    fclose(f);
    read_model(argv[1], model);
    if (!*model) { /* no options.txt (an older run): the folder's name */
        const char *base = strrchr(argv[1], '/');
        snprintf(model, sizeof model, "%s", base && base[1] ? base + 1 : argv[1]);
    }
    gc_report_write(argv[1], model);
    snprintf(path, sizeof path, "%s/index.html", argv[1]);
    if (!(f = fopen(path, "r"))) {
        fprintf(stderr, "gan-cl report: %s: cannot write\n", path);
        return GC_EXIT_FAIL;
    }
    fclose(f);
    printf("%s\n", path);
    return GC_EXIT_OK;
}
