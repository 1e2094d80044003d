/* SPDX-License-Identifier: MIT */
/* index.html of a run: loss curves drawn as inline SVG polylines from
 * log.csv, the latest sample grid, and every saved grid by step. Cheap to
 * regenerate, so it is rewritten whenever samples are saved. */
#include "report.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POINTS 4000

struct series {
    double step[MAX_POINTS], d[MAX_POINTS], g[MAX_POINTS];
    int n;
};

static void read_log(const char *dir, struct series *s)
{
    char path[1200], line[512];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    FILE *f = fopen(path, "r");
    s->n = 0;
    if (!f) return;
    int total = 0;
    while (fgets(line, sizeof line, f)) total++;
    rewind(f);
    int every = total / MAX_POINTS + 1, k = 0; /* thin long logs evenly */
    while (fgets(line, sizeof line, f) && s->n < MAX_POINTS) {
        double st, ep, d, g;
        if (sscanf(line, "%lf,%lf,%lf,%lf", &st, &ep, &d, &g) == 4 && k++ % every == 0) {
            s->step[s->n] = st;
            s->d[s->n] = d;
            s->g[s->n++] = g;
        }
    }
    fclose(f);
}

static void polyline(FILE *f, const struct series *s, const double *y, double lo, double hi,
                     const char *color)
{
    double x0 = s->step[0], x1 = s->step[s->n - 1] > x0 ? s->step[s->n - 1] : x0 + 1;
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='", color);
    for (int i = 0; i < s->n; i++)
        fprintf(f, "%.1f,%.1f ", 50 + 700 * (s->step[i] - x0) / (x1 - x0),
                20 + 260 * (hi - y[i]) / (hi - lo));
    fprintf(f, "'/>\n");
}

static void curves(FILE *f, const struct series *s)
{
    if (s->n < 2) {
        fprintf(f, "<p>No losses logged yet.</p>\n");
        return;
    }
    double lo = s->d[0], hi = s->d[0];
    for (int i = 0; i < s->n; i++) {
        lo = s->d[i] < lo ? s->d[i] : lo, hi = s->d[i] > hi ? s->d[i] : hi;
        lo = s->g[i] < lo ? s->g[i] : lo, hi = s->g[i] > hi ? s->g[i] : hi;
    }
    if (hi <= lo) hi = lo + 1;
    fprintf(f, "<svg width='800' height='320' style='background:#fff;border:1px solid #ccc'>\n"
               "<text x='50' y='14' font-size='12'>%.3g</text>"
               "<text x='50' y='296' font-size='12'>%.3g</text>"
               "<text x='50' y='314' font-size='12'>step %.0f</text>"
               "<text x='690' y='314' font-size='12'>step %.0f</text>\n",
            hi, lo, s->step[0], s->step[s->n - 1]);
    polyline(f, s, s->d, lo, hi, "#d62728");
    polyline(f, s, s->g, lo, hi, "#1f77b4");
    fprintf(f, "</svg>\n<p><span style='color:#d62728'>&#9632; D / critic loss</span> &nbsp; "
               "<span style='color:#1f77b4'>&#9632; G loss</span></p>\n");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a); /* newest first */
}

static void grids(FILE *f, const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/samples", dir);
    DIR *d = opendir(path);
    if (!d) return;
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512)
        if (strncmp(e->d_name, "step_", 5) == 0) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    fprintf(f, "<h2>Samples (fixed latents)</h2>\n<div style='display:flex;flex-wrap:wrap'>\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "<figure><img src='samples/%s' width='%d'><figcaption>%.*s</figcaption>"
                   "</figure>\n",
                names[i], i == 0 ? 400 : 200, (int)(strlen(names[i]) - 4), names[i]);
        free(names[i]);
    }
    fprintf(f, "</div>\n");
}

void gc_report_write(const char *dir, const char *model)
{
    char path[1200], tmp[1300];
    snprintf(path, sizeof path, "%s/index.html", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    struct series *s = malloc(sizeof *s);
    if (s) read_log(dir, s);
    fprintf(f, "<!doctype html><html><head><meta charset='utf-8'><title>gan-cl: %s</title>"
               "</head><body style='font-family:sans-serif;margin:2em'>\n"
               "<h1>gan-cl run: %s</h1>\n<p><a href='options.txt'>options</a> · "
               "<a href='log.csv'>log.csv</a> · checkpoints/</p>\n<h2>Losses</h2>\n",
            model, model);
    if (s) curves(f, s);
    grids(f, dir);
    fprintf(f, "</body></html>\n");
    free(s);
    if (fclose(f) == 0) rename(tmp, path);
}
