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

#ifndef EW_WG
#error EW_WG (work-group size of the element-wise kernels) must be given as a -D build option
#endif
#ifndef EW_EPI
#error EW_EPI (elements per work-item of the element-wise kernels) must be given as a -D build option
#endif

// Element-wise layout of cl/unary.cl: a group owns EW_WG * EW_EPI consecutive
// elements, work-item l takes l, l + EW_WG, ... (coalesced rows on GPUs, one
// group cost per EW_WG * EW_EPI elements on CPUs).
#define EW_FOR(n, i, body)                                                                         \
    do {                                                                                           \
        size_t i = get_group_id(0) * (size_t)(EW_WG * EW_EPI) + get_local_id(0);                 \
        if (i + (size_t)(EW_EPI - 1) * EW_WG < (n)) {                                              \
            _Pragma("unroll") for (int k_ = 0; k_ < EW_EPI; k_++, i += EW_WG) body;                                      \
        } else {                                                                                   \
            for (int k_ = 0; k_ < EW_EPI && i < (n); k_++, i += EW_WG) body;                           \
        }                                                                                          \
    } while (0)

#define B_CASE(code, expr)                                                                         \
    case code:                                                                                     \
        EW_FOR(n, i, { float u = ap[i]; float v = bp[i]; yp[i] = (expr); });                    \
        break

// Same shapes: flat loops, the op's switch outside them.
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void binary_flat(__global float *y, const ulong y_off, __global const float *a, const ulong a_off,
                 __global const float *b, const ulong b_off, const ulong n, const int op)
{
    __global float *yp = y + y_off;
    __global const float *ap = a + a_off, *bp = b + b_off;
    switch (op) {
        B_CASE(B_ADD, u + v);
        B_CASE(B_SUB, u - v);
        B_CASE(B_MUL, u * v);
        B_CASE(B_DIV, u / v);
    default: EW_FOR(n, i, yp[i] = binary_apply(op, ap[i], bp[i])); break;
    }
}

// i / d for 0 <= i < 2^24 without an integer division (a vector integer
// division is a scalar loop on CPUs): the float quotient is off by at most one
// there, and one correction step each way makes it exact. inv = 1.0f / d.
int fast_div(int i, int d, float inv)
{
    int q = (int)((float)i * inv);
    int r = i - q * d;
    q -= r < 0 ? 1 : 0;
    r += r < 0 ? d : 0;
    q += r >= d ? 1 : 0;
    return q;
}

// (i / inner) % rmod, division-free.
int row_index(int i, int inner, float inv_inner, int rmod, float inv_rmod)
{
    int q = fast_div(i, inner, inv_inner);
    return q - fast_div(q, rmod, inv_rmod) * rmod;
}

// One input broadcast by rows: y = full op bc (or bc op full when bfirst),
// where bc's element for y[i] is (i / inner) % rmod. That is every broadcast
// of a tensor whose non-1 dims are one contiguous run of y's dims: (N, C, H, W)
// with (1, C, 1, 1) has inner = H*W, rmod = C; a (1, 1, 1, 1) scalar rmod 1.
// n < 2^24 (fast_div); inv_* = 1.0f / inner, 1.0f / rmod.
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void binary_rows(__global float *y, const ulong y_off, __global const float *full,
                 const ulong f_off, __global const float *bc, const ulong bc_off, const ulong n,
                 const int inner, const float inv_inner, const int rmod, const float inv_rmod,
                 const int bfirst, const int op)
{
    __global float *yp = y + y_off;
    __global const float *fp = full + f_off, *bp = bc + bc_off;
#define BC(i) bp[row_index((int)(i), inner, inv_inner, rmod, inv_rmod)]
    if (bfirst) {
        switch (op) {
            case B_SUB: EW_FOR(n, i, yp[i] = BC(i) - fp[i]); break;
            case B_DIV: EW_FOR(n, i, yp[i] = BC(i) / fp[i]); break;
            default: EW_FOR(n, i, yp[i] = binary_apply(op, BC(i), fp[i])); break;
        }
        return;
    }
    switch (op) {
        case B_ADD: EW_FOR(n, i, yp[i] = fp[i] + BC(i)); break;
        case B_SUB: EW_FOR(n, i, yp[i] = fp[i] - BC(i)); break;
        case B_MUL: EW_FOR(n, i, yp[i] = fp[i] * BC(i)); break;
        case B_DIV: EW_FOR(n, i, yp[i] = fp[i] / BC(i)); break;
        default: EW_FOR(n, i, yp[i] = binary_apply(op, fp[i], BC(i))); break;
    }
#undef BC
}

// General broadcasting: y shape (d0,d1,d2,d3), a and b strides per output dim.
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void binary_bcast(__global float *y, const ulong y_off, __global const float *a,
                  const ulong a_off, __global const float *b, const ulong b_off,
                  const int4 shape, const int4 sa, const int4 sb, const int op)
{
    size_t n = (size_t)shape.x * shape.y * shape.z * shape.w;
    EW_FOR(n, i, {
        int j = (int)i;
        int w = j % shape.w;
        int r = j / shape.w;
        int h = r % shape.z;
        r /= shape.z;
        int c = r % shape.y;
        int m = r / shape.y;
        int ia = m * sa.x + c * sa.y + h * sa.z + w * sa.w;
        int ib = m * sb.x + c * sb.y + h * sb.z + w * sb.w;
        y[y_off + i] = binary_apply(op, a[a_off + ia], b[b_off + ib]);
    });
}
