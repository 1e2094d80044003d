/* SPDX-License-Identifier: MIT */
/* The reference's generators and discriminators as layer lists (see
 * cyclegan_nets.h). Each declare function walks the reference's
 * nn.Sequential in order, so a layer's name is its index there. */
#include "models/cyclegan_nets.h"

#include <math.h>
#include <stdio.h>

#include "gancl/alloc.h"
#include "gancl/conv.h"
#include "gancl/nn_ops.h"

/* The reference's use_bias: only instance norm keeps the bias of the
 * convolutions it follows ('none' passes a plain function as norm_layer, so
 * its `norm_layer == nn.InstanceNorm2d` test is false too). */
static bool use_bias(const struct gc_cg_net *net)
{
    return net->norm == GC_CG_NORM_INSTANCE;
}

static struct gc_cg_layer *push(struct gc_cg_net *net, enum gc_cg_kind kind)
{
    GC_ASSERT(net->n_layers < GC_CG_MAX_LAYERS);
    struct gc_cg_layer *l = &net->layer[net->n_layers++];
    *l = (struct gc_cg_layer){.kind = kind};
    return l;
}

static struct gc_tensor *param(struct gc_param_group *grp, const char *prefix, const char *what,
                               int64_t n, const int64_t *shape4)
{
    char name[192];
    snprintf(name, sizeof name, "%s.%s", prefix, what);
    int64_t s1[1] = {n};
    return gc_param(grp, name, shape4 ? 4 : 1, shape4 ? shape4 : s1);
}

static void conv(struct gc_cg_net *net, const char *name, int64_t in, int64_t out, int k,
                 int stride, int pad, bool transposed, int out_pad, bool bias)
{
    struct gc_cg_layer *l = push(net, GC_CG_CONV);
    int64_t ws[4] = {transposed ? in : out, transposed ? out : in, k, k};
    l->w = param(net->group, name, "weight", 0, ws);
    l->b = bias ? param(net->group, name, "bias", out, NULL) : NULL;
    l->stride = stride;
    l->pad = pad;
    l->transposed = transposed;
    l->out_pad = out_pad;
}

/* norm_layer(c) at `name`; nothing for 'none' (the reference's Identity). */
static void norm(struct gc_cg_net *net, const char *name, int64_t c)
{
    if (net->norm == GC_CG_NORM_NONE) return;
    struct gc_cg_layer *l = push(net, GC_CG_NORM);
    if (net->norm != GC_CG_NORM_BATCH) return;
    l->gamma = param(net->group, name, "weight", c, NULL);
    l->beta = param(net->group, name, "bias", c, NULL);
    l->running_mean = param(net->buffers, name, "running_mean", c, NULL);
    l->running_var = param(net->buffers, name, "running_var", c, NULL);
}

/* out = "<p>.<what><i>"; names are short, so overflow is a programmer error. */
#define NAME_MAX_ 192
static void name_at(char *out, const char *p, const char *what, int i)
{
    int r = snprintf(out, NAME_MAX_, "%s.%s%d", p, what, i);
    GC_ASSERT(r > 0 && r < NAME_MAX_);
}

static void simple(struct gc_cg_net *net, enum gc_cg_kind kind, int pad)
{
    push(net, kind)->pad = pad;
}

static void begin(struct gc_graph *g, const char *name, enum gc_cg_norm nm, struct gc_cg_net *net)
{
    char b[96];
    snprintf(b, sizeof b, "%s.buffers", name);
    net->group = gc_param_group(g, name);
    net->buffers = gc_param_group(g, b);
    net->norm = nm;
    net->n_layers = 0;
}

/* ResnetBlock(dim) at `p` (its conv_block indices shift by one with dropout). */
static void resnet_block(struct gc_cg_net *net, const char *p, int64_t dim, bool dropout)
{
    char n[NAME_MAX_];
    int i = 0;
    simple(net, GC_CG_SAVE, 0);
    simple(net, GC_CG_REFLECT, 1), i++;
    name_at(n, p, "conv_block.", i++);
    conv(net, n, dim, dim, 3, 1, 0, false, 0, use_bias(net));
    name_at(n, p, "conv_block.", i++);
    norm(net, n, dim);
    simple(net, GC_CG_RELU, 0), i++;
    if (dropout) simple(net, GC_CG_DROPOUT, 0), i++;
    simple(net, GC_CG_REFLECT, 1), i++;
    name_at(n, p, "conv_block.", i++);
    conv(net, n, dim, dim, 3, 1, 0, false, 0, use_bias(net));
    name_at(n, p, "conv_block.", i);
    norm(net, n, dim);
    simple(net, GC_CG_ADD, 0);
}

static void resnet(struct gc_cg_net *net, const struct gc_cyclegan_config *c, int in_nc,
                   int out_nc, int n_blocks)
{
    char n[128];
    int64_t ngf = c->ngf;
    bool ub = use_bias(net);
    simple(net, GC_CG_REFLECT, 3);
    conv(net, "model.1", in_nc, ngf, 7, 1, 0, false, 0, ub);
    norm(net, "model.2", ngf);
    simple(net, GC_CG_RELU, 0);
    for (int d = 0; d < 2; d++) {
        snprintf(n, sizeof n, "model.%d", 4 + 3 * d);
        conv(net, n, ngf << d, ngf << (d + 1), 3, 2, 1, false, 0, ub);
        snprintf(n, sizeof n, "model.%d", 5 + 3 * d);
        norm(net, n, ngf << (d + 1));
        simple(net, GC_CG_RELU, 0);
    }
    for (int b = 0; b < n_blocks; b++) {
        snprintf(n, sizeof n, "model.%d", 10 + b);
        resnet_block(net, n, ngf * 4, c->use_dropout);
    }
    for (int u = 0; u < 2; u++) {
        snprintf(n, sizeof n, "model.%d", 10 + n_blocks + 3 * u);
        conv(net, n, ngf << (2 - u), ngf << (1 - u), 3, 2, 1, true, 1, ub);
        snprintf(n, sizeof n, "model.%d", 11 + n_blocks + 3 * u);
        norm(net, n, ngf << (1 - u));
        simple(net, GC_CG_RELU, 0);
    }
    simple(net, GC_CG_REFLECT, 3);
    snprintf(n, sizeof n, "model.%d", 17 + n_blocks);
    conv(net, n, ngf, out_nc, 7, 1, 0, false, 0, true);
    simple(net, GC_CG_TANH, 0);
}

/* (outer_nc, inner_nc) of U-Net level l (0 outermost, downs - 1 innermost). */
static void unet_widths(int64_t ngf, int l, int downs, int out_nc, int64_t *outer,
                        int64_t *inner)
{
    static const int mult[5] = {0, 1, 2, 4, 8};
    *outer = l == 0 ? out_nc : ngf * mult[l < 4 ? l : 4];
    *inner = ngf * mult[l + 1 < 4 ? l + 1 : 4];
    (void)downs;
}

/* A non-outermost UnetSkipConnectionBlock at prefix p (its Sequential is
 * p.model). Its LeakyReLU is in place, so the skip carries lrelu(x): the
 * block saves x after it (the parent's ReLU makes that equal to relu(x)). */
static void unet_block(struct gc_cg_net *net, const struct gc_cyclegan_config *c, const char *p,
                       int l, int downs)
{
    char n[NAME_MAX_];
    int64_t outer, inner;
    unet_widths(c->ngf, l, downs, 0, &outer, &inner);
    bool innermost = l == downs - 1, ub = use_bias(net);
    simple(net, GC_CG_LRELU, 0);
    simple(net, GC_CG_SAVE, 0);
    name_at(n, p, "model.", 1);
    conv(net, n, outer, inner, 4, 2, 1, false, 0, ub);
    if (innermost) {
        simple(net, GC_CG_RELU, 0);
        name_at(n, p, "model.", 3);
        conv(net, n, inner, outer, 4, 2, 1, true, 0, ub);
        name_at(n, p, "model.", 4);
        norm(net, n, outer);
    } else {
        name_at(n, p, "model.", 2);
        norm(net, n, inner);
        name_at(n, p, "model.", 3);
        unet_block(net, c, n, l + 1, downs);
        simple(net, GC_CG_RELU, 0);
        name_at(n, p, "model.", 5);
        conv(net, n, inner * 2, outer, 4, 2, 1, true, 0, ub);
        name_at(n, p, "model.", 6);
        norm(net, n, outer);
        if (c->use_dropout && l >= 4) simple(net, GC_CG_DROPOUT, 0);
    }
    simple(net, GC_CG_CAT, 0);
}

static void unet(struct gc_cg_net *net, const struct gc_cyclegan_config *c, int in_nc,
                 int out_nc, int downs)
{
    int64_t ngf = c->ngf;
    conv(net, "model.model.0", in_nc, ngf, 4, 2, 1, false, 0, use_bias(net));
    unet_block(net, c, "model.model.1", 1, downs);
    simple(net, GC_CG_RELU, 0);
    conv(net, "model.model.3", ngf * 2, out_nc, 4, 2, 1, true, 0, true);
    simple(net, GC_CG_TANH, 0);
}

void gc_cg_generator_declare(struct gc_graph *g, const char *name,
                             const struct gc_cyclegan_config *cfg, int in_nc, int out_nc,
                             struct gc_cg_net *net)
{
    begin(g, name, cfg->norm, net);
    switch (cfg->netG) {
    case GC_CG_RESNET_6BLOCKS: resnet(net, cfg, in_nc, out_nc, 6); break;
    case GC_CG_RESNET_9BLOCKS: resnet(net, cfg, in_nc, out_nc, 9); break;
    case GC_CG_UNET_128: unet(net, cfg, in_nc, out_nc, 7); break;
    case GC_CG_UNET_256: unet(net, cfg, in_nc, out_nc, 8); break;
    }
}

static void n_layer_d(struct gc_cg_net *net, int64_t ndf, int in_nc, int n_layers)
{
    char n[64];
    conv(net, "model.0", in_nc, ndf, 4, 2, 1, false, 0, true);
    simple(net, GC_CG_LRELU, 0);
    int64_t mult = 1;
    for (int k = 1; k <= n_layers; k++) {
        int64_t prev = mult;
        mult = (int64_t)1 << (k < 3 ? k : 3);
        snprintf(n, sizeof n, "model.%d", 3 * k - 1);
        conv(net, n, ndf * prev, ndf * mult, 4, k < n_layers ? 2 : 1, 1, false, 0,
             use_bias(net));
        snprintf(n, sizeof n, "model.%d", 3 * k);
        norm(net, n, ndf * mult);
        simple(net, GC_CG_LRELU, 0);
    }
    snprintf(n, sizeof n, "model.%d", 3 * n_layers + 2);
    conv(net, n, ndf * mult, 1, 4, 1, 1, false, 0, true);
}

static void pixel_d(struct gc_cg_net *net, int64_t ndf, int in_nc)
{
    conv(net, "net.0", in_nc, ndf, 1, 1, 0, false, 0, true);
    simple(net, GC_CG_LRELU, 0);
    conv(net, "net.2", ndf, ndf * 2, 1, 1, 0, false, 0, use_bias(net));
    norm(net, "net.3", ndf * 2);
    simple(net, GC_CG_LRELU, 0);
    conv(net, "net.5", ndf * 2, 1, 1, 1, 0, false, 0, use_bias(net));
}

void gc_cg_discriminator_declare(struct gc_graph *g, const char *name,
                                 const struct gc_cyclegan_config *cfg, int in_nc,
                                 struct gc_cg_net *net)
{
    begin(g, name, cfg->norm, net);
    switch (cfg->netD) {
    case GC_CG_D_BASIC: n_layer_d(net, cfg->ndf, in_nc, 3); break;
    case GC_CG_D_N_LAYERS: n_layer_d(net, cfg->ndf, in_nc, cfg->n_layers_D); break;
    case GC_CG_D_PIXEL: pixel_d(net, cfg->ndf, in_nc); break;
    }
}

int gc_cg_size_multiple(const struct gc_cyclegan_config *cfg)
{
    return cfg->netG == GC_CG_UNET_128 ? 128 : cfg->netG == GC_CG_UNET_256 ? 256 : 4;
}

static struct gc_tensor *apply_conv(struct gc_graph *g, const struct gc_cg_layer *c,
                                    struct gc_tensor *x)
{
    struct gc_conv_geom geom = gc_conv_geom(c->stride, c->pad);
    geom.out_pad[0] = geom.out_pad[1] = c->out_pad;
    x = c->transposed ? gc_conv_transpose2d(g, x, c->w, geom) : gc_conv2d(g, x, c->w, geom);
    return c->b ? gc_bias_add(g, x, c->b) : x;
}

static struct gc_tensor *apply_norm(struct gc_graph *g, const struct gc_cg_net *net,
                                    const struct gc_cg_layer *l, struct gc_tensor *x,
                                    enum gc_cg_mode mode)
{
    if (net->norm == GC_CG_NORM_INSTANCE) return gc_instance_norm(g, x, NULL, NULL, 1e-5f);
    if (mode == GC_CG_EVAL)
        return gc_batch_norm_eval(g, x, l->gamma, l->beta, l->running_mean, l->running_var,
                                  1e-5f);
    return gc_batch_norm(g, x, l->gamma, l->beta, l->running_mean, l->running_var, 0.1f, 1e-5f);
}

struct gc_tensor *gc_cg_forward(struct gc_graph *g, const struct gc_cg_net *net,
                                struct gc_tensor *x, enum gc_cg_mode mode, uint64_t salt)
{
    struct gc_tensor *stack[16];
    int top = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const struct gc_cg_layer *l = &net->layer[i];
        switch (l->kind) {
        case GC_CG_CONV: x = apply_conv(g, l, x); break;
        case GC_CG_NORM: x = apply_norm(g, net, l, x, mode); break;
        case GC_CG_RELU: x = gc_relu(g, x); break;
        case GC_CG_LRELU: x = gc_leaky_relu(g, x, 0.2f); break;
        case GC_CG_TANH: x = gc_tanh(g, x); break;
        case GC_CG_REFLECT: x = gc_pad2d(g, x, GC_PAD_REFLECT, l->pad, l->pad, l->pad, l->pad); break;
        case GC_CG_DROPOUT:
            if (mode == GC_CG_TRAIN) x = gc_dropout(g, x, 0.5f, salt * 1000003u + (uint64_t)i);
            break;
        case GC_CG_SAVE: GC_ASSERT(top < 16); stack[top++] = x; break;
        case GC_CG_ADD: GC_ASSERT(top > 0); x = gc_add(g, stack[--top], x); break;
        case GC_CG_CAT: {
            GC_ASSERT(top > 0);
            struct gc_tensor *xs[2] = {stack[--top], x};
            x = gc_concat(g, 2, xs);
            break;
        }
        }
    }
    return x;
}

/* Rows of the (rows, cols) matrix w made orthonormal in place (rows <= cols)
 * or its columns (rows > cols): Gram-Schmidt in order, which is QR with a
 * positive diagonal, the sign convention of PyTorch's orthogonal_. */
static void orthonormalise(float *w, int64_t rows, int64_t cols)
{
    bool by_rows = rows <= cols;
    int64_t n = by_rows ? rows : cols, len = by_rows ? cols : rows;
    int64_t stride = by_rows ? 1 : cols, step = by_rows ? cols : 1;
    for (int64_t i = 0; i < n; i++) {
        float *v = w + i * step;
        for (int pass = 0; pass < 2; pass++) /* twice: float vectors stay orthogonal */
            for (int64_t j = 0; j < i; j++) {
                const float *u = w + j * step;
                double d = 0;
                for (int64_t k = 0; k < len; k++) d += (double)u[k * stride] * v[k * stride];
                for (int64_t k = 0; k < len; k++) v[k * stride] -= (float)(d * u[k * stride]);
            }
        double nn = 0;
        for (int64_t k = 0; k < len; k++) nn += (double)v[k * stride] * v[k * stride];
        double inv = nn > 0 ? 1.0 / sqrt(nn) : 0;
        for (int64_t k = 0; k < len; k++) v[k * stride] = (float)(v[k * stride] * inv);
    }
}

static gc_status init_orthogonal(struct gc_tensor *w, float gain, uint64_t seed)
{
    int64_t rows = gc_tensor_dim(w, 0), numel = gc_tensor_numel(w), cols = numel / rows;
    float *buf = gc_malloc(sizeof(float) * (size_t)numel);
    if (!buf) return gc_error(GC_NOMEM, "init: out of host memory");
    gc_status st = gc_param_init_normal(w, 0.0f, 1.0f, seed);
    if (st == GC_OK) st = gc_param_read(w, buf);
    if (st == GC_OK) {
        orthonormalise(buf, rows, cols);
        for (int64_t i = 0; i < numel; i++) buf[i] *= gain;
        st = gc_param_write(w, buf);
    }
    gc_free(buf);
    return st;
}

static gc_status init_conv(const struct gc_cg_layer *l, enum gc_cg_init type, float gain,
                           uint64_t seed)
{
    double rf = (double)gc_tensor_dim(l->w, 2) * (double)gc_tensor_dim(l->w, 3);
    double fan_in = (double)gc_tensor_dim(l->w, 1) * rf, fan_out = (double)gc_tensor_dim(l->w, 0) * rf;
    gc_status st = GC_OK;
    switch (type) {
    case GC_CG_INIT_NORMAL: st = gc_param_init_normal(l->w, 0.0f, gain, seed); break;
    case GC_CG_INIT_XAVIER:
        st = gc_param_init_normal(l->w, 0.0f, (float)(gain * sqrt(2.0 / (fan_in + fan_out))),
                                  seed);
        break;
    case GC_CG_INIT_KAIMING: /* leaky_relu gain with a = 0: sqrt(2); init_gain unused */
        st = gc_param_init_normal(l->w, 0.0f, (float)sqrt(2.0 / fan_in), seed);
        break;
    case GC_CG_INIT_ORTHOGONAL: st = init_orthogonal(l->w, gain, seed); break;
    }
    if (st == GC_OK && l->b) st = gc_param_fill(l->b, 0.0f);
    return st;
}

gc_status gc_cg_init(const struct gc_cg_net *net, enum gc_cg_init type, float gain,
                     uint64_t seed)
{
    gc_status s = GC_OK;
    uint64_t n_conv = 0, n_norm = 0;
    for (int i = 0; i < net->n_layers && s == GC_OK; i++) {
        const struct gc_cg_layer *l = &net->layer[i];
        if (l->kind == GC_CG_CONV) s = init_conv(l, type, gain, seed * 1000003u + n_conv++);
        if (l->kind != GC_CG_NORM || !l->gamma) continue;
        s = gc_param_init_normal(l->gamma, 1.0f, gain, seed * 1000003u + 500 + n_norm++);
        if (s == GC_OK) s = gc_param_fill(l->beta, 0.0f);
        if (s == GC_OK) s = gc_param_fill(l->running_mean, 0.0f);
        if (s == GC_OK) s = gc_param_fill(l->running_var, 1.0f);
    }
    return s;
}
