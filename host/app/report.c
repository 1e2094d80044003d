/* SPDX-License-Identifier: MIT */
/* index.html of a run, from log.csv and samples/ alone (so it serves every
 * training loop): loss curves as inline SVG polylines, FID (fmnist) as its
 * own curve when the run evaluated, a table with one row per epoch (last
 * step, mean of each loss over the epoch's logged rows, lr, FID, the sample
 * grid nearest the epoch's end), and every saved grid by step. Columns are
 * found by name in log.csv's header: step, epoch, lr, fid_fmnist, timings
 * (*_s); every other column is a loss. Cheap to regenerate, so it is
 * rewritten whenever samples are saved. */
#include "report.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 24
#define MAX_CURVE_POINTS 2000
#define MAX_GRIDS 4096

static const char *const palette[] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};

struct log {
    char names[MAX_COLS][32];
    int ncols, nloss;
    int loss_col[MAX_COLS]; /* column of loss k */
    int step_col, epoch_col, lr_col, fid_col;
    bool any_fid;           /* some row has a FID */
    double *v;              /* rows x ncols, NaN where empty */
    int rows, cap;
};

/* Splits a CSV line in place into at most MAX_COLS fields (empty ones kept). */
static int split(char *line, char **f)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < MAX_COLS;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void header(struct log *L, char *line)
{
    char *f[MAX_COLS];
    L->ncols = split(line, f);
    L->step_col = L->epoch_col = L->lr_col = L->fid_col = -1;
    for (int i = 0; i < L->ncols; i++) {
        snprintf(L->names[i], sizeof L->names[i], "%s", f[i]);
        size_t len = strlen(f[i]);
        if (strcmp(f[i], "step") == 0) L->step_col = i;
        else if (strcmp(f[i], "epoch") == 0) L->epoch_col = i;
        else if (strcmp(f[i], "lr") == 0) L->lr_col = i;
        else if (strcmp(f[i], "fid_fmnist") == 0) L->fid_col = i;
        else if (!(len > 2 && strcmp(f[i] + len - 2, "_s") == 0)) L->loss_col[L->nloss++] = i;
    }
}

static int add_row(struct log *L, char *line)
{
    char *f[MAX_COLS], *end;
    int n = split(line, f);
    if (L->rows == L->cap) {
        int cap = L->cap ? 2 * L->cap : 256;
        double *v = realloc(L->v, sizeof(double) * (size_t)cap * MAX_COLS);
        if (!v) return -1;
        L->v = v, L->cap = cap;
    }
    double *r = L->v + (size_t)L->rows * MAX_COLS;
    for (int i = 0; i < L->ncols; i++) {
        r[i] = i < n ? strtod(f[i], &end) : NAN;
        if (i < n && (end == f[i] || *end)) r[i] = NAN;
    }
    L->any_fid |= L->fid_col >= 0 && !isnan(r[L->fid_col]);
    L->rows++;
    return 0;
}

static double at(const struct log *L, int row, int col)
{
    return col < 0 ? NAN : L->v[(size_t)row * MAX_COLS + col];
}

static void read_log(const char *dir, struct log *L)
{
    char path[1200], line[2048];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    memset(L, 0, sizeof *L);
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(line, sizeof line, f)) header(L, line);
    while (L->step_col >= 0 && fgets(line, sizeof line, f))
        if (add_row(L, line) != 0) break;
    fclose(f);
}

/* ---- curves ---------------------------------------------------------------- */

/* One SVG chart of columns cols[0..n) against step; rows where a value is
 * NaN are skipped, long logs thinned to MAX_CURVE_POINTS per line. */
static void chart(FILE *f, const struct log *L, const int *cols, int n, const char *title)
{
    double x0 = INFINITY, x1 = -INFINITY, lo = INFINITY, hi = -INFINITY;
    for (int r = 0; r < L->rows; r++)
        for (int k = 0; k < n; k++) {
            double y = at(L, r, cols[k]), x = at(L, r, L->step_col);
            if (isnan(y) || isnan(x)) continue;
            x0 = fmin(x0, x), x1 = fmax(x1, x), lo = fmin(lo, y), hi = fmax(hi, y);
        }
    if (!(x1 > x0)) {
        fprintf(f, "<p>%s: not enough points yet.</p>\n", title);
        return;
    }
    if (!(hi > lo)) hi = lo + 1;
    fprintf(f, "<h2>%s</h2>\n<svg width='800' height='320' style='background:#fff;border:1px "
               "solid #ccc'>\n<text x='4' y='24' font-size='12'>%.4g</text><text x='4' y='284' "
               "font-size='12'>%.4g</text><text x='50' y='314' font-size='12'>step %.0f</text>"
               "<text x='690' y='314' font-size='12'>step %.0f</text>\n",
            title, hi, lo, x0, x1);
    int every = L->rows / MAX_CURVE_POINTS + 1;
    for (int k = 0; k < n; k++) {
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='",
                palette[k % 8]);
        for (int r = 0; r < L->rows; r++) {
            double y = at(L, r, cols[k]), x = at(L, r, L->step_col);
            bool thin = cols[k] != L->fid_col && r % every != 0 && r != L->rows - 1;
            if (isnan(y) || isnan(x) || thin) continue;
            fprintf(f, "%.1f,%.1f ", 50 + 700 * (x - x0) / (x1 - x0), 20 + 260 * (hi - y) / (hi - lo));
        }
        fprintf(f, "'/>\n");
    }
    fprintf(f, "</svg>\n<p>");
    for (int k = 0; k < n; k++)
        fprintf(f, "<span style='color:%s'>&#9632; %s</span> &nbsp; ", palette[k % 8],
                L->names[cols[k]]);
    fprintf(f, "</p>\n");
}

static void curves(FILE *f, const struct log *L)
{
    if (L->rows < 2 || L->nloss == 0) {
        fprintf(f, "<p>No losses logged yet.</p>\n");
        return;
    }
    chart(f, L, L->loss_col, L->nloss, "Losses");
    /* Each loss again on its own scale: a critic's loss is flat next to a
     * generator's tens, and the cycle loss next to the GAN terms. */
    for (int k = 0; k < L->nloss && L->nloss > 1; k++)
        chart(f, L, &L->loss_col[k], 1, L->names[L->loss_col[k]]);
    if (L->any_fid) chart(f, L, &L->fid_col, 1, "FID (fmnist features; lower is better)");
}

/* ---- sample grids ------------------------------------------------------------ */

struct grids {
    char *name[MAX_GRIDS];
    long step[MAX_GRIDS];
    int n;
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a); /* newest first */
}

static void list_grids(const char *dir, struct grids *g)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/samples", dir);
    g->n = 0;
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && g->n < MAX_GRIDS)
        if (strncmp(e->d_name, "step_", 5) == 0 && (g->name[g->n] = strdup(e->d_name))) g->n++;
    closedir(d);
    qsort(g->name, (size_t)g->n, sizeof *g->name, cmp_name);
    for (int i = 0; i < g->n; i++) g->step[i] = strtol(g->name[i] + 5, NULL, 10);
}

/* The grid whose step is nearest `step` (the later one on ties), or -1. */
static int nearest(const struct grids *g, double step)
{
    int best = -1;
    for (int i = 0; i < g->n; i++)
        if (best < 0 || fabs(g->step[i] - step) < fabs(g->step[best] - step)) best = i;
    return best;
}

static void gallery(FILE *f, const struct grids *g)
{
    fprintf(f, "<h2>Samples by step (fixed latents or test images)</h2>\n<div style='display:flex;flex-wrap:wrap'>\n");
    for (int i = 0; i < g->n; i++)
        fprintf(f, "<figure><img src='samples/%s' width='%d'><figcaption>%.*s</figcaption>"
                   "</figure>\n",
                g->name[i], i == 0 ? 400 : 200, (int)(strlen(g->name[i]) - 4), g->name[i]);
    fprintf(f, "</div>\n");
}

/* ---- one row per epoch -------------------------------------------------------- */

static void epoch_row(FILE *f, const struct log *L, int r0, int r1, const struct grids *g)
{
    double end = at(L, r1 - 1, L->step_col), fid = NAN;
    fprintf(f, "<tr><td>%.0f</td><td>%.0f</td>", at(L, r0, L->epoch_col), end);
    for (int k = 0; k < L->nloss; k++) {
        double sum = 0;
        int n = 0;
        for (int r = r0; r < r1; r++) {
            double v = at(L, r, L->loss_col[k]);
            if (!isnan(v)) sum += v, n++;
        }
        fprintf(f, n ? "<td>%.4f</td>" : "<td></td>", n ? sum / n : 0.0);
    }
    for (int r = r0; r < r1; r++)
        if (!isnan(at(L, r, L->fid_col))) fid = at(L, r, L->fid_col);
    fprintf(f, "<td>%.3g</td>", at(L, r1 - 1, L->lr_col));
    if (L->any_fid) fprintf(f, isnan(fid) ? "<td></td>" : "<td>%.2f</td>", fid);
    fprintf(f, "<td>");
    int i = nearest(g, end);
    if (i >= 0)
        fprintf(f, "<a href='samples/%s'><img src='samples/%s' width='96'></a> %ld", g->name[i],
                g->name[i], g->step[i]);
    fprintf(f, "</td></tr>\n");
}

static void epoch_table(FILE *f, const struct log *L, const struct grids *g)
{
    if (L->rows == 0 || L->epoch_col < 0) return;
    fprintf(f, "<h2>Epochs</h2>\n<table style='border-collapse:collapse' border='1' "
               "cellpadding='4'>\n<tr><th>epoch</th><th>last step</th>");
    for (int k = 0; k < L->nloss; k++) fprintf(f, "<th>%s (mean)</th>", L->names[L->loss_col[k]]);
    fprintf(f, "<th>lr</th>%s<th>samples nearest the end (step)</th></tr>\n",
            L->any_fid ? "<th>FID (fmnist)</th>" : "");
    for (int r0 = 0, r1; r0 < L->rows; r0 = r1) {
        for (r1 = r0 + 1; r1 < L->rows && at(L, r1, L->epoch_col) == at(L, r0, L->epoch_col);)
            r1++;
        epoch_row(f, L, r0, r1, g);
    }
    fprintf(f, "</table>\n");
}

void gc_report_write(const char *dir, const char *model)
{
    char path[1200], tmp[1300];
    snprintf(path, sizeof path, "%s/index.html", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct log *L = malloc(sizeof *L);
    struct grids *g = malloc(sizeof *g);
    FILE *f = L && g ? fopen(tmp, "w") : NULL;
    if (f) {
        read_log(dir, L);
        list_grids(dir, g);
        fprintf(f, "<!doctype html><html><head><meta charset='utf-8'><title>gan-cl: %s</title>"
                   "</head><body style='font-family:sans-serif;margin:2em'>\n"
                   "<h1>gan-cl run: %s</h1>\n<p><a href='options.txt'>options</a> · "
                   "<a href='log.csv'>log.csv</a> · checkpoints/</p>\n",
                model, model);
        curves(f, L);
        epoch_table(f, L, g);
        gallery(f, g);
        fprintf(f, "</body></html>\n");
        for (int i = 0; i < g->n; i++) free(g->name[i]);
        free(L->v);
        if (fclose(f) == 0) rename(tmp, path);
    }
    free(L);
    free(g);
}
