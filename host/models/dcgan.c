/* SPDX-License-Identifier: MIT */
/* The DCGAN-family networks (shared/spec/workloads.md): a transposed-conv
 * generator and a strided-conv critic, with parameter names as in PyTorch's
 * DCGAN example (nn.Sequential indices: "main.<i>.weight"). */
#include "models/dcgan.h"

#include <stdio.h>

#include "gancl/conv.h"
#include "gancl/nn_ops.h"

static struct gc_tensor *param(struct gc_param_group *grp, int idx, const char *kind, int ndim,
                               const int64_t *shape)
{
    char name[64];
    snprintf(name, sizeof name, "main.%d.%s", idx, kind);
    return gc_param(grp, name, ndim, shape);
}

/* Channel widths of layer l: (in, out). */
static void widths(const struct gc_gan_config *cfg, bool gen, int l, int nl, int64_t *in,
                   int64_t *out)
{
    int mult = cfg->image_size / 8; /* 32 px: 4, 64 px: 8 */
    if (gen) {
        *in = l == 0 ? cfg->nz : (int64_t)cfg->ngf * (mult >> (l - 1));
        *out = l == nl - 1 ? cfg->channels : (int64_t)cfg->ngf * (mult >> l);
    } else {
        *in = l == 0 ? cfg->channels : (int64_t)cfg->ndf << (l - 1);
        *out = l == nl - 1 ? 1 : (int64_t)cfg->ndf << l;
    }
}

static enum gc_dcgan_norm norm_of(const struct gc_gan_config *cfg, bool gen, int l, int nl)
{
    if (l == nl - 1) return GC_DCGAN_NORM_NONE;
    if (gen) return GC_DCGAN_NORM_BATCH;
    if (l == 0) return GC_DCGAN_NORM_NONE;
    return cfg->critic_bn ? GC_DCGAN_NORM_BATCH : cfg->critic_ln ? GC_DCGAN_NORM_LAYER : GC_DCGAN_NORM_NONE;
}

void gc_dcgan_declare(struct gc_graph *g, const struct gc_gan_config *cfg, bool generator,
                      struct gc_dcgan_net *net)
{
    int nl = cfg->image_size == 64 ? 5 : 4, idx = 0;
    int64_t side = generator ? 4 : cfg->image_size;
    net->group = gc_param_group(g, generator ? "netG" : "netD");
    net->buffers = gc_param_group(g, generator ? "netG.buffers" : "netD.buffers");
    net->generator = generator;
    net->n_layers = nl;
    for (int l = 0; l < nl; l++) {
        struct gc_dcgan_layer *L = &net->layer[l];
        int64_t in, out;
        widths(cfg, generator, l, nl, &in, &out);
        bool first_or_last = generator ? l == 0 : l == nl - 1;
        L->stride = first_or_last ? 1 : 2;
        L->pad = first_or_last ? 0 : 1;
        int64_t ws[4] = {generator ? in : out, generator ? out : in, 4, 4}, bs[1] = {out};
        L->w = param(net->group, idx, "weight", 4, ws);
        L->b = param(net->group, idx++, "bias", 1, bs);
        if (!generator) side = l == nl - 1 ? 1 : side / 2;
        else if (l > 0) side *= 2;
        L->norm = norm_of(cfg, generator, l, nl);
        if (L->norm != GC_DCGAN_NORM_NONE) {
            int64_t cs[3] = {out, side, side};
            int nd = L->norm == GC_DCGAN_NORM_LAYER ? 3 : 1;
            L->gamma = param(net->group, idx, "weight", nd, cs);
            L->beta = param(net->group, idx, "bias", nd, cs);
            if (L->norm == GC_DCGAN_NORM_BATCH) {
                L->running_mean = param(net->buffers, idx, "running_mean", 1, cs);
                L->running_var = param(net->buffers, idx, "running_var", 1, cs);
            }
            idx++;
        }
        if (l < nl - 1) idx++; /* the activation's index in nn.Sequential */
    }
}

static struct gc_tensor *normalise(struct gc_graph *g, const struct gc_dcgan_layer *L,
                                   struct gc_tensor *x, enum gc_bn_mode bn)
{
    if (L->norm == GC_DCGAN_NORM_LAYER) return gc_layer_norm(g, x, L->gamma, L->beta, 1e-5f);
    if (bn == GC_BN_EVAL)
        return gc_batch_norm_eval(g, x, L->gamma, L->beta, L->running_mean, L->running_var,
                                  1e-5f);
    bool upd = bn == GC_BN_TRAIN;
    return gc_batch_norm(g, x, L->gamma, L->beta, upd ? L->running_mean : NULL,
                         upd ? L->running_var : NULL, 0.1f, 1e-5f);
}

struct gc_tensor *gc_dcgan_forward(struct gc_graph *g, const struct gc_dcgan_net *net,
                                   struct gc_tensor *x, enum gc_bn_mode bn)
{
    for (int l = 0; l < net->n_layers; l++) {
        const struct gc_dcgan_layer *L = &net->layer[l];
        struct gc_conv_geom geom = gc_conv_geom(L->stride, L->pad);
        x = net->generator ? gc_conv_transpose2d(g, x, L->w, geom) : gc_conv2d(g, x, L->w, geom);
        x = gc_bias_add(g, x, L->b);
        if (l == net->n_layers - 1) break;
        if (L->norm != GC_DCGAN_NORM_NONE) x = normalise(g, L, x, bn);
        x = net->generator ? gc_relu(g, x) : gc_leaky_relu(g, x, 0.2f);
    }
    return net->generator ? gc_tanh(g, x) : x;
}

gc_status gc_dcgan_init(const struct gc_dcgan_net *net, uint64_t seed)
{
    gc_status s = GC_OK;
    for (int l = 0; l < net->n_layers && s == GC_OK; l++) {
        const struct gc_dcgan_layer *L = &net->layer[l];
        uint64_t base = seed * 1000003u + (uint64_t)l * 4 + (net->generator ? 0 : 500);
        s = gc_param_init_normal(L->w, 0.0f, 0.02f, base);
        if (s == GC_OK) s = gc_param_fill(L->b, 0.0f);
        if (s == GC_OK && L->gamma) s = gc_param_init_normal(L->gamma, 1.0f, 0.02f, base + 1);
        if (s == GC_OK && L->beta) s = gc_param_fill(L->beta, 0.0f);
        if (s == GC_OK && L->running_mean) s = gc_param_fill(L->running_mean, 0.0f);
        if (s == GC_OK && L->running_var) s = gc_param_fill(L->running_var, 1.0f);
    }
    return s;
}
