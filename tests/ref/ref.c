/* SPDX-License-Identifier: MIT */
/* Plain-C references for every op (see ref.h). Deliberately naive: explicit
 * 4-D index loops, double accumulators, formulas written as in PyTorch's
 * documentation rather than copied from the kernels. */
#include "ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/philox.h"

int64_t gc_ref_numel(const struct gc_ref_shape *s)
{
    int64_t n = 1;
    for (int d = 0; d < s->ndim; d++) n *= s->d[d];
    return n;
}

/* Right-aligned into 4 dims with leading 1s. */
static void pad4(const struct gc_ref_shape *s, int64_t out[4])
{
    for (int d = 0; d < 4; d++) out[d] = d < 4 - s->ndim ? 1 : s->d[d - (4 - s->ndim)];
}

bool gc_ref_broadcast_shape(const struct gc_ref_shape *a, const struct gc_ref_shape *b,
                            struct gc_ref_shape *out)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t a4[4], b4[4];
    pad4(a, a4);
    pad4(b, b4);
    out->ndim = nd;
    for (int d = 0; d < nd; d++) {
        int64_t x = a4[4 - nd + d], y = b4[4 - nd + d];
        if (x != y && x != 1 && y != 1) return false;
        out->d[d] = x > y ? x : y;
    }
    return true;
}

/* Flat index into a tensor of 4-D shape s4 for output coordinate c (a
 * broadcast dim of s4 reads index 0). */
static int64_t bidx(const int64_t s4[4], const int64_t c[4])
{
    int64_t i = 0;
    for (int d = 0; d < 4; d++) i = i * s4[d] + (s4[d] == 1 ? 0 : c[d]);
    return i;
}

/* Calls f for every output coordinate of y4 with the broadcast indices. */
#define FOR_EACH_4D(y4, c)                                                                         \
    for (c[0] = 0; c[0] < y4[0]; c[0]++)                                                           \
        for (c[1] = 0; c[1] < y4[1]; c[1]++)                                                       \
            for (c[2] = 0; c[2] < y4[2]; c[2]++)                                                   \
                for (c[3] = 0; c[3] < y4[3]; c[3]++)

static double sigmoid(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

static double binary_f(enum gc_op op, double a, double b)
{
    switch (op) {
    case GC_OP_ADD: return a + b;
    case GC_OP_SUB: return a - b;
    case GC_OP_MUL: return a * b;
    case GC_OP_DIV: return a / b;
    case GC_OP_BCE_LOGITS: return fmax(a, 0.0) - a * b + log1p(exp(-fabs(a)));
    default: abort();
    }
}

/* Partial derivatives of binary_f w.r.t. a and b. */
static void binary_df(enum gc_op op, double a, double b, double *fa, double *fb)
{
    switch (op) {
    case GC_OP_ADD: *fa = 1, *fb = 1; break;
    case GC_OP_SUB: *fa = 1, *fb = -1; break;
    case GC_OP_MUL: *fa = b, *fb = a; break;
    case GC_OP_DIV: *fa = 1 / b, *fb = -a / (b * b); break;
    case GC_OP_BCE_LOGITS: *fa = sigmoid(a) - b, *fb = -a; break;
    default: abort();
    }
}

void gc_ref_binary(enum gc_op op, const float *a, const struct gc_ref_shape *sa, const float *b,
                   const struct gc_ref_shape *sb, float *y)
{
    struct gc_ref_shape sy;
    if (!gc_ref_broadcast_shape(sa, sb, &sy)) abort();
    int64_t a4[4], b4[4], y4[4], c[4], i = 0;
    pad4(sa, a4);
    pad4(sb, b4);
    pad4(&sy, y4);
    FOR_EACH_4D(y4, c) y[i++] = (float)binary_f(op, a[bidx(a4, c)], b[bidx(b4, c)]);
}

void gc_ref_binary_vjp(enum gc_op op, const float *a, const struct gc_ref_shape *sa,
                       const float *b, const struct gc_ref_shape *sb, const float *dy, float *da,
                       float *db)
{
    struct gc_ref_shape sy;
    if (!gc_ref_broadcast_shape(sa, sb, &sy)) abort();
    int64_t a4[4], b4[4], y4[4], c[4], i = 0, na = gc_ref_numel(sa), nb = gc_ref_numel(sb);
    pad4(sa, a4);
    pad4(sb, b4);
    pad4(&sy, y4);
    double *ga = calloc((size_t)na, sizeof *ga), *gb = calloc((size_t)nb, sizeof *gb);
    FOR_EACH_4D(y4, c)
    {
        int64_t ia = bidx(a4, c), ib = bidx(b4, c);
        double fa, fb;
        binary_df(op, a[ia], b[ib], &fa, &fb);
        ga[ia] += dy[i] * fa;
        gb[ib] += dy[i] * fb;
        i++;
    }
    for (int64_t k = 0; da && k < na; k++) da[k] = (float)ga[k];
    for (int64_t k = 0; db && k < nb; k++) db[k] = (float)gb[k];
    free(ga);
    free(gb);
}

static double unary_f(enum gc_op op, double v, double al, double be)
{
    switch (op) {
    case GC_OP_SCALE: return al * v + be;
    case GC_OP_RELU: return v > 0 ? v : 0;
    case GC_OP_LEAKY_RELU: return v > 0 ? v : al * v;
    case GC_OP_TANH: return tanh(v);
    case GC_OP_SIGMOID: return sigmoid(v);
    case GC_OP_EXP: return exp(v);
    case GC_OP_LOG: return log(v);
    case GC_OP_SQUARE: return v * v;
    case GC_OP_SQRT: return sqrt(v);
    case GC_OP_ABS: return fabs(v);
    case GC_OP_SIGN: return v > 0 ? 1 : v < 0 ? -1 : 0;
    case GC_OP_STEP: return v > 0 ? 1 : 0;
    case GC_OP_LEAKY_STEP: return v > 0 ? 1 : al;
    case GC_OP_COPY: return v;
    default: abort();
    }
}

/* f'(v); PyTorch's conventions at kinks: relu'(0) = 0, abs'(0) = sign(0) = 0. */
static double unary_df(enum gc_op op, double v, double al)
{
    switch (op) {
    case GC_OP_SCALE: return al;
    case GC_OP_RELU: return v > 0 ? 1 : 0;
    case GC_OP_LEAKY_RELU: return v > 0 ? 1 : al;
    case GC_OP_TANH: return 1 - tanh(v) * tanh(v);
    case GC_OP_SIGMOID: return sigmoid(v) * (1 - sigmoid(v));
    case GC_OP_EXP: return exp(v);
    case GC_OP_LOG: return 1 / v;
    case GC_OP_SQUARE: return 2 * v;
    case GC_OP_SQRT: return 0.5 / sqrt(v);
    case GC_OP_ABS: return v > 0 ? 1 : v < 0 ? -1 : 0;
    case GC_OP_SIGN:
    case GC_OP_STEP:
    case GC_OP_LEAKY_STEP: return 0;
    case GC_OP_COPY: return 1;
    default: abort();
    }
}

void gc_ref_unary(enum gc_op op, const float *x, int64_t n, float alpha, float beta, float *y)
{
    for (int64_t i = 0; i < n; i++) y[i] = (float)unary_f(op, x[i], alpha, beta);
}

void gc_ref_unary_vjp(enum gc_op op, const float *x, int64_t n, float alpha, float beta,
                      const float *dy, float *dx)
{
    (void)beta;
    for (int64_t i = 0; i < n; i++) dx[i] = (float)((double)dy[i] * unary_df(op, x[i], alpha));
}

void gc_ref_identity(const float *x, int64_t n, float *y)
{
    memcpy(y, x, sizeof *y * (size_t)n);
}

void gc_ref_expand(const float *x, const struct gc_ref_shape *sx, const struct gc_ref_shape *to,
                   float *y)
{
    int64_t x4[4], y4[4], c[4], i = 0;
    pad4(sx, x4);
    pad4(to, y4);
    FOR_EACH_4D(y4, c) y[i++] = x[bidx(x4, c)];
}

void gc_ref_sum_to(const float *x, const struct gc_ref_shape *sx, const struct gc_ref_shape *to,
                   float *y)
{
    /* Summing x down to `to` is the VJP of expanding `to` up to x's shape. */
    int64_t x4[4], t4[4], c[4], i = 0, n = gc_ref_numel(to);
    pad4(sx, x4);
    pad4(to, t4);
    double *acc = calloc((size_t)n, sizeof *acc);
    FOR_EACH_4D(x4, c) acc[bidx(t4, c)] += x[i++];
    for (int64_t k = 0; k < n; k++) y[k] = (float)acc[k];
    free(acc);
}

/* (N, C, inner) view of a shape with ndim >= 2. */
static void nci(const struct gc_ref_shape *s, int64_t *n, int64_t *c, int64_t *inner)
{
    *n = s->d[0];
    *c = s->d[1];
    *inner = 1;
    for (int d = 2; d < s->ndim; d++) *inner *= s->d[d];
}

void gc_ref_concat(int n, const float *const *xs, const struct gc_ref_shape *shapes, float *y)
{
    int64_t N, C, inner, cy = 0;
    for (int i = 0; i < n; i++) cy += shapes[i].d[1];
    int64_t c0 = 0;
    for (int i = 0; i < n; i++) {
        nci(&shapes[i], &N, &C, &inner);
        for (int64_t b = 0; b < N; b++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t r = 0; r < inner; r++)
                    y[(b * cy + c0 + c) * inner + r] = xs[i][(b * C + c) * inner + r];
        c0 += C;
    }
}

void gc_ref_concat_vjp(int n, const struct gc_ref_shape *shapes, const float *dy,
                       float *const *dxs)
{
    int64_t c0 = 0, cy = 0;
    for (int i = 0; i < n; i++) cy += shapes[i].d[1];
    for (int i = 0; i < n; i++) {
        struct gc_ref_shape sy = shapes[i];
        sy.d[1] = cy;
        if (dxs[i]) gc_ref_slice(dy, &sy, c0, shapes[i].d[1], dxs[i]);
        c0 += shapes[i].d[1];
    }
}

void gc_ref_slice(const float *x, const struct gc_ref_shape *sx, int64_t start, int64_t len,
                  float *y)
{
    int64_t N, C, inner;
    nci(sx, &N, &C, &inner);
    for (int64_t b = 0; b < N; b++)
        for (int64_t c = 0; c < len; c++)
            for (int64_t r = 0; r < inner; r++)
                y[(b * len + c) * inner + r] = x[(b * C + start + c) * inner + r];
}

void gc_ref_slice_vjp(const struct gc_ref_shape *sx, int64_t start, int64_t len, const float *dy,
                      float *dx)
{
    int64_t N, C, inner;
    nci(sx, &N, &C, &inner);
    for (int64_t b = 0; b < N; b++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t r = 0; r < inner; r++) {
                bool in = c >= start && c < start + len;
                dx[(b * C + c) * inner + r] = in ? dy[(b * len + c - start) * inner + r] : 0.0f;
            }
}

void gc_ref_fill(float value, int64_t n, float *y)
{
    for (int64_t i = 0; i < n; i++) y[i] = value;
}

/* Element (i, j) of op(X) where X is stored (rows, cols) row-major and op
 * transposes when t: op(X) has shape (cols, rows) then. */
static double at(const float *x, int64_t cols, bool t, int64_t i, int64_t j)
{
    return t ? x[j * cols + i] : x[i * cols + j];
}

void gc_ref_matmul(const float *a, const float *b, int64_t m, int64_t n, int64_t k, bool ta,
                   bool tb, float *y)
{
    int64_t a_cols = ta ? m : k, b_cols = tb ? k : n;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++) s += at(a, a_cols, ta, i, p) * at(b, b_cols, tb, p, j);
            y[i * n + j] = (float)s;
        }
}

void gc_ref_matmul_vjp(const float *a, const float *b, int64_t m, int64_t n, int64_t k, bool ta,
                       bool tb, const float *dy, float *da, float *db)
{
    /* With A = op(a), B = op(b): dA[i][p] = sum_j dy[i][j] B[p][j],
     * dB[p][j] = sum_i A[i][p] dy[i][j]; then stored back through op. */
    int64_t a_cols = ta ? m : k, b_cols = tb ? k : n;
    for (int64_t i = 0; da && i < m; i++)
        for (int64_t p = 0; p < k; p++) {
            double s = 0;
            for (int64_t j = 0; j < n; j++) s += (double)dy[i * n + j] * at(b, b_cols, tb, p, j);
            da[ta ? p * a_cols + i : i * a_cols + p] = (float)s;
        }
    for (int64_t p = 0; db && p < k; p++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t i = 0; i < m; i++) s += at(a, a_cols, ta, i, p) * (double)dy[i * n + j];
            db[tb ? j * b_cols + p : p * b_cols + j] = (float)s;
        }
}

void gc_ref_rand_uniform(uint64_t seed, uint32_t stream, uint64_t counter, int64_t n, float *y)
{
    for (int64_t i = 0; i < n; i++) y[i] = gc_philox_uniform(seed, stream, counter, (uint64_t)i);
}

void gc_ref_rand_normal(uint64_t seed, uint32_t stream, uint64_t counter, int64_t n, float *y)
{
    for (int64_t i = 0; i < n; i++) y[i] = gc_philox_normal(seed, stream, counter, (uint64_t)i);
}
