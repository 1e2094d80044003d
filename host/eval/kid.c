/* SPDX-License-Identifier: MIT */
/* Kernel Inception Distance as torch-fidelity computes it: for each subset,
 * the unbiased MMD^2 with the cubic polynomial kernel k(x, y) = (x.y / d +
 * 1)^3,
 *   (sum_{i!=j} k(a_i, a_j) + sum_{i!=j} k(b_i, b_j)) / (m (m - 1))
 *     - 2 sum_{i,j} k(a_i, b_j) / m^2,
 * then the mean and population std (np.std) over subsets. The subsets are
 * drawn by gc_eval_kid_subset, not numpy's RandomState, so tools/eval_ref.py
 * reimplements that sampler to check the same numbers. Also gc_eval_all. */
#include <math.h>

#include "eval/eval_impl.h"
#include "gancl/alloc.h"
#include "gancl/eval.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void gc_eval_kid_subset(uint64_t seed, int subset, int which, int64_t n, int64_t size, int64_t *idx,
                        int64_t *work)
{
    uint64_t st = seed ^ ((uint64_t)(2 * subset + which) * 0x9E3779B97F4A7C15ull);
    for (int64_t i = 0; i < n; i++)
        work[i] = i;
    for (int64_t i = 0; i < size; i++) {
        int64_t j = i + (int64_t)(splitmix64(&st) % (uint64_t)(n - i));
        int64_t t = work[i];
        work[i] = work[j];
        work[j] = t;
        idx[i] = work[i];
    }
}

/* sum over the (m, m) block of k(.,.), and its diagonal */
static double kernel_sum(const double *x, const double *y, int64_t m, int d, double *g,
                         double *diag)
{
    if (x == y)
        gc__eval_gram_sym(x, m, d, g, m);
    else
        gc__eval_gram(x, m, y, m, d, g, m);
    double s = 0, dg = 0;
    for (int64_t i = 0; i < m; i++) {
        double r = 0;
        for (int64_t j = 0; j < m; j++) {
            double t = g[i * m + j] / d + 1.0;
            double kv = t * t * t;
            r += kv;
            if (i == j) dg += kv;
        }
        s += r;
    }
    if (diag) *diag = dg;
    return s;
}

gc_status gc_eval_kid(const float *a, int64_t na, const float *b, int64_t nb, int d, int subsets,
                      int64_t size, uint64_t seed, double *mean, double *std)
{
    if (!a || !b || d < 1 || subsets < 1 || size < 2 || size > na || size > nb || !mean || !std)
        return gc_error(GC_INVALID_ARG, "eval: KID needs 2 <= subset size (%lld) <= n (%lld, %lld)",
                        (long long)size, (long long)na, (long long)nb);
    int64_t m = size, nmax = na > nb ? na : nb;
    double *x = gc_malloc(sizeof(double) * (size_t)(m * d));
    double *y = gc_malloc(sizeof(double) * (size_t)(m * d));
    double *g = gc_malloc(sizeof(double) * (size_t)(m * m));
    double *mmd = gc_malloc(sizeof(double) * (size_t)subsets);
    int64_t *idx = gc_malloc(sizeof(int64_t) * (size_t)m);
    int64_t *work = gc_malloc(sizeof(int64_t) * (size_t)nmax);
    if (!x || !y || !g || !mmd || !idx || !work) {
        gc_free(x), gc_free(y), gc_free(g), gc_free(mmd), gc_free(idx), gc_free(work);
        return gc_error(GC_NOMEM, "eval: no memory for KID subsets of %lld", (long long)m);
    }
    for (int s = 0; s < subsets; s++) {
        gc_eval_kid_subset(seed, s, 0, na, m, idx, work);
        for (int64_t i = 0; i < m; i++)
            for (int k = 0; k < d; k++)
                x[i * d + k] = a[idx[i] * d + k];
        gc_eval_kid_subset(seed, s, 1, nb, m, idx, work);
        for (int64_t i = 0; i < m; i++)
            for (int k = 0; k < d; k++)
                y[i * d + k] = b[idx[i] * d + k];
        double dxx, dyy;
        double sxx = kernel_sum(x, x, m, d, g, &dxx);
        double syy = kernel_sum(y, y, m, d, g, &dyy);
        double sxy = kernel_sum(x, y, m, d, g, NULL);
        mmd[s] = ((sxx - dxx) + (syy - dyy)) / ((double)m * (double)(m - 1)) -
                 2.0 * sxy / ((double)m * (double)m);
    }
    double mu = 0, v = 0;
    for (int s = 0; s < subsets; s++)
        mu += mmd[s];
    mu /= subsets;
    for (int s = 0; s < subsets; s++)
        v += (mmd[s] - mu) * (mmd[s] - mu);
    *mean = mu;
    *std = sqrt(v / subsets);
    gc_free(x), gc_free(y), gc_free(g), gc_free(mmd), gc_free(idx), gc_free(work);
    return GC_OK;
}

gc_status gc_eval_all(const float *real, int64_t nr, const float *fake, int64_t nf, int d,
                      const float *fake_logits, int classes, struct gc_eval_scores *out)
{
    if (!out) return gc_error(GC_INVALID_ARG, "eval: no output");
    struct gc_eval_scores r = {0};
    int64_t nmin = nr < nf ? nr : nf;
    r.kid_subset_size = nmin < 1000 ? nmin : 1000;
    r.kid_subsets = 100;
    gc_status s = gc_eval_fid(real, nr, fake, nf, d, &r.fid);
    if (s == GC_OK)
        s = gc_eval_kid(real, nr, fake, nf, d, r.kid_subsets, r.kid_subset_size, 2020, &r.kid_mean,
                        &r.kid_std);
    if (s == GC_OK) s = gc_eval_prdc(real, nr, fake, nf, d, 3, 5, &r.prdc);
    if (s == GC_OK && fake_logits)
        s = gc_eval_inception_score(fake_logits, nf, classes, 10, &r.is_mean, &r.is_std);
    if (s == GC_OK) *out = r;
    return s;
}
