/* SPDX-License-Identifier: MIT */
/* Internals shared by the metric files of host/eval/: the blocked double
 * Gram kernel every pairwise quantity (distances, polynomial kernels, the
 * matrix products of FID) goes through, and the LAPACK eigensolver. */
#ifndef GANCL_EVAL_IMPL_H
#define GANCL_EVAL_IMPL_H

#include <stdint.h>

#include "gancl/status.h"

/* c[i * ldc + j] = sum_k a[i * d + k] * b[j * d + k]  (C = A B^T)
 * a: (m, d), b: (n, d) row-major doubles; c: (m, ldc), ldc >= n.
 * Blocked (packed B panels, 4x8 register tiles) so it runs near the
 * machine's double peak without a BLAS; the summation order over k is plain
 * sequential, the same for every element. */
void gc__eval_gram(const double *a, int64_t m, const double *b, int64_t n, int d, double *c,
                   int64_t ldc);

/* C = A A^T, a: (m, d): the upper triangle computed, the lower mirrored. */
void gc__eval_gram_sym(const double *a, int64_t m, int d, double *c, int64_t ldc);

/* Symmetric eigendecomposition (LAPACK dsyevd): a (d, d) symmetric in, the
 * eigenvectors out, eigenvector k contiguous in a[k * d .. k * d + d - 1];
 * w: (d) eigenvalues ascending. GC_UNSUPPORTED when LAPACK does not converge. */
gc_status gc__eval_syev(int d, double *a, double *w);

/* x (n, d) floats -> a new (n, d) double array and, if norms is not NULL, a
 * new (n) array of squared row norms. NULL outputs on GC_NOMEM. */
gc_status gc__eval_to_double(const float *x, int64_t n, int d, double **out, double **norms);

#endif
