// SPDX-License-Identifier: MIT
// Element-wise binary ops with NumPy broadcasting over up to 4 dims.
// Codes match host/ops/binary.c. Shapes arrive right-aligned into int4
// (leading 1s); a broadcast dimension has stride 0.

#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_BCE_LOGITS 4

float binary_apply(int op, float a, float b)
{
    switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    // max(x,0) - x*t + log(1 + exp(-|x|)): PyTorch's stable BCE-with-logits
    default: return fmax(a, 0.0f) - a * b + log1p(exp(-fabs(a)));
    }
}

// Same shapes: flat loop.
__kernel void binary_flat(__global float *y, const ulong y_off, __global const float *a,
                          const ulong a_off, __global const float *b, const ulong b_off,
                          const ulong n, const int op)
{
    size_t i = get_global_id(0);
    if (i < n) y[y_off + i] = binary_apply(op, a[a_off + i], b[b_off + i]);
}

// y: shape (d0,d1,d2,d3); a, b: strides per output dim (0 where broadcast).
__kernel void binary_bcast(__global float *y, const ulong y_off, __global const float *a,
                           const ulong a_off, __global const float *b, const ulong b_off,
                           const int4 shape, const int4 sa, const int4 sb, const int op)
{
    int i = (int)get_global_id(0);
    int n = shape.x * shape.y * shape.z * shape.w;
    if (i >= n) return;
    int w = i % shape.w, r = i / shape.w;
    int h = r % shape.z;
    r /= shape.z;
    int c = r % shape.y, m = r / shape.y;
    int ia = m * sa.x + c * sa.y + h * sa.z + w * sa.w;
    int ib = m * sb.x + c * sb.y + h * sb.z + w * sb.w;
    y[y_off + i] = binary_apply(op, a[a_off + ia], b[b_off + ib]);
}
