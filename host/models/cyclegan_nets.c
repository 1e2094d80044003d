/* SPDX-License-Identifier: MIT */
/* ResnetGenerator and NLayerDiscriminator (see cyclegan_nets.h). Layer
 * indices follow the reference nn.Sequential so parameter names match. */
#include "models/cyclegan_nets.h"

#include <stdio.h>

#include "gancl/conv.h"
#include "gancl/nn_ops.h"

static void add_conv(struct gc_cg_net *net, const char *prefix, int64_t in, int64_t out, int k,
                     int stride, int pad, bool transposed, int out_pad)
{
    char wn[96], bn[96];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    int64_t ws[4] = {transposed ? in : out, transposed ? out : in, k, k}, bs[1] = {out};
    struct gc_cg_conv *c = &net->conv[net->n_convs++];
    c->w = gc_param(net->group, wn, 4, ws);
    c->b = gc_param(net->group, bn, 1, bs);
    c->stride = stride;
    c->pad = pad;
    c->transposed = transposed;
    c->out_pad = out_pad;
}

void gc_cg_resnet_declare(struct gc_graph *g, const char *name, int in_nc, int out_nc, int ngf,
                          int n_blocks, struct gc_cg_net *net)
{
    char p[64];
    net->group = gc_param_group(g, name);
    net->generator = true;
    net->n_blocks = n_blocks;
    add_conv(net, "model.1", in_nc, ngf, 7, 1, 0, false, 0); /* after ReflectionPad2d(3) */
    add_conv(net, "model.4", ngf, ngf * 2, 3, 2, 1, false, 0);
    add_conv(net, "model.7", ngf * 2, ngf * 4, 3, 2, 1, false, 0);
    for (int b = 0; b < n_blocks; b++) {
        snprintf(p, sizeof p, "model.%d.conv_block.1", 10 + b);
        add_conv(net, p, ngf * 4, ngf * 4, 3, 1, 0, false, 0);
        snprintf(p, sizeof p, "model.%d.conv_block.5", 10 + b);
        add_conv(net, p, ngf * 4, ngf * 4, 3, 1, 0, false, 0);
    }
    snprintf(p, sizeof p, "model.%d", 10 + n_blocks);
    add_conv(net, p, ngf * 4, ngf * 2, 3, 2, 1, true, 1);
    snprintf(p, sizeof p, "model.%d", 13 + n_blocks);
    add_conv(net, p, ngf * 2, ngf, 3, 2, 1, true, 1);
    snprintf(p, sizeof p, "model.%d", 17 + n_blocks); /* after ReflectionPad2d(3) */
    add_conv(net, p, ngf, out_nc, 7, 1, 0, false, 0);
}

void gc_cg_patch_declare(struct gc_graph *g, const char *name, int in_nc, int ndf, int n_layers,
                         struct gc_cg_net *net)
{
    char p[64];
    net->group = gc_param_group(g, name);
    net->generator = false;
    net->n_layers = n_layers;
    add_conv(net, "model.0", in_nc, ndf, 4, 2, 1, false, 0);
    int mult = 1, idx = 2;
    for (int n = 1; n <= n_layers; n++, idx += 3) {
        int prev = mult;
        mult = 1 << (n < 3 ? n : 3);
        snprintf(p, sizeof p, "model.%d", idx);
        add_conv(net, p, (int64_t)ndf * prev, (int64_t)ndf * mult, 4, n < n_layers ? 2 : 1, 1,
                 false, 0);
    }
    snprintf(p, sizeof p, "model.%d", idx);
    add_conv(net, p, (int64_t)ndf * mult, 1, 4, 1, 1, false, 0);
}

static struct gc_tensor *conv(struct gc_graph *g, const struct gc_cg_conv *c,
                              struct gc_tensor *x)
{
    struct gc_conv_geom geom = gc_conv_geom(c->stride, c->pad);
    geom.out_pad[0] = geom.out_pad[1] = c->out_pad;
    x = c->transposed ? gc_conv_transpose2d(g, x, c->w, geom) : gc_conv2d(g, x, c->w, geom);
    return gc_bias_add(g, x, c->b);
}

static struct gc_tensor *in_relu(struct gc_graph *g, struct gc_tensor *x, bool relu)
{
    x = gc_instance_norm(g, x, NULL, NULL, 1e-5f);
    return relu ? gc_relu(g, x) : x;
}

static struct gc_tensor *reflect(struct gc_graph *g, struct gc_tensor *x, int p)
{
    return gc_pad2d(g, x, GC_PAD_REFLECT, p, p, p, p);
}

static struct gc_tensor *resnet_forward(struct gc_graph *g, const struct gc_cg_net *net,
                                        struct gc_tensor *x)
{
    const struct gc_cg_conv *c = net->conv;
    x = in_relu(g, conv(g, c++, reflect(g, x, 3)), true);
    x = in_relu(g, conv(g, c++, x), true);
    x = in_relu(g, conv(g, c++, x), true);
    for (int b = 0; b < net->n_blocks; b++) {
        struct gc_tensor *y = in_relu(g, conv(g, c++, reflect(g, x, 1)), true);
        y = in_relu(g, conv(g, c++, reflect(g, y, 1)), false);
        x = gc_add(g, x, y);
    }
    x = in_relu(g, conv(g, c++, x), true);
    x = in_relu(g, conv(g, c++, x), true);
    return gc_tanh(g, conv(g, c, reflect(g, x, 3)));
}

static struct gc_tensor *patch_forward(struct gc_graph *g, const struct gc_cg_net *net,
                                       struct gc_tensor *x)
{
    x = gc_leaky_relu(g, conv(g, &net->conv[0], x), 0.2f);
    for (int n = 1; n <= net->n_layers; n++)
        x = gc_leaky_relu(g, in_relu(g, conv(g, &net->conv[n], x), false), 0.2f);
    return conv(g, &net->conv[net->n_layers + 1], x);
}

struct gc_tensor *gc_cg_forward(struct gc_graph *g, const struct gc_cg_net *net,
                                struct gc_tensor *x)
{
    return net->generator ? resnet_forward(g, net, x) : patch_forward(g, net, x);
}

gc_status gc_cg_init(const struct gc_cg_net *net, uint64_t seed)
{
    gc_status s = GC_OK;
    for (int i = 0; i < net->n_convs && s == GC_OK; i++) {
        s = gc_param_init_normal(net->conv[i].w, 0.0f, 0.02f, seed * 1000003u + (uint64_t)i);
        if (s == GC_OK) s = gc_param_fill(net->conv[i].b, 0.0f);
    }
    return s;
}
