/* SPDX-License-Identifier: MIT */
/* See softmax_ref.h. Written from the definitions (log sum exp with the max
 * subtracted; d log_softmax_j / d x_i = [i == j] - softmax_i), sharing
 * nothing with host/ops/softmax.c, whose VJP reads the output instead. */
#include <math.h>

#include "ref/softmax_ref.h"

static double lse(const float *x, int64_t c)
{
    double m = x[0], s = 0;
    for (int64_t j = 1; j < c; j++)
        m = x[j] > m ? x[j] : m;
    for (int64_t j = 0; j < c; j++)
        s += exp((double)x[j] - m);
    return m + log(s);
}

void gc_sref_log_softmax(const float *x, int64_t rows, int64_t c, float *y)
{
    for (int64_t r = 0; r < rows; r++) {
        double l = lse(x + r * c, c);
        for (int64_t j = 0; j < c; j++)
            y[r * c + j] = (float)((double)x[r * c + j] - l);
    }
}

void gc_sref_log_softmax_vjp(const float *x, const float *dy, int64_t rows, int64_t c, float *dx)
{
    for (int64_t r = 0; r < rows; r++) {
        double l = lse(x + r * c, c);
        for (int64_t i = 0; i < c; i++) {
            double p = exp((double)x[r * c + i] - l), acc = 0;
            for (int64_t j = 0; j < c; j++)
                acc += (double)dy[r * c + j] * ((i == j) - p);
            dx[r * c + i] = (float)acc;
        }
    }
}

double gc_sref_cross_entropy(const float *x, const float *t, int64_t rows, int64_t c)
{
    double s = 0;
    for (int64_t r = 0; r < rows; r++) {
        double l = lse(x + r * c, c);
        for (int64_t j = 0; j < c; j++)
            s -= (double)t[r * c + j] * ((double)x[r * c + j] - l);
    }
    return s / (double)rows;
}
