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

// y[i] = f(x[i]) for i < n; y may alias x (in place).
__kernel void unary_fwd(__global float *y, const ulong y_off, __global const float *x,
                        const ulong x_off, const ulong n, const int op, const float a,
                        const float b)
{
    size_t i = get_global_id(0);
    if (i < n) y[y_off + i] = unary_apply(op, x[x_off + i], a, b);
}
