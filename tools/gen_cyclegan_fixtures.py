#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference values for gan-cl's CycleGAN generators, from PyTorch.

    gen_cyclegan_fixtures.py fixtures [DIR]   writes DIR (default
        tests/fixtures/cyclegan_unet128): G_A.safetensors, a reference
        UnetGenerator(1, 1, 7, ngf=1, norm batch) state_dict with random
        weights and running statistics (reference names, no gan-cl metadata:
        the models suite converts it with tools/convert_cyclegan_pth.py);
        input.png (128x128 grey); expected.safetensors, tensor "fake"
        (1, 128, 128): the net's eval-mode output on it. Also
        tests/fixtures/cyclegan_d.safetensors: a PixelDiscriminator(3, ndf 3)
        ("pixel.*") and an NLayerDiscriminator(3, ndf 2, n_layers 2)
        ("nlayer.*"), batch norm with random weights and running statistics,
        an input each, their eval- and train-mode outputs and the running
        statistics after the train-mode forward ("<net>_after.*"), for
        tests/test_cyclegan.c.
    gen_cyclegan_fixtures.py check GANCL_BIN [--device SEL]
        end to end for every generator: a random reference net saved as .pth,
        converted, run by `gan-cl translate --raw`, compared with PyTorch's
        eval-mode output (max |diff| <= 1e-4 on [-1, 1] outputs). Exit 1 on a
        mismatch.

Needs PyTorch (tools/cyclegan_torch.py holds the reference networks).
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_cyclegan_pth  # noqa: E402
from cyclegan_torch import generator, randomise  # noqa: E402

TOL = 1e-4


def write_png(path, img):
    """img: (H, W) or (H, W, C) uint8, written without filters."""
    h, w = img.shape[:2]
    c = 1 if img.ndim == 2 else img.shape[2]
    color = {1: 0, 3: 2}[c]
    raw = b"".join(b"\0" + img[y].tobytes() for y in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def test_image(size, channels, seed):
    """A smooth pattern with some noise (compresses well, exercises every pixel)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    rng = np.random.default_rng(seed)
    planes = [127.5 + 90 * np.sin(x / (5 + 2 * c)) * np.cos(y / (7 + c)) + rng.uniform(-25, 25, x.shape)
              for c in range(channels)]
    img = np.clip(np.rint(np.stack(planes, -1)), 0, 255).astype(np.uint8)
    return img[..., 0] if channels == 1 else img


def reference_output(net, img):
    x = torch.from_numpy(img.astype(np.float32) / 127.5 - 1.0)
    x = x[None, None] if img.ndim == 2 else x.permute(2, 0, 1)[None]
    with torch.no_grad():
        return net.eval()(x)[0].numpy()


def save_plain(path, net):
    from safetensors.numpy import save_file
    sd = {k: v.numpy() for k, v in net.state_dict().items() if v.dtype.is_floating_point}
    save_file(sd, path)


def discriminators(path):
    from cyclegan_torch import NLayerDiscriminator, PixelDiscriminator
    from safetensors.numpy import save_file
    gen = torch.Generator().manual_seed(20260602)
    out = {}
    for name, net, side in (("pixel", PixelDiscriminator(3, 3, "batch"), 16),
                            ("nlayer", NLayerDiscriminator(3, 2, 2, "batch"), 32)):
        randomise(net, gen)
        for k, v in net.state_dict().items():
            if k.endswith("num_batches_tracked"):
                continue
            stat = k.endswith(("running_mean", "running_var"))
            out[f"{name}.buffers.{k}" if stat else f"{name}.{k}"] = v.numpy().copy()
        x = torch.rand((1, 3, side, side), generator=gen) * 2 - 1
        out[f"{name}.input"] = x.numpy()
        with torch.no_grad():
            out[f"{name}.expected_eval"] = net.eval()(x).numpy()
            out[f"{name}.expected_train"] = net.train()(x).numpy()
        for k, v in net.state_dict().items():
            if k.endswith(("running_mean", "running_var")):
                out[f"{name}_after.{k}"] = v.numpy().copy()
    save_file(out, path)
    print(f"wrote {path}")


def fixtures(out):
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(20260601)
    net = randomise(generator("unet_128", 1, 1, 1, "batch"), gen)
    img = test_image(128, 1, 7)
    save_plain(os.path.join(out, "G_A.safetensors"), net)
    write_png(os.path.join(out, "input.png"), img)
    from safetensors.numpy import save_file
    save_file({"fake": reference_output(net, img)}, os.path.join(out, "expected.safetensors"))
    print(f"wrote {out}")


# (netG, norm, ngf, channels, image side, dropout)
CASES = [
    ("resnet_6blocks", "instance", 4, 3, 32, False),
    ("resnet_9blocks", "batch", 2, 1, 32, True),
    ("resnet_6blocks", "none", 2, 3, 32, False),
    ("unet_128", "batch", 2, 3, 128, True),
    ("unet_128", "instance", 1, 1, 128, False),
    ("unet_256", "none", 1, 1, 256, False),
]


def check(binary, device):
    from safetensors.numpy import load_file
    worst, failed = 0.0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (net_g, norm, ngf, nc, side, drop) in enumerate(CASES):
            gen = torch.Generator().manual_seed(100 + i)
            net = randomise(generator(net_g, nc, nc, ngf, norm, drop), gen)
            pth = os.path.join(tmp, f"case{i}_net_G_A.pth")
            torch.save(net.state_dict(), pth)
            ck = os.path.join(tmp, f"case{i}.safetensors")
            if convert_cyclegan_pth.main([pth, "--out", ck]) != 0:
                return 1
            img = test_image(side, nc, i)
            src = os.path.join(tmp, f"in{i}.png")
            write_png(src, img)
            cmd = [binary, "translate", "--checkpoint", ck, "--in", src, "--out", tmp, "--raw"]
            if device:
                cmd += ["--device", device]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            ours = load_file(os.path.join(tmp, f"in{i}_fake.safetensors"))["fake"]
            ref = reference_output(net, img)
            diff = float(np.abs(ours - ref).max())
            live = float((np.abs(ref) < 0.95).mean())  # unsaturated share and spread:
            spread = float(ref.std())                 # the comparison has teeth
            worst = max(worst, diff)
            ok = diff <= TOL
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {net_g:15s} norm {norm:8s} ngf {ngf} {nc} ch {side:3d} px"
                  f"{' dropout' if drop else ''}: max |gan-cl - PyTorch| = {diff:.3g} "
                  f"({100 * live:.0f}% of outputs in (-0.95, 0.95), std {spread:.2f})")
    print(f"{len(CASES) - failed}/{len(CASES)} within {TOL:g} (worst {worst:.3g})")
    return 1 if failed else 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "fixtures":
        here = os.path.dirname(os.path.abspath(__file__))
        fixtures(sys.argv[2] if len(sys.argv) > 2 else
                 os.path.join(here, "..", "tests", "fixtures", "cyclegan_unet128"))
        discriminators(os.path.join(here, "..", "tests", "fixtures", "cyclegan_d.safetensors"))
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        device = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--device" else None
        return check(sys.argv[2], device)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
