/* SPDX-License-Identifier: MIT */
/* Feature statistics and the Frechet distance (FID), pytorch-fid's
 * definition: ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2).
 *
 * tr sqrt(S1 S2) is computed as tr sqrt(S1^1/2 S2 S1^1/2): the two matrices
 * are similar (S1^1/2 (S1^1/2 S2) S1^-1/2 for invertible S1, by continuity
 * otherwise), and the second one is symmetric positive semi-definite, so two
 * symmetric eigendecompositions give it exactly where scipy's sqrtm (a Schur
 * method on a non-symmetric product) returns complex noise on the
 * near-singular covariances of small sample sets. Negative eigenvalues can
 * only be rounding and are clamped to 0.
 *
 * The eigensolver is LAPACK's dsyevd (divide and conquer, the routine numpy's
 * eigh uses), from the system's reference LAPACK: a symmetric eigensolver
 * that is accurate on clustered and tiny eigenvalues is hard to write and
 * easy to get subtly wrong, and LAPACK is the well-kept library every
 * reference implementation (scipy, numpy) ends up calling. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "eval/eval_impl.h"
#include "gancl/alloc.h"
#include "gancl/eval.h"

/* Reference LAPACK (gfortran ABI): character arguments carry hidden lengths
 * (size_t since GCC 8), passed explicitly so the call is exact. LP64 ints. */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info, size_t jobz_len, size_t uplo_len);

gc_status gc__eval_syev(int d, double *a, double *w)
{
    int n = d, lwork = -1, liwork = -1, info = 0, iq = 0;
    double wq = 0;
    dsyevd_("V", "U", &n, a, &n, w, &wq, &lwork, &iq, &liwork, &info, 1, 1);
    if (info != 0)
        return gc_error(GC_UNSUPPORTED, "eval: dsyevd workspace query failed (%d)", info);
    lwork = (int)wq;
    liwork = iq;
    double *work = gc_malloc(sizeof(double) * (size_t)lwork);
    int *iwork = gc_malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork) {
        gc_free(work);
        gc_free(iwork);
        return gc_error(GC_NOMEM, "eval: no memory for a %d x %d eigensolver", d, d);
    }
    dsyevd_("V", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    gc_free(work);
    gc_free(iwork);
    if (info != 0)
        return gc_error(GC_UNSUPPORTED, "eval: dsyevd did not converge (info %d, d %d)", info, d);
    return GC_OK;
}

gc_status gc_eval_mean_cov(const float *x, int64_t n, int d, double *mean, double *cov)
{
    if (!x || n < 2 || d < 1 || !mean || !cov)
        return gc_error(GC_INVALID_ARG,
                        "eval: covariance needs n >= 2 samples of d >= 1 (n %lld, d %d)",
                        (long long)n, d);
    double *xc, *xt = NULL;
    gc_status s = gc__eval_to_double(x, n, d, &xc, NULL);
    if (s != GC_OK) return s;
    xt = gc_malloc(sizeof(double) * (size_t)(n * d));
    if (!xt) {
        gc_free(xc);
        return gc_error(GC_NOMEM, "eval: no memory for the covariance of %lld x %d", (long long)n,
                        d);
    }
    double *mu = gc_calloc((size_t)d, sizeof(double));
    if (!mu) {
        gc_free(xc);
        gc_free(xt);
        return gc_error(GC_NOMEM, "eval: no memory");
    }
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < d; k++)
            mu[k] += xc[i * d + k];
    for (int k = 0; k < d; k++)
        mu[k] /= (double)n;
    /* centred and transposed: cov = Xc^T Xc / (n - 1) = gram of the columns */
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < d; k++)
            xt[(int64_t)k * n + i] = xc[i * d + k] - mu[k];
    gc_free(xc);
    /* gram over rows of length n: pass n as the inner dimension in chunks so
     * it fits an int (n may exceed INT_MAX only in theory; guard anyway). */
    if (n > 0x7fffffff) {
        gc_free(xt);
        gc_free(mu);
        return gc_error(GC_INVALID_ARG, "eval: too many samples (%lld)", (long long)n);
    }
    gc__eval_gram(xt, d, xt, d, (int)n, cov, d);
    gc_free(xt);
    for (int64_t i = 0; i < (int64_t)d * d; i++)
        cov[i] /= (double)(n - 1);
    memcpy(mean, mu, sizeof(double) * (size_t)d);
    gc_free(mu);
    return GC_OK;
}

/* tr sqrt(S1^1/2 S2 S1^1/2) with eps added to both diagonals; scratch: 4 d*d + d. */
static gc_status trace_sqrt(const double *s1, const double *s2, int d, double eps, double *scratch,
                            double *out)
{
    size_t dd = (size_t)d * (size_t)d;
    double *v = scratch, *h = v + dd, *t = h + dd, *s2e = t + dd, *w = s2e + dd;
    memcpy(v, s1, sizeof(double) * dd);
    memcpy(s2e, s2, sizeof(double) * dd);
    for (int i = 0; i < d; i++)
        v[(size_t)i * d + i] += eps, s2e[(size_t)i * d + i] += eps;
    gc_status s = gc__eval_syev(d, v, w);
    if (s != GC_OK) return s;
    /* rows of t: eigenvector k scaled by lambda_k^1/4, so h = t^T t = S1^1/2 */
    for (int k = 0; k < d; k++) {
        double f = w[k] > 0 ? sqrt(sqrt(w[k])) : 0.0;
        for (int i = 0; i < d; i++)
            t[(size_t)i * d + k] = v[(size_t)k * d + i] * f;
    }
    gc__eval_gram(t, d, t, d, d, h, d);   /* h = S1^1/2 (symmetric) */
    gc__eval_gram(h, d, s2e, d, d, t, d); /* t = h S2 (S2 symmetric) */
    gc__eval_gram(t, d, h, d, d, v, d);   /* v = h S2 h */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) {
            double m = 0.5 * (v[(size_t)i * d + j] + v[(size_t)j * d + i]);
            v[(size_t)i * d + j] = v[(size_t)j * d + i] = m;
        }
    s = gc__eval_syev(d, v, w);
    if (s != GC_OK) return s;
    double tr = 0;
    for (int k = 0; k < d; k++)
        tr += w[k] > 0 ? sqrt(w[k]) : 0.0;
    *out = tr;
    return GC_OK;
}

gc_status gc_eval_frechet(const double *mu1, const double *s1, const double *mu2, const double *s2,
                          int d, double eps, double *fid, int *retried)
{
    if (!mu1 || !s1 || !mu2 || !s2 || d < 1 || !fid)
        return gc_error(GC_INVALID_ARG, "eval: frechet distance needs two means and covariances");
    size_t dd = (size_t)d * (size_t)d;
    double *scratch = gc_malloc(sizeof(double) * (4 * dd + (size_t)d));
    if (!scratch) return gc_error(GC_NOMEM, "eval: no memory for %d x %d matrices", d, d);
    double tr = 0;
    int retry = 0;
    gc_status s = trace_sqrt(s1, s2, d, 0.0, scratch, &tr);
    if (s != GC_OK || !isfinite(tr)) {
        /* pytorch-fid: "fid calculation produces singular product; adding
         * eps to diagonal of cov estimates", then one more try */
        retry = 1;
        s = trace_sqrt(s1, s2, d, eps, scratch, &tr);
    }
    gc_free(scratch);
    if (s != GC_OK) return s;
    double diff = 0, tr1 = 0, tr2 = 0;
    for (int i = 0; i < d; i++) {
        double e = mu1[i] - mu2[i];
        diff += e * e;
        tr1 += s1[(size_t)i * d + i];
        tr2 += s2[(size_t)i * d + i];
    }
    double f = diff + tr1 + tr2 - 2.0 * tr;
    if (!isfinite(f))
        return gc_error(GC_INVALID_ARG, "eval: FID is not finite (non-finite features?)");
    *fid = f;
    if (retried) *retried = retry;
    return GC_OK;
}

gc_status gc_eval_fid(const float *a, int64_t na, const float *b, int64_t nb, int d, double *fid)
{
    if (!a || !b || na < 2 || nb < 2 || d < 1 || !fid)
        return gc_error(GC_INVALID_ARG,
                        "eval: FID needs two sets of >= 2 features (got %lld, %lld)", (long long)na,
                        (long long)nb);
    size_t dd = (size_t)d * (size_t)d;
    double *buf = gc_malloc(sizeof(double) * (2 * dd + 2 * (size_t)d));
    if (!buf) return gc_error(GC_NOMEM, "eval: no memory for two %d x %d covariances", d, d);
    double *s1 = buf, *s2 = s1 + dd, *m1 = s2 + dd, *m2 = m1 + d;
    gc_status s = gc_eval_mean_cov(a, na, d, m1, s1);
    if (s == GC_OK) s = gc_eval_mean_cov(b, nb, d, m2, s2);
    if (s == GC_OK) s = gc_eval_frechet(m1, s1, m2, s2, d, 1e-6, fid, NULL);
    gc_free(buf);
    return s;
}
