/* SPDX-License-Identifier: MIT */
/* The blocked double Gram kernel C = A B^T (see eval_impl.h). B is packed in
 * panels of NB rows, transposed to (d, NB), so the innermost loop runs over
 * 8 contiguous columns that the compiler vectorises; each k step of a 4x8
 * tile loads 4 values of A and 8 of B for 32 multiply-adds. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/eval_impl.h"
#include "gancl/alloc.h"

enum { NB = 128, MR = 4, NR = 8 };

/* acc (MR x NR) = sum_k a_r[k] * bt[k * NB + c] over the tile's rows. On
 * x86-64 GCC also builds an AVX2 clone picked at load time (the baseline
 * has only SSE2); without FMA contraction (ISO C mode) both clones round
 * every product and sum identically, so results do not depend on the CPU. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
tile(const double *a0, const double *a1, const double *a2, const double *a3, const double *bt,
     int d, double acc[MR][NR])
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

struct job {
    const double *a, *b;
    int64_t i_begin, i_end, n, ldc;
    int d, upper;
    double *c;
};

/* Rows [i_begin, i_end) of C; upper: only tiles reaching j >= i (a == b). */
static void *gram_rows(void *arg)
{
    const struct job *J = arg;
    const double *a = J->a, *b = J->b;
    const int64_t n = J->n, ldc = J->ldc;
    const int d = J->d;
    double *c = J->c;
    /* d * NB doubles (2 MB for d = 2048): heap, and the unblocked loop only
     * if that allocation fails */
    double *bt = gc_malloc(sizeof(double) * (size_t)d * NB);
    double *zero = gc_calloc((size_t)d, sizeof(double));
    if (!bt || !zero) {
        for (int64_t i = J->i_begin; i < J->i_end; i++)
            for (int64_t j = J->upper ? i : 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < d; k++)
                    s += a[i * d + k] * b[j * d + k];
                c[i * ldc + j] = s;
            }
        gc_free(bt);
        gc_free(zero);
        return NULL;
    }
    for (int64_t j0 = J->upper ? J->i_begin / NB * NB : 0; j0 < n; j0 += NB) {
        int64_t nb = n - j0 < NB ? n - j0 : NB;
        for (int k = 0; k < d; k++)
            for (int64_t jj = 0; jj < NB; jj++)
                bt[(int64_t)k * NB + jj] = jj < nb ? b[(j0 + jj) * d + k] : 0.0;
        for (int64_t i0 = J->i_begin; i0 < J->i_end; i0 += MR) {
            if (J->upper && i0 >= j0 + nb) break;
            const double *ar[MR];
            for (int r = 0; r < MR; r++)
                ar[r] = i0 + r < J->i_end ? a + (i0 + r) * d : zero;
            for (int64_t jj0 = 0; jj0 < nb; jj0 += NR) {
                if (J->upper && j0 + jj0 + NR <= i0) continue; /* wholly below the diagonal */
                double acc[MR][NR];
                tile(ar[0], ar[1], ar[2], ar[3], bt + jj0, d, acc);
                for (int r = 0; r < MR && i0 + r < J->i_end; r++)
                    for (int cc = 0; cc < NR && jj0 + cc < nb; cc++)
                        c[(i0 + r) * ldc + j0 + jj0 + cc] = acc[r][cc];
            }
        }
    }
    gc_free(bt);
    gc_free(zero);
    return NULL;
}

enum { MAX_THREADS = 8 };

/* Splits the rows over up to one thread per online CPU when the product is
 * big enough to pay for them; each element is computed the same way on any
 * split, so the result never depends on the thread count. With upper, rows
 * are split so each thread gets about the same number of elements. */
static void gram(const double *a, int64_t m, const double *b, int64_t n, int d, double *c,
                 int64_t ldc, int upper)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int t = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
    if ((double)m * (double)n * d < 4e6 || m < 8 * MR) t = 1;
    struct job jobs[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    int64_t start = 0;
    for (int k = 0; k < t; k++) {
        /* equal areas: for the upper triangle, row fraction 1 - sqrt(1 - f) */
        double f = (double)(k + 1) / t;
        double rf = upper ? 1.0 - sqrt(1.0 - f) : f;
        int64_t end = k == t - 1 ? m : ((int64_t)(rf * (double)m) + MR - 1) / MR * MR;
        if (end > m) end = m;
        jobs[k] = (struct job){a, b, start, end < start ? start : end, n, ldc, d, upper, c};
        start = jobs[k].i_end;
    }
    int started = 0;
    for (int k = 1; k < t; k++, started++)
        if (pthread_create(&th[k], NULL, gram_rows, &jobs[k]) != 0) break;
    gram_rows(&jobs[0]);
    for (int k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
    for (int k = started + 1; k < t; k++)
        gram_rows(&jobs[k]); /* threads refused */
}

void gc__eval_gram(const double *a, int64_t m, const double *b, int64_t n, int d, double *c,
                   int64_t ldc)
{
    gram(a, m, b, n, d, c, ldc, 0);
}

void gc__eval_gram_sym(const double *a, int64_t m, int d, double *c, int64_t ldc)
{
    gram(a, m, a, m, d, c, ldc, 1);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < i; j++)
            c[i * ldc + j] = c[j * ldc + i];
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
