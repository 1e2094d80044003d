/* SPDX-License-Identifier: MIT */
/* Improved precision & recall (Kynkaenniemi et al. 2019) and density &
 * coverage (Naeem et al. 2020) from k-nearest-neighbour radii.
 *
 * radius_k(x) = distance to the (k+1)-th nearest point of x's own set,
 * counting x itself (the references' get_kth_value(d, k + 1)).
 *   precision = frac. of fake f with d(f, r) <= radius_3(r) for some real r
 *   recall    = frac. of real r with d(r, f) <= radius_3(f) for some fake f
 *   density   = sum_f #{r : d(f, r) <= radius_5(r)} / (5 nf)
 *   coverage  = frac. of real r whose nearest fake is within radius_5(r)
 * Distances stay squared (a monotone map). Pairwise squared distances come
 * in (RB x CB) blocks of ||a||^2 + ||b||^2 - 2 a.b through the Gram kernel,
 * so memory is O(RB CB), never n^2: three passes (real-real, fake-fake,
 * real-fake) over n^2 pairs each. */
#include <math.h>
#include <string.h>

#include "eval/eval_impl.h"
#include "gancl/alloc.h"
#include "gancl/eval.h"

enum { RB = 256, CB = 1024, KMAX = 16 };

struct set {
    double *x, *norm;
    int64_t n;
};

/* One (rb, cb) block of squared distances between rows [i0, i0+rb) of a and
 * [j0, j0+cb) of b into blk (rb, CB). Exact 0 on the diagonal of a set with
 * itself (the rounding of ||x||^2 + ||x||^2 - 2 x.x is not). */
static void dist_block(const struct set *a, int64_t i0, int64_t rb, const struct set *b, int64_t j0,
                       int64_t cb, int d, int self, double *blk)
{
    gc__eval_gram(a->x + i0 * d, rb, b->x + j0 * d, cb, d, blk, CB);
    for (int64_t i = 0; i < rb; i++)
        for (int64_t j = 0; j < cb; j++) {
            double v = a->norm[i0 + i] + b->norm[j0 + j] - 2.0 * blk[i * CB + j];
            blk[i * CB + j] = self && i0 + i == j0 + j ? 0.0 : (v > 0 ? v : 0.0);
        }
}

static void insert(double *l, int kk, double v)
{
    if (v >= l[kk - 1]) return;
    int p = kk - 1;
    while (p > 0 && l[p - 1] > v)
        l[p] = l[p - 1], p--;
    l[p] = v;
}

/* kth[i * (kmax+1) + k]: the (k+1)-th smallest squared distance from row i
 * to its own set (index 0: itself, 0). Distances are symmetric: only blocks
 * from the row block's first column on are computed, and each pair (i < j)
 * updates both rows' lists. */
static void knn(const struct set *s, int d, int kmax, double *blk, double *kth)
{
    int kk = kmax + 1;
    for (int64_t i = 0; i < s->n * kk; i++)
        kth[i] = INFINITY;
    for (int64_t i0 = 0; i0 < s->n; i0 += RB) {
        int64_t rb = s->n - i0 < RB ? s->n - i0 : RB;
        for (int64_t j0 = i0; j0 < s->n; j0 += CB) {
            int64_t cb = s->n - j0 < CB ? s->n - j0 : CB;
            dist_block(s, i0, rb, s, j0, cb, d, 1, blk);
            for (int64_t i = 0; i < rb; i++) {
                int64_t gi = i0 + i;
                double *l = kth + gi * kk;
                const double *row = blk + i * CB;
                for (int64_t j = gi >= j0 ? gi - j0 : 0; j < cb; j++) {
                    double v = row[j];
                    insert(l, kk, v);
                    if (j0 + j != gi) insert(kth + (j0 + j) * kk, kk, v);
                }
            }
        }
    }
}

static gc_status load(const float *x, int64_t n, int d, struct set *s)
{
    s->n = n;
    return gc__eval_to_double(x, n, d, &s->x, &s->norm);
}

gc_status gc_eval_prdc(const float *real, int64_t nr, const float *fake, int64_t nf, int d,
                       int k_pr, int k_dc, struct gc_prdc *out)
{
    if (!real || !fake || d < 1 || !out || k_pr < 1 || k_dc < 1 || k_pr > KMAX || k_dc > KMAX ||
        nr <= k_pr || nr <= k_dc || nf <= k_pr)
        return gc_error(GC_INVALID_ARG,
                        "eval: P&R/D&C need k in [1, %d] and more samples than k "
                        "(nr %lld, nf %lld, k %d/%d)",
                        KMAX, (long long)nr, (long long)nf, k_pr, k_dc);
    struct set r = {0}, f = {0};
    int kr = (k_pr > k_dc ? k_pr : k_dc) + 1, kf = k_pr + 1;
    double *blk = gc_malloc(sizeof(double) * RB * CB);
    double *kthr = gc_malloc(sizeof(double) * (size_t)(nr * kr));
    double *kthf = gc_malloc(sizeof(double) * (size_t)(nf * kf));
    double *minf = gc_malloc(sizeof(double) * (size_t)nr);
    unsigned char *prec = gc_calloc((size_t)nf, 1), *rec = gc_calloc((size_t)nr, 1);
    int64_t *dens = gc_calloc((size_t)nf, sizeof(int64_t));
    gc_status s = GC_OK;
    if (!blk || !kthr || !kthf || !minf || !prec || !rec || !dens)
        s = gc_error(GC_NOMEM, "eval: no memory for P&R of %lld x %lld", (long long)nr,
                     (long long)nf);
    if (s == GC_OK) s = load(real, nr, d, &r);
    if (s == GC_OK) s = load(fake, nf, d, &f);
    if (s == GC_OK) {
        knn(&r, d, kr - 1, blk, kthr);
        knn(&f, d, kf - 1, blk, kthf);
        for (int64_t i = 0; i < nr; i++)
            minf[i] = INFINITY;
        for (int64_t i0 = 0; i0 < nr; i0 += RB) {
            int64_t rb = nr - i0 < RB ? nr - i0 : RB;
            for (int64_t j0 = 0; j0 < nf; j0 += CB) {
                int64_t cb = nf - j0 < CB ? nf - j0 : CB;
                dist_block(&r, i0, rb, &f, j0, cb, d, 0, blk);
                for (int64_t i = 0; i < rb; i++) {
                    int64_t ri = i0 + i;
                    double rp = kthr[ri * kr + k_pr], rd = kthr[ri * kr + k_dc], mn = minf[ri];
                    const double *row = blk + i * CB;
                    for (int64_t j = 0; j < cb; j++) {
                        double v = row[j];
                        int64_t fj = j0 + j;
                        prec[fj] |= v <= rp;
                        dens[fj] += v <= rd;
                        rec[ri] |= v <= kthf[fj * kf + k_pr];
                        mn = v < mn ? v : mn;
                    }
                    minf[ri] = mn;
                }
            }
        }
        int64_t np = 0, nrc = 0, nd = 0, nc = 0;
        for (int64_t j = 0; j < nf; j++)
            np += prec[j], nd += dens[j];
        for (int64_t i = 0; i < nr; i++)
            nrc += rec[i], nc += minf[i] <= kthr[i * kr + k_dc];
        out->precision = (double)np / (double)nf;
        out->recall = (double)nrc / (double)nr;
        out->density = (double)nd / ((double)k_dc * (double)nf);
        out->coverage = (double)nc / (double)nr;
    }
    gc_free(blk), gc_free(kthr), gc_free(kthf), gc_free(minf);
    gc_free(prec), gc_free(rec), gc_free(dens);
    gc_free(r.x), gc_free(r.norm), gc_free(f.x), gc_free(f.norm);
    return s;
}
