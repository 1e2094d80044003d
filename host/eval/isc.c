/* SPDX-License-Identifier: MIT */
/* Inception Score as torch-fidelity computes it: p(y|x) = softmax(logits) in
 * double, split s of [s n / S, (s + 1) n / S) scores exp(mean_x KL(p(y|x) ||
 * p(y))) with p(y) the split's mean; the result is the mean and population
 * standard deviation (np.std) of the S scores. torch-fidelity shuffles the
 * samples first with its own RNG; generated samples are exchangeable, so we
 * keep their order (for real data sorted by class the splits would differ). */
#include <math.h>

#include "gancl/alloc.h"
#include "gancl/eval.h"

gc_status gc_eval_inception_score(const float *logits, int64_t n, int classes, int splits,
                                  double *mean, double *std)
{
    if (!logits || classes < 2 || splits < 1 || n < splits || !mean || !std)
        return gc_error(GC_INVALID_ARG, "eval: IS needs >= %d samples of >= 2 classes", splits);
    double *lp = gc_malloc(sizeof(double) * (size_t)(n * classes));
    double *q = gc_malloc(sizeof(double) * (size_t)classes);
    double *sc = gc_malloc(sizeof(double) * (size_t)splits);
    if (!lp || !q || !sc) {
        gc_free(lp), gc_free(q), gc_free(sc);
        return gc_error(GC_NOMEM, "eval: no memory for %lld x %d probabilities", (long long)n,
                        classes);
    }
    for (int64_t i = 0; i < n; i++) { /* log_softmax, max-subtracted */
        const float *z = logits + i * classes;
        double mx = z[0], s = 0;
        for (int c = 1; c < classes; c++)
            mx = z[c] > mx ? z[c] : mx;
        for (int c = 0; c < classes; c++)
            s += exp((double)z[c] - mx);
        double lse = mx + log(s);
        for (int c = 0; c < classes; c++)
            lp[i * classes + c] = (double)z[c] - lse;
    }
    for (int k = 0; k < splits; k++) {
        int64_t lo = k * n / splits, hi = (k + 1) * n / splits;
        for (int c = 0; c < classes; c++)
            q[c] = 0;
        for (int64_t i = lo; i < hi; i++)
            for (int c = 0; c < classes; c++)
                q[c] += exp(lp[i * classes + c]);
        for (int c = 0; c < classes; c++)
            q[c] = log(q[c] / (double)(hi - lo));
        double kl = 0;
        for (int64_t i = lo; i < hi; i++) {
            double r = 0;
            for (int c = 0; c < classes; c++) {
                double l = lp[i * classes + c];
                r += exp(l) * (l - q[c]);
            }
            kl += r;
        }
        sc[k] = exp(kl / (double)(hi - lo));
    }
    double m = 0, v = 0;
    for (int k = 0; k < splits; k++)
        m += sc[k];
    m /= splits;
    for (int k = 0; k < splits; k++)
        v += (sc[k] - m) * (sc[k] - m);
    *mean = m;
    *std = sqrt(v / splits);
    gc_free(lp), gc_free(q), gc_free(sc);
    return GC_OK;
}
