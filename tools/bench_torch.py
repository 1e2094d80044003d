#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/bench_torch.py — the peer side of `gan-cl bench`: the workloads of
shared/spec/workloads.md in PyTorch, layer for layer, timed the same way.

    python3 tools/bench_torch.py --model dcgan32 [--steps 20] [--warmup 3]
        [--device cpu|cuda|nvidia] [--threads N] [--channels-last] [--json]

A step is one training-log line: n_critic critic updates (each on its own real
batch and fresh z) then one generator update (GANs); CycleGAN: G_A and G_B
together, then D_A and D_B (the reference's optimize_parameters). Each step
ends with torch.cuda.synchronize() on a GPU and is timed alone; the report is
the median, minimum and maximum of --steps steps after --warmup steps. Real
data are fixed random images in [-1, 1] made once, already on the device.

CPU: threads = cores unless --threads; environment variables that change
PyTorch's speed (OMP_WAIT_POLICY, OPENBLAS_CORETYPE, ...) must be set before
Python starts, so tools/bench runs one process per configuration; the JSON line
records them. GPU: TF32 off (fp32 as gan-cl computes), cudnn.benchmark on (the
peer at its best; its autotuning happens in the warm-up steps).
"""
import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

GAN_MODELS = ("dcgan32", "wgan32", "wgangp32")
CG_MODELS = ("cyclegan64", "cyclegan128")


def init_weights(m):
    """N(0, 0.02) weights, N(1, 0.02) norm scales, zero biases (workloads.md)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


# ---- dcgan32 / wgan32 / wgangp32 -------------------------------------------
def dcgan_g(nz=100, ngf=64, nc=1):
    # z (N, 100, 1, 1) -> (N, 1, 32, 32)
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1), nn.Tanh())


def dcgan_d(bn, ndf=64, nc=1):
    # x (N, 1, 32, 32) -> logit/score (N, 1, 1, 1)
    norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
    return nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1), norm(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1), norm(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, 1, 4, 1, 0))


class GanWorkload:
    def __init__(self, name, dev, fmt):
        self.name, self.dev, self.fmt = name, dev, fmt
        self.batch, self.nz = 64, 100
        self.n_critic = 1 if name == "dcgan32" else 5
        self.G = dcgan_g().to(dev)
        self.D = dcgan_d(bn=name == "dcgan32").to(dev)
        for net in (self.G, self.D):
            net.apply(init_weights)
            net.to(memory_format=fmt)
        if name == "dcgan32":
            self.oG = torch.optim.Adam(self.G.parameters(), 2e-4, betas=(0.5, 0.999))
            self.oD = torch.optim.Adam(self.D.parameters(), 2e-4, betas=(0.5, 0.999))
        elif name == "wgangp32":
            self.oG = torch.optim.Adam(self.G.parameters(), 1e-4, betas=(0.0, 0.9))
            self.oD = torch.optim.Adam(self.D.parameters(), 1e-4, betas=(0.0, 0.9))
        else:
            self.oG = torch.optim.RMSprop(self.G.parameters(), 5e-5)
            self.oD = torch.optim.RMSprop(self.D.parameters(), 5e-5)
        # A fixed real batch per critic update of a step, in device memory.
        self.real = [(torch.rand(self.batch, 1, 32, 32, device=dev) * 2 - 1)
                     .contiguous(memory_format=fmt) for _ in range(self.n_critic)]
        self.ones = torch.ones(self.batch, 1, 1, 1, device=dev)
        self.zeros = torch.zeros(self.batch, 1, 1, 1, device=dev)

    def z(self):
        return torch.randn(self.batch, self.nz, 1, 1, device=self.dev)

    def d_update(self, real):
        self.oD.zero_grad(set_to_none=True)
        fake = self.G(self.z()).detach()
        if self.name == "dcgan32":
            loss = (F.binary_cross_entropy_with_logits(self.D(real), self.ones)
                    + F.binary_cross_entropy_with_logits(self.D(fake), self.zeros))
        else:
            loss = self.D(fake).mean() - self.D(real).mean()
            if self.name == "wgangp32":
                loss = loss + self.penalty(real, fake)
        loss.backward()
        self.oD.step()
        if self.name == "wgan32":
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-0.01, 0.01)

    def penalty(self, real, fake):
        # lambda * mean((||grad_xhat C(xhat)||_2 - 1)^2), differentiated again (double backprop)
        eps = torch.rand(self.batch, 1, 1, 1, device=self.dev)
        xhat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        out = self.D(xhat)
        (grad,) = torch.autograd.grad(out.sum(), xhat, create_graph=True)
        return 10.0 * ((grad.reshape(self.batch, -1).norm(2, dim=1) - 1) ** 2).mean()

    def g_update(self):
        self.oG.zero_grad(set_to_none=True)
        out = self.D(self.G(self.z()))
        if self.name == "dcgan32":  # non-saturating
            loss = F.binary_cross_entropy_with_logits(out, self.ones)
        else:
            loss = -out.mean()
        loss.backward()
        self.oG.step()

    def step(self):
        for i in range(self.n_critic):
            self.d_update(self.real[i])
        self.g_update()


# ---- cyclegan64 / cyclegan128 ----------------------------------------------
def _in(c):
    return nn.InstanceNorm2d(c, affine=False, track_running_stats=False, eps=1e-5)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, 1, 0), _in(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, 1, 0), _in(dim))

    def forward(self, x):
        return x + self.conv_block(x)


def resnet_g(nc=3, ngf=64, n_blocks=6):
    # (1, 3, S, S) -> (1, 3, S, S); every conv has a bias (use_bias with IN, as the reference)
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(nc, ngf, 7, 1, 0), _in(ngf), nn.ReLU(True),
              nn.Conv2d(ngf, ngf * 2, 3, 2, 1), _in(ngf * 2), nn.ReLU(True),
              nn.Conv2d(ngf * 2, ngf * 4, 3, 2, 1), _in(ngf * 4), nn.ReLU(True)]
    layers += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
    layers += [nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, 2, 1, output_padding=1), _in(ngf * 2),
               nn.ReLU(True),
               nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, output_padding=1), _in(ngf), nn.ReLU(True),
               nn.ReflectionPad2d(3), nn.Conv2d(ngf, nc, 7, 1, 0), nn.Tanh()]
    return nn.Sequential(*layers)


def patch_d(nc=3, ndf=64):
    # 70x70 PatchGAN, n_layers 3: (1, 3, S, S) -> (1, 1, S/8 - 2, S/8 - 2)
    return nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1), _in(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1), _in(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 1, 1), _in(ndf * 8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 1))


class ImagePool:
    """The reference's ImagePool (util/image_pool.py) for batch 1."""

    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, image):
        if self.size == 0:
            return image
        if len(self.images) < self.size:
            self.images.append(image.detach().clone())
            return image
        if random.uniform(0, 1) > 0.5:
            i = random.randint(0, self.size - 1)
            tmp = self.images[i].clone()
            self.images[i] = image.detach().clone()
            return tmp
        return image


class CycleGanWorkload:
    def __init__(self, name, dev, fmt):
        self.name, self.dev, self.fmt = name, dev, fmt
        self.batch, self.n_critic = 1, 1
        size = 64 if name == "cyclegan64" else 128
        self.GA, self.GB, self.DA, self.DB = resnet_g(), resnet_g(), patch_d(), patch_d()
        for net in (self.GA, self.GB, self.DA, self.DB):
            net.to(dev).apply(init_weights)
            net.to(memory_format=fmt)
        g_params = list(self.GA.parameters()) + list(self.GB.parameters())
        d_params = list(self.DA.parameters()) + list(self.DB.parameters())
        self.oG = torch.optim.Adam(g_params, 2e-4, betas=(0.5, 0.999))
        self.oD = torch.optim.Adam(d_params, 2e-4, betas=(0.5, 0.999))
        self.pool_a, self.pool_b = ImagePool(50), ImagePool(50)
        self.real_a = (torch.rand(1, 3, size, size, device=dev) * 2 - 1).contiguous(memory_format=fmt)
        self.real_b = (torch.rand(1, 3, size, size, device=dev) * 2 - 1).contiguous(memory_format=fmt)

    @staticmethod
    def gan_loss(pred, target):  # LSGAN
        return F.mse_loss(pred, torch.full_like(pred, target))

    def set_requires_grad(self, nets, flag):
        for n in nets:
            for p in n.parameters():
                p.requires_grad_(flag)

    def step(self):
        ra, rb = self.real_a, self.real_b
        fake_b = self.GA(ra)
        rec_a = self.GB(fake_b)
        fake_a = self.GB(rb)
        rec_b = self.GA(fake_a)
        # G_A and G_B: adversarial + cycle (lambda 10) + identity (10 * 0.5)
        self.set_requires_grad([self.DA, self.DB], False)
        self.oG.zero_grad(set_to_none=True)
        loss_idt_a = F.l1_loss(self.GA(rb), rb) * 10 * 0.5
        loss_idt_b = F.l1_loss(self.GB(ra), ra) * 10 * 0.5
        loss_g = (self.gan_loss(self.DA(fake_b), 1.0) + self.gan_loss(self.DB(fake_a), 1.0)
                  + F.l1_loss(rec_a, ra) * 10 + F.l1_loss(rec_b, rb) * 10
                  + loss_idt_a + loss_idt_b)
        loss_g.backward()
        self.oG.step()
        # D_A and D_B: 1/2 (MSE(real, 1) + MSE(pooled fake, 0))
        self.set_requires_grad([self.DA, self.DB], True)
        self.oD.zero_grad(set_to_none=True)
        for D, real, pool, fake in ((self.DA, rb, self.pool_b, fake_b),
                                    (self.DB, ra, self.pool_a, fake_a)):
            f = pool.query(fake)
            loss_d = 0.5 * (self.gan_loss(D(real), 1.0) + self.gan_loss(D(f.detach()), 0.0))
            loss_d.backward()
        self.oD.step()


# ---- the BLAS reference: C = A.B, square, fp32 (cuBLAS on a GPU, MKL on a CPU) ----
def sgemm(a, dev):
    n = a.n
    x = torch.randn(n, n, device=dev)
    y = torch.randn(n, n, device=dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    reps = 20 if dev.type == "cuda" else 3
    for _ in range(2):
        torch.matmul(x, y)
    sync()
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.matmul(x, y)
        sync()
        rates.append(2.0 * n ** 3 * reps / (time.perf_counter() - t0) * 1e-9)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu_name()
    rec = {"impl": "pytorch", "model": f"sgemm{n}", "device": name, "gflops": round(statistics.median(rates), 1),
           "version": torch.__version__, "config": {"tf32": False if dev.type == "cuda" else None,
                                                    "blas": "cublas" if dev.type == "cuda" else blas_info()}}
    print(json.dumps(rec) if a.json else f"sgemm {n}: {rec['gflops']} GFLOP/s on {name}", flush=True)
    return 0


# ---- driver ------------------------------------------------------------------
def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def blas_info():
    """The BLAS PyTorch was built with (MKL, linked in, for PyPI wheels; OpenBLAS for
    Debian's python3-torch, which is where OPENBLAS_CORETYPE matters)."""
    cfg = torch.__config__.show()
    i = cfg.find("BLAS_INFO=")
    return cfg[i + 10:].split(",")[0] if i >= 0 else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=GAN_MODELS + CG_MODELS + ("sgemm",),
                    help="a workload, or sgemm: the vendor BLAS reference (torch.matmul, n x n)")
    ap.add_argument("--n", type=int, default=2048, help="sgemm size (default 2048)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default="cpu", help="cpu, cuda[:N] or nvidia (= cuda)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (default: cores)")
    ap.add_argument("--channels-last", action="store_true", help="NHWC memory format")
    ap.add_argument("--json", action="store_true", help="one JSON line on stdout")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    dev_s = "cuda" if a.device in ("nvidia", "gpu") else a.device
    dev = torch.device(dev_s)
    threads = a.threads or os.cpu_count() or 1
    if dev.type == "cpu":
        torch.set_num_threads(threads)
    else:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    if a.model == "sgemm":
        return sgemm(a, dev)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    cls = GanWorkload if a.model in GAN_MODELS else CycleGanWorkload
    w = cls(a.model, dev, fmt)

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for _ in range(a.warmup):
        w.step()
    sync()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        w.step()
        sync()
        times.append(time.perf_counter() - t0)

    med = statistics.median(times)
    if dev.type == "cuda":
        dname, plat = torch.cuda.get_device_name(dev), f"PyTorch CUDA {torch.version.cuda}"
    else:
        dname, plat = cpu_name(), "PyTorch CPU"
    env_keys = ("OMP_WAIT_POLICY", "OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    rec = {
        "impl": "pytorch", "model": a.model, "device": dname, "platform": plat,
        "batch": w.batch, "n_critic": w.n_critic, "steps": a.steps, "warmup": a.warmup,
        "median_s": round(med, 6), "min_s": round(min(times), 6), "max_s": round(max(times), 6),
        "gflop_per_step": None, "gflops": None, "version": torch.__version__,
        "config": {
            "threads": torch.get_num_threads() if dev.type == "cpu" else None,
            "channels_last": a.channels_last,
            "tf32": False if dev.type == "cuda" else None,
            "cudnn_benchmark": True if dev.type == "cuda" else None,
            "blas": blas_info(), "onednn": torch.backends.mkldnn.is_available(),
            "env": {k: os.environ[k] for k in env_keys if k in os.environ},
        },
    }
    if a.json:
        print(json.dumps(rec), flush=True)
    else:
        print(f"{a.model} on {dname} ({plat}, torch {torch.__version__}): batch {w.batch}, "
              f"{a.steps} steps after {a.warmup} warm-up")
        print(f"  step: median {med:.4f} s, min {min(times):.4f} s, max {max(times):.4f} s")
        print(f"  config: {json.dumps(rec['config'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
