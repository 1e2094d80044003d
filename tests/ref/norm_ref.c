/* SPDX-License-Identifier: MIT */
/* Plain-C references for padding, upsampling, normalisation and dropout
 * (see norm_ref.h). */
#include "norm_ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Input index read by padded index o along an axis of n (-1: zero). */
static int64_t src_index(int64_t o, int64_t before, int64_t n, enum gc_pad_mode mode)
{
    int64_t i = o - before;
    if (i >= 0 && i < n) return i;
    switch (mode) {
    case GC_PAD_ZERO:
        return -1;
    case GC_PAD_REPLICATE:
        return i < 0 ? 0 : n - 1;
    default:
        return i < 0 ? -i : 2 * (n - 1) - i;
    }
}

void gc_nref_pad(const float *x, const int64_t xs[4], enum gc_pad_mode mode, const int pads[4],
                 float *y)
{
    int64_t oh = xs[2] + pads[2] + pads[3], ow = xs[3] + pads[0] + pads[1];
    for (int64_t p = 0; p < xs[0] * xs[1]; p++)
        for (int64_t h = 0; h < oh; h++)
            for (int64_t w = 0; w < ow; w++) {
                int64_t sh = src_index(h, pads[2], xs[2], mode);
                int64_t sw = src_index(w, pads[0], xs[3], mode);
                y[(p * oh + h) * ow + w] =
                    sh < 0 || sw < 0 ? 0.0f : x[(p * xs[2] + sh) * xs[3] + sw];
            }
}

/* The transpose of gc_nref_pad: scatter-add every padded position into the
 * input position it copied. */
void gc_nref_pad_vjp(const float *dy, const int64_t xs[4], enum gc_pad_mode mode, const int pads[4],
                     float *dx)
{
    int64_t oh = xs[2] + pads[2] + pads[3], ow = xs[3] + pads[0] + pads[1];
    int64_t n = xs[0] * xs[1] * xs[2] * xs[3];
    double *acc = calloc((size_t)n, sizeof *acc);
    for (int64_t p = 0; p < xs[0] * xs[1]; p++)
        for (int64_t h = 0; h < oh; h++)
            for (int64_t w = 0; w < ow; w++) {
                int64_t sh = src_index(h, pads[2], xs[2], mode);
                int64_t sw = src_index(w, pads[0], xs[3], mode);
                if (sh >= 0 && sw >= 0)
                    acc[(p * xs[2] + sh) * xs[3] + sw] += dy[(p * oh + h) * ow + w];
            }
    for (int64_t i = 0; i < n; i++)
        dx[i] = (float)acc[i];
    free(acc);
}

void gc_nref_upsample(const float *x, const int64_t xs[4], int f, float *y)
{
    int64_t oh = xs[2] * f, ow = xs[3] * f;
    for (int64_t p = 0; p < xs[0] * xs[1]; p++)
        for (int64_t h = 0; h < oh; h++)
            for (int64_t w = 0; w < ow; w++)
                y[(p * oh + h) * ow + w] = x[(p * xs[2] + h / f) * xs[3] + w / f];
}

void gc_nref_upsample_vjp(const float *dy, const int64_t xs[4], int f, float *dx)
{
    int64_t oh = xs[2] * f, ow = xs[3] * f;
    for (int64_t p = 0; p < xs[0] * xs[1]; p++)
        for (int64_t h = 0; h < xs[2]; h++)
            for (int64_t w = 0; w < xs[3]; w++) {
                double s = 0;
                for (int a = 0; a < f; a++)
                    for (int b = 0; b < f; b++)
                        s += dy[(p * oh + h * f + a) * ow + w * f + b];
                dx[(p * xs[2] + h) * xs[3] + w] = (float)s;
            }
}

/* Group of element (n, c). */
static int64_t group_of(enum gc_norm_kind kind, const int64_t xs[4], int64_t n, int64_t c)
{
    return kind == GC_NORM_BATCH ? c : kind == GC_NORM_INSTANCE ? n * xs[1] + c : n;
}

static int64_t n_groups(enum gc_norm_kind kind, const int64_t xs[4])
{
    return kind == GC_NORM_BATCH ? xs[1] : kind == GC_NORM_INSTANCE ? xs[0] * xs[1] : xs[0];
}

/* Index of the affine parameters of element (c, hw). */
static int64_t affine_of(enum gc_norm_kind kind, const int64_t xs[4], int64_t c, int64_t hw)
{
    return kind == GC_NORM_LAYER ? c * xs[2] * xs[3] + hw : c;
}

/* Per-group mean and biased variance, two passes in double. */
static void moments(enum gc_norm_kind kind, const float *x, const int64_t xs[4], double *mean,
                    double *var)
{
    int64_t ng = n_groups(kind, xs), hw = xs[2] * xs[3];
    double *cnt = calloc((size_t)ng, sizeof *cnt);
    memset(mean, 0, sizeof *mean * (size_t)ng);
    memset(var, 0, sizeof *var * (size_t)ng);
    for (int64_t n = 0; n < xs[0]; n++)
        for (int64_t c = 0; c < xs[1]; c++)
            for (int64_t j = 0; j < hw; j++) {
                int64_t gi = group_of(kind, xs, n, c);
                mean[gi] += x[(n * xs[1] + c) * hw + j];
                cnt[gi] += 1;
            }
    for (int64_t gi = 0; gi < ng; gi++)
        mean[gi] /= cnt[gi];
    for (int64_t n = 0; n < xs[0]; n++)
        for (int64_t c = 0; c < xs[1]; c++)
            for (int64_t j = 0; j < hw; j++) {
                int64_t gi = group_of(kind, xs, n, c);
                double d = x[(n * xs[1] + c) * hw + j] - mean[gi];
                var[gi] += d * d;
            }
    for (int64_t gi = 0; gi < ng; gi++)
        var[gi] /= cnt[gi];
    free(cnt);
}

void gc_nref_norm(enum gc_norm_kind kind, const float *x, const int64_t xs[4], const float *gamma,
                  const float *beta, double eps, float *y, double *mean_out, double *var_out)
{
    int64_t ng = n_groups(kind, xs), hw = xs[2] * xs[3];
    double *mean = malloc(sizeof *mean * (size_t)ng), *var = malloc(sizeof *var * (size_t)ng);
    moments(kind, x, xs, mean, var);
    for (int64_t n = 0; n < xs[0]; n++)
        for (int64_t c = 0; c < xs[1]; c++)
            for (int64_t j = 0; j < hw; j++) {
                int64_t i = (n * xs[1] + c) * hw + j, gi = group_of(kind, xs, n, c);
                int64_t a = affine_of(kind, xs, c, j);
                double v = (x[i] - mean[gi]) / sqrt(var[gi] + eps);
                if (gamma) v *= gamma[a];
                if (beta) v += beta[a];
                y[i] = (float)v;
            }
    if (mean_out) memcpy(mean_out, mean, sizeof *mean * (size_t)ng);
    if (var_out) memcpy(var_out, var, sizeof *var * (size_t)ng);
    free(mean);
    free(var);
}

/* Per group, with g = dy * gamma and xhat = (x - mean) r:
 * dx = r (g - mean(g) - xhat mean(g xhat)); dgamma = sum(dy xhat); dbeta = sum(dy). */
void gc_nref_norm_vjp(enum gc_norm_kind kind, const float *x, const int64_t xs[4],
                      const float *gamma, double eps, const float *dy, float *dx, float *dgamma,
                      float *dbeta)
{
    int64_t ng = n_groups(kind, xs), hw = xs[2] * xs[3];
    int64_t na = kind == GC_NORM_LAYER ? xs[1] * hw : xs[1];
    double *mean = malloc(sizeof(double) * (size_t)ng), *var = malloc(sizeof(double) * (size_t)ng);
    double *sg = calloc((size_t)ng, sizeof(double)), *sgx = calloc((size_t)ng, sizeof(double));
    double *cnt = calloc((size_t)ng, sizeof(double));
    double *dgm = calloc((size_t)na, sizeof(double)), *dbt = calloc((size_t)na, sizeof(double));
    moments(kind, x, xs, mean, var);
    for (int pass = 0; pass < 2; pass++)
        for (int64_t n = 0; n < xs[0]; n++)
            for (int64_t c = 0; c < xs[1]; c++)
                for (int64_t j = 0; j < hw; j++) {
                    int64_t i = (n * xs[1] + c) * hw + j, gi = group_of(kind, xs, n, c);
                    int64_t a = affine_of(kind, xs, c, j);
                    double r = 1.0 / sqrt(var[gi] + eps), xhat = (x[i] - mean[gi]) * r;
                    double gv = dy[i] * (gamma ? gamma[a] : 1.0);
                    if (pass == 0) {
                        sg[gi] += gv;
                        sgx[gi] += gv * xhat;
                        cnt[gi] += 1;
                        dgm[a] += dy[i] * xhat;
                        dbt[a] += dy[i];
                    } else if (dx) {
                        dx[i] = (float)(r * (gv - sg[gi] / cnt[gi] - xhat * sgx[gi] / cnt[gi]));
                    }
                }
    for (int64_t a = 0; a < na; a++) {
        if (dgamma) dgamma[a] = (float)dgm[a];
        if (dbeta) dbeta[a] = (float)dbt[a];
    }
    free(mean), free(var), free(sg), free(sgx), free(cnt), free(dgm), free(dbt);
}

void gc_nref_dropout(const float *x, const float *u, int64_t n, double p, float *y)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = u[i] >= p && p < 1 ? (float)(x[i] / (1.0 - p)) : 0.0f;
}
