// SPDX-License-Identifier: MIT
// Fused optimizer updates over flat parameter buffers. The arithmetic order
// follows torch.optim so results agree with PyTorch to rounding; each element
// is updated on its own, so the layout below never changes a bit.

#ifndef OPT_WG
#error OPT_WG (work-group size of the optimizer kernels) must be given as a -D build option
#endif
#ifndef OPT_EPI
#error OPT_EPI (elements per work-item of the optimizer kernels) must be given as a -D build option
#endif

// The element-wise layout of cl/unary.cl: a group owns OPT_WG * OPT_EPI
// consecutive elements, work-item l takes l, l + OPT_WG, ... (the host
// launches ceil(n / (OPT_WG * OPT_EPI)) groups of OPT_WG).
// A plain statement prefix rather than a variadic macro taking the body: NVIDIA's OpenCL
// compiler (580.x) has no variadic macros ("implicit declaration of function OPT_EACH").
#define OPT_EACH(n)                                                                                \
    size_t i = get_group_id(0) * (size_t)(OPT_WG * OPT_EPI) + get_local_id(0);                    \
    for (int k_ = 0; k_ < OPT_EPI && i < (n); k_++, i += OPT_WG)

// Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps),  bc = 1 - beta^t.
__kernel __attribute__((reqd_work_group_size(OPT_WG, 1, 1)))
void adam_step(__global float *p, __global const float *g, __global float *m,
                        __global float *v, const ulong n, const float lr, const float b1,
                        const float b2, const float eps, const float bc1, const float bc2,
                        const float wd)
{
    OPT_EACH(n) {
        float gi = g[i] + wd * p[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= (lr / bc1) * mi / (sqrt(vi) / sqrt(bc2) + eps);
    }
}

// SGD with momentum (dampening 0): buf = mom buf + g; p -= lr buf.
__kernel __attribute__((reqd_work_group_size(OPT_WG, 1, 1)))
void sgd_step(__global float *p, __global const float *g, __global float *buf,
                       const ulong n, const float lr, const float mom, const float wd)
{
    OPT_EACH(n) {
        float gi = g[i] + wd * p[i];
        float b = mom * buf[i] + gi;
        buf[i] = b;
        p[i] -= lr * (mom != 0.0f ? b : gi);
    }
}

// RMSProp: s = a s + (1-a) g^2; d = g / (sqrt(s) + eps);
// with momentum: buf = mom buf + d, p -= lr buf; else p -= lr d.
__kernel __attribute__((reqd_work_group_size(OPT_WG, 1, 1)))
void rmsprop_step(__global float *p, __global const float *g, __global float *s,
                           __global float *buf, const ulong n, const float lr, const float a,
                           const float eps, const float mom, const float wd)
{
    OPT_EACH(n) {
        float gi = g[i] + wd * p[i];
        float si = a * s[i] + (1.0f - a) * gi * gi;
        s[i] = si;
        float d = gi / (sqrt(si) + eps);
        if (mom != 0.0f) {
            float b = mom * buf[i] + d;
            buf[i] = b;
            d = b;
        }
        p[i] -= lr * d;
    }
}

// p = clamp(p, -c, c)
__kernel __attribute__((reqd_work_group_size(OPT_WG, 1, 1)))
void clip_step(__global float *p, const ulong n, const float c)
{
    OPT_EACH(n) { p[i] = clamp(p[i], -c, c); }
}
