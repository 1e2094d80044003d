/* SPDX-License-Identifier: MIT */
/* Generative-model metrics on feature vectors, computed in double precision:
 * FID, Inception Score, improved precision & recall, KID, density & coverage.
 *
 * Features are row-major (n, d) floats (as a feature network produces them);
 * every sum, covariance, distance and kernel value is accumulated in double.
 * Each function follows a named reference so numbers are comparable:
 *   FID        pytorch-fid (covariance with N-1, eps retry), but the trace of
 *              sqrt(S1 S2) comes from two symmetric eigendecompositions
 *              (LAPACK dsyevd) instead of scipy's sqrtm: tr sqrt(S1 S2) =
 *              tr sqrt(S1^1/2 S2 S1^1/2), a symmetric PSD matrix, so negative
 *              eigenvalues are rounding and are clamped to 0.
 *   IS         torch-fidelity (softmax of logits in double, 10 splits,
 *              exp(mean KL(p(y|x) || p(y))) per split, mean and population
 *              std); samples are taken in the given order (no shuffle).
 *   P&R        Kynkaenniemi et al. 2019 (k = 3, a sample is covered when its
 *              distance is <= a reference sample's k-NN radius; the radius is
 *              the distance to the (k+1)-th nearest point counting itself).
 *   D&C        Naeem et al. 2020 (k = 5, same radii and <= comparison).
 *   KID        torch-fidelity (cubic polynomial kernel (x.y/d + 1)^3,
 *              unbiased MMD^2 per subset, mean and population std over
 *              subsets); subsets drawn without replacement by
 *              gc_eval_kid_subset (splitmix64), which tools/eval_ref.py
 *              reimplements bit for bit.
 * All return gc_status; on failure the outputs are untouched and nothing
 * stays allocated. Scores from a feature network other than pytorch-fid's
 * Inception-v3 must be labelled with that network (e.g. "FID (fmnist)"). */
#ifndef GANCL_EVAL_H
#define GANCL_EVAL_H

#include <stdint.h>

#include "gancl/status.h"

/* mean: (d), cov: (d, d) row-major, covariance with N-1 (numpy's np.cov). */
gc_status gc_eval_mean_cov(const float *x, int64_t n, int d, double *mean, double *cov);

/* Frechet distance between N(mu1, s1) and N(mu2, s2), s: (d, d) symmetric.
 * eps: pytorch-fid's retry — when the first computation fails (LAPACK does
 * not converge or the result is not finite) it is repeated once with eps on
 * both diagonals; *retried (may be NULL) says whether that happened. */
gc_status gc_eval_frechet(const double *mu1, const double *s1, const double *mu2, const double *s2,
                          int d, double eps, double *fid, int *retried);

/* FID of two feature sets a: (na, d), b: (nb, d); na, nb >= 2. eps 1e-6. */
gc_status gc_eval_fid(const float *a, int64_t na, const float *b, int64_t nb, int d, double *fid);

/* Inception Score from logits (n, classes): splits chunks [i n / s, (i+1) n / s). */
gc_status gc_eval_inception_score(const float *logits, int64_t n, int classes, int splits,
                                  double *mean, double *std);

struct gc_prdc {
    double precision, recall; /* k = k_pr */
    double density, coverage; /* k = k_dc */
};
/* real: (nr, d), fake: (nf, d); k_pr < nr, nf and k_dc < nr. Pairwise
 * squared distances are computed in blocks (memory O(block^2), not n^2). */
gc_status gc_eval_prdc(const float *real, int64_t nr, const float *fake, int64_t nf, int d,
                       int k_pr, int k_dc, struct gc_prdc *out);

/* KID: `subsets` subsets of `size` rows of each set (size <= na, nb; torch-
 * fidelity's defaults are 100 subsets of 1000), seed selects them. */
gc_status gc_eval_kid(const float *a, int64_t na, const float *b, int64_t nb, int d, int subsets,
                      int64_t size, uint64_t seed, double *mean, double *std);

/* The `size` distinct indices in [0, n) of KID subset number `subset` of set
 * `which` (0: a, 1: b): a partial Fisher-Yates shuffle driven by splitmix64
 * seeded with seed ^ (2 * subset + which) * 0x9E3779B97F4A7C15; j = i +
 * next() % (n - i). idx: (size), work: (n) scratch. */
void gc_eval_kid_subset(uint64_t seed, int subset, int which, int64_t n, int64_t size, int64_t *idx,
                        int64_t *work);

/* All metrics of one comparison, with the defaults above: FID, KID with
 * min(1000, n) rows per subset and 100 subsets (seed 2020), P&R k = 3,
 * D&C k = 5, and IS of the fake set when logits are given (else 0). */
struct gc_eval_scores {
    double fid;
    double kid_mean, kid_std;
    struct gc_prdc prdc;
    double is_mean, is_std;
    int64_t kid_subset_size;
    int kid_subsets;
};
gc_status gc_eval_all(const float *real, int64_t nr, const float *fake, int64_t nf, int d,
                      const float *fake_logits, int classes, struct gc_eval_scores *out);

#endif
