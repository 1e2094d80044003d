/* SPDX-License-Identifier: MIT */
/* The blocked double Gram kernel C = A B^T (see eval_impl.h). B is packed in
 * panels of NB rows, transposed to (d, NB), so the innermost loop runs over
 * 8 contiguous columns that the compiler vectorises; each k step of a 4x8
 * tile loads 4 values of A and 8 of B for 32 multiply-adds. */
#include <stdlib.h>
#include <string.h>

#include "eval/eval_impl.h"
#include "gancl/alloc.h"

enum { NB = 128, MR = 4, NR = 8 };

/* acc (MR x NR) = sum_k a_r[k] * bt[k * NB + c] over the tile's rows. */
static void tile(const double *a0, const double *a1, const double *a2, const double *a3,
                 const double *bt, int d, double acc[MR][NR])
{
    double t[MR][NR] = {{0}};
    for (int k = 0; k < d; k++) {
        const double *b = bt + (int64_t)k * NB;
        const double x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
        for (int c = 0; c < NR; c++) {
            t[0][c] += x0 * b[c];
            t[1][c] += x1 * b[c];
            t[2][c] += x2 * b[c];
            t[3][c] += x3 * b[c];
        }
    }
    memcpy(acc, t, sizeof t);
}

void gc__eval_gram(const double *a, int64_t m, const double *b, int64_t n, int d, double *c,
                   int64_t ldc)
{
    /* Scratch on the stack would be d * NB doubles (up to 2 MB for d = 2048):
     * allocate, and fall back to the unblocked loop only if that fails. */
    double *bt = gc_malloc(sizeof(double) * (size_t)d * NB);
    double *zero = gc_calloc((size_t)d, sizeof(double));
    if (!bt || !zero) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < d; k++)
                    s += a[i * d + k] * b[j * d + k];
                c[i * ldc + j] = s;
            }
        gc_free(bt);
        gc_free(zero);
        return;
    }
    for (int64_t j0 = 0; j0 < n; j0 += NB) {
        int64_t nb = n - j0 < NB ? n - j0 : NB;
        for (int k = 0; k < d; k++)
            for (int64_t jj = 0; jj < NB; jj++)
                bt[(int64_t)k * NB + jj] = jj < nb ? b[(j0 + jj) * d + k] : 0.0;
        for (int64_t i0 = 0; i0 < m; i0 += MR) {
            const double *ar[MR];
            for (int r = 0; r < MR; r++)
                ar[r] = i0 + r < m ? a + (i0 + r) * d : zero;
            for (int64_t jj0 = 0; jj0 < nb; jj0 += NR) {
                double acc[MR][NR];
                tile(ar[0], ar[1], ar[2], ar[3], bt + jj0, d, acc);
                for (int r = 0; r < MR && i0 + r < m; r++)
                    for (int cc = 0; cc < NR && jj0 + cc < nb; cc++)
                        c[(i0 + r) * ldc + j0 + jj0 + cc] = acc[r][cc];
            }
        }
    }
    gc_free(bt);
    gc_free(zero);
}

gc_status gc__eval_to_double(const float *x, int64_t n, int d, double **out, double **norms)
{
    double *y = gc_malloc(sizeof(double) * (size_t)(n * d));
    double *s = norms ? gc_malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)) : NULL;
    if (!y || (norms && !s)) {
        gc_free(y);
        gc_free(s);
        return gc_error(GC_NOMEM, "eval: no memory for %lld x %d features", (long long)n, d);
    }
    for (int64_t i = 0; i < n; i++) {
        double q = 0;
        for (int k = 0; k < d; k++) {
            double v = (double)x[i * d + k];
            y[i * d + k] = v;
            q += v * v;
        }
        if (s) s[i] = q;
    }
    *out = y;
    if (norms) *norms = s;
    return GC_OK;
}
