# SPDX-License-Identifier: MIT
"""The CycleGAN reference networks in PyTorch, for tests and fixtures only.

Re-expressed from the architecture of junyanz/pytorch-CycleGAN-and-pix2pix
(models/networks.py, BSD-2-Clause; Zhu, Park, Isola, Efros): ResnetGenerator,
UnetGenerator / UnetSkipConnectionBlock, NLayerDiscriminator and
PixelDiscriminator with the same module nesting, so their state_dict names
are the reference's ("model.1.weight", "model.model.1.model.2.running_mean",
"net.3.weight"). Kept here (and not fetched) because the tests run offline.
The reference quirks gan-cl reproduces are kept on purpose:
  * use_bias: convolutions before a norm have a bias only with instance norm
    ('none' passes a plain function, which is not nn.InstanceNorm2d);
  * the U-Net down path's LeakyReLU is in place, so the skip connection
    carries leaky_relu(x), not x (the parent's ReLU then hides the difference).
"""
import functools

import torch
from torch import nn


def norm_layer(kind):
    if kind == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if kind == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    if kind == "none":
        return lambda c: nn.Identity()
    raise ValueError(kind)


def bias_for(norm):
    return isinstance(norm, functools.partial) and norm.func is nn.InstanceNorm2d


class ResnetBlock(nn.Module):
    def __init__(self, dim, norm, dropout, bias):
        super().__init__()
        layers = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm(dim), nn.ReLU(True)]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm(dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, in_nc, out_nc, ngf=64, norm="instance", dropout=False, n_blocks=9):
        super().__init__()
        nl = norm_layer(norm)
        b = bias_for(nl)
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_nc, ngf, 7, bias=b), nl(ngf), nn.ReLU(True)]
        for i in range(2):
            c = ngf * 2**i
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=b), nl(2 * c), nn.ReLU(True)]
        layers += [ResnetBlock(ngf * 4, nl, dropout, b) for _ in range(n_blocks)]
        for i in range(2):
            c = ngf * 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1, bias=b),
                       nl(c // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer, inner, in_nc=None, sub=None, outermost=False, innermost=False,
                 norm=None, dropout=False):
        super().__init__()
        self.outermost = outermost
        b = bias_for(norm)
        in_nc = outer if in_nc is None else in_nc
        down = nn.Conv2d(in_nc, inner, 4, stride=2, padding=1, bias=b)
        if outermost:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1)
            layers = [down, sub, nn.ReLU(True), up, nn.Tanh()]
        elif innermost:
            up = nn.ConvTranspose2d(inner, outer, 4, stride=2, padding=1, bias=b)
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True), up, norm(outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1, bias=b)
            layers = [nn.LeakyReLU(0.2, True), down, norm(inner), sub, nn.ReLU(True), up, norm(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, in_nc, out_nc, num_downs, ngf=64, norm="batch", dropout=False):
        super().__init__()
        nl = norm_layer(norm)
        blk = UnetSkipConnectionBlock(ngf * 8, ngf * 8, norm=nl, innermost=True)
        for _ in range(num_downs - 5):
            blk = UnetSkipConnectionBlock(ngf * 8, ngf * 8, sub=blk, norm=nl, dropout=dropout)
        for m in (4, 2, 1):
            blk = UnetSkipConnectionBlock(ngf * m, ngf * m * 2, sub=blk, norm=nl)
        self.model = UnetSkipConnectionBlock(out_nc, ngf, in_nc=in_nc, sub=blk, outermost=True, norm=nl)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, in_nc, ndf=64, n_layers=3, norm="instance"):
        super().__init__()
        nl = norm_layer(norm)
        b = bias_for(nl)
        layers = [nn.Conv2d(in_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2 if n < n_layers else 1,
                                 padding=1, bias=b), nl(ndf * mult), nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class PixelDiscriminator(nn.Module):
    def __init__(self, in_nc, ndf=64, norm="instance"):
        super().__init__()
        nl = norm_layer(norm)
        b = bias_for(nl)
        self.net = nn.Sequential(nn.Conv2d(in_nc, ndf, 1), nn.LeakyReLU(0.2, True),
                                 nn.Conv2d(ndf, ndf * 2, 1, bias=b), nl(ndf * 2),
                                 nn.LeakyReLU(0.2, True), nn.Conv2d(ndf * 2, 1, 1, bias=b))

    def forward(self, x):
        return self.net(x)


def generator(net_g, in_nc, out_nc, ngf, norm, dropout=False):
    """define_G without the initialisation."""
    blocks = {"resnet_6blocks": 6, "resnet_9blocks": 9}
    downs = {"unet_128": 7, "unet_256": 8}
    if net_g in blocks:
        return ResnetGenerator(in_nc, out_nc, ngf, norm, dropout, blocks[net_g])
    return UnetGenerator(in_nc, out_nc, downs[net_g], ngf, norm, dropout)


def randomise(net, gen, gain=1.0):
    """Random weights (conv: N(0, gain^2 / fan), fan = numel / size(0), so
    activations neither vanish nor saturate through 20 layers without norm),
    biases N(0, 0.1^2), batch-norm weights 1 + N(0, 0.2^2) and random running
    statistics, so that a test sees every parameter and buffer matter."""
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            r = torch.randn(t.shape, generator=gen)
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif name.endswith("running_mean"):
                t.copy_(r * 0.1)
            elif t.ndim == 4:
                t.copy_(r * gain / (t.numel() / t.shape[0]) ** 0.5)
            elif name.endswith("weight"):
                t.copy_(1 + 0.2 * r)
            else:
                t.copy_(0.1 * r)
    return net
