// SPDX-License-Identifier: MIT
// Element-wise unary ops, one kernel with the op as a uniform argument (the
// branch is the same for every work-item, so it costs nothing measurable
// next to the memory traffic). Codes match host/ops/unary.c.

#define U_SCALE 0
#define U_RELU 1
#define U_LEAKY_RELU 2
#define U_TANH 3
#define U_SIGMOID 4
#define U_EXP 5
#define U_LOG 6
#define U_SQUARE 7
#define U_SQRT 8
#define U_ABS 9
#define U_SIGN 10
#define U_STEP 11
#define U_LEAKY_STEP 12
#define U_COPY 13

#ifndef EW_WG
#error EW_WG (work-group size of the element-wise kernels) must be given as a -D build option
#endif
#ifndef EW_EPI
#error EW_EPI (elements per work-item of the element-wise kernels) must be given as a -D build option
#endif

// Element-wise layout shared with cl/binary.cl: a group owns EW_WG * EW_EPI
// consecutive elements, and work-item l takes l, l + EW_WG, l + 2 EW_WG, ...
// of them: each pass of the loop is one contiguous, coalesced row across the
// group (what GPUs want and what PoCL vectorises across work-items), and a
// CPU pays its per-group cost once per EW_WG * EW_EPI elements.
#define EW_FOR(n, i, body)                                                                         \
    do {                                                                                           \
        size_t i = get_group_id(0) * (size_t)(EW_WG * EW_EPI) + get_local_id(0);                 \
        if (i + (size_t)(EW_EPI - 1) * EW_WG < (n)) {                                              \
            _Pragma("unroll") for (int k_ = 0; k_ < EW_EPI; k_++, i += EW_WG) body;                                      \
        } else {                                                                                   \
            for (int k_ = 0; k_ < EW_EPI && i < (n); k_++, i += EW_WG) body;                           \
        }                                                                                          \
    } while (0)

float unary_apply(int op, float v, float a, float b)
{
    switch (op) {
    case U_SCALE: return fma(a, v, b);
    case U_RELU: return v > 0.0f ? v : 0.0f;
    case U_LEAKY_RELU: return v > 0.0f ? v : a * v;
    case U_TANH: return tanh(v);
    // 1/(1+e^-v) overflows gracefully: exp(-v) -> inf gives 0.
    case U_SIGMOID: return 1.0f / (1.0f + exp(-v));
    case U_EXP: return exp(v);
    case U_LOG: return log(v);
    case U_SQUARE: return v * v;
    case U_SQRT: return sqrt(v);
    case U_ABS: return fabs(v);
    case U_SIGN: return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
    case U_STEP: return v > 0.0f ? 1.0f : 0.0f;
    case U_LEAKY_STEP: return v > 0.0f ? 1.0f : a;
    default: return v; // U_COPY
    }
}

// y[i] = f(x[i]) for i < n; y may alias x (in place). The switch sits outside
// the loops so each op's loop is straight-line code the compiler vectorises.
#define U_CASE(code, expr)                                                                         \
    case code:                                                                                     \
        EW_FOR(n, i, { float v = xp[i]; yp[i] = (expr); });                                       \
        break
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void unary_fwd(__global float *y, const ulong y_off, __global const float *x, const ulong x_off,
               const ulong n, const int op, const float a, const float b)
{
    __global float *yp = y + y_off;
    __global const float *xp = x + x_off;
    switch (op) {
        U_CASE(U_SCALE, fma(a, v, b));
        U_CASE(U_RELU, v > 0.0f ? v : 0.0f);
        U_CASE(U_LEAKY_RELU, v > 0.0f ? v : a * v);
        U_CASE(U_STEP, v > 0.0f ? 1.0f : 0.0f);
        U_CASE(U_LEAKY_STEP, v > 0.0f ? 1.0f : a);
        U_CASE(U_SQUARE, v * v);
        U_CASE(U_COPY, v);
    default: EW_FOR(n, i, yp[i] = unary_apply(op, xp[i], a, b)); break;
    }
}
