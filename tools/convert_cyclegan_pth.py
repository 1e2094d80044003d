#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Converts reference CycleGAN generators to a gan-cl checkpoint.

    convert_cyclegan_pth.py [--G_A FILE] [--G_B FILE] [FILE ...] --out OUT.safetensors
                            [--netG NAME] [--norm KIND] [--use_dropout] [--crop_size N]

FILE is a generator state_dict of junyanz/pytorch-CycleGAN-and-pix2pix
(checkpoints/NAME/latest_net_G_A.pth, or a pretrained model's NAME.pth): a
.pth (needs PyTorch) or a .safetensors holding the same names (numpy and
safetensors only). A positional FILE is netG_A unless its name contains
"G_B". The output holds netG_A / netG_B under the reference names
(netG_A.model.1.weight; batch-norm statistics under netG_A.buffers.*) and the
configuration gan-cl needs to rebuild the architecture, derived from the keys
and shapes (netG, ngf, channels, norm; --netG/--norm override). Then:

    gan-cl translate --checkpoint OUT.safetensors --in photos/ --out fakes/ [--direction BtoA]

Exit status: 0 converted, 1 the state_dict is not a reference generator, 2 usage.
"""
import argparse
import json
import os
import re
import struct
import sys

import numpy as np


def load_state_dict(path):
    if path.endswith(".safetensors"):
        from safetensors.numpy import load_file
        return dict(load_file(path))
    try:
        import torch
    except ImportError:
        sys.exit(f"{path}: reading .pth needs PyTorch (or convert it to .safetensors first)")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    if hasattr(sd, "state_dict"):
        sd = sd.state_dict()
    return {k: v.float().numpy() for k, v in sd.items() if v.dtype.is_floating_point}


def clean(sd):
    """DataParallel's "module." prefix off; num_batches_tracked (an int
    counter gan-cl does not keep) and the stale InstanceNorm running stats of
    pre-0.4 checkpoints (the reference's __patch_instance_norm_state_dict) dropped."""
    out = {}
    for k, v in sd.items():
        k = k[7:] if k.startswith("module.") else k
        if k.endswith("num_batches_tracked"):
            continue
        out[k] = np.ascontiguousarray(v, dtype=np.float32)
    if not any(k.endswith(".weight") and v.ndim == 1 for k, v in out.items()):
        out = {k: v for k, v in out.items() if not k.endswith(("running_mean", "running_var"))}
    return out


class NotAGenerator(Exception):
    pass


def describe(sd, path):
    """netG, ngf, input_nc, output_nc, norm and dropout from the keys."""
    if "model.model.0.weight" in sd:  # UnetGenerator: count the nested blocks
        downs, prefix = 1, "model.model.1"
        while f"{prefix}.model.1.weight" in sd:
            downs, prefix = downs + 1, prefix + ".model.3"
        net = {7: "unet_128", 8: "unet_256"}.get(downs)
        first, last = sd["model.model.0.weight"], sd["model.model.3.weight"]
        out_nc, probe = last.shape[1], "model.model.0.bias"
        dropout = None  # Dropout has no parameters: not visible in the keys
    elif "model.1.weight" in sd and "model.10.conv_block.1.weight" in sd:
        blocks = {int(m.group(1)) for k in sd if (m := re.match(r"model\.(\d+)\.conv_block\.", k))}
        net = {6: "resnet_6blocks", 9: "resnet_9blocks"}.get(len(blocks))
        first = sd["model.1.weight"]
        last = sd[f"model.{17 + len(blocks)}.weight"] if net else None
        out_nc, probe = (last.shape[0] if last is not None else 0), "model.1.bias"
        dropout = "model.10.conv_block.6.weight" in sd
    else:
        raise NotAGenerator(f"{path}: not a reference ResnetGenerator or UnetGenerator state_dict")
    if net is None:
        raise NotAGenerator(f"{path}: a generator gan-cl does not have (resnet 6/9 blocks, unet 128/256)")
    batch = any(k.endswith("running_mean") for k in sd)
    norm = "batch" if batch else "instance" if probe in sd else "none"
    return {"netG": net, "ngf": int(first.shape[0]), "input_nc": int(first.shape[1]),
            "output_nc": int(out_nc), "norm": norm, "use_dropout": bool(dropout)}


def config(desc, args, source):
    c = {"model": "cyclegan", "seed": "0", "size": args.crop_size, "ndf": 64, "n_layers_D": 3,
         "pool_size": 50, "n_epochs": 100, "n_epochs_decay": 100, "lr": 2e-4, "beta1": 0.5,
         "beta2": 0.999, "lambda_A": 10, "lambda_B": 10, "lambda_identity": 0.5,
         "netD": "basic", "gan_mode": "lsgan", "init_type": "normal", "init_gain": 0.02,
         "lambda_gp": 10}
    c.update({k: desc[k] for k in ("netG", "ngf", "input_nc", "output_nc", "norm", "use_dropout")})
    if args.netG:
        c["netG"] = args.netG
    if args.norm:
        c["norm"] = args.norm
    c["use_dropout"] = c["use_dropout"] or args.use_dropout
    return c


def write_safetensors(path, tensors, meta):
    """The format, by hand: 8-byte header length, JSON header, raw data."""
    header, offset, blobs = {"__metadata__": meta}, 0, []
    for name in sorted(tensors):
        a = tensors[name].astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def group_tensors(group, sd):
    out = {}
    for k, v in sd.items():
        stat = k.endswith(("running_mean", "running_var"))
        out[f"{group}.buffers.{k}" if stat else f"{group}.{k}"] = v
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="generator state_dicts (netG_A unless named *G_B*)")
    ap.add_argument("--G_A", help="state_dict of netG_A (A -> B)")
    ap.add_argument("--G_B", help="state_dict of netG_B (B -> A)")
    ap.add_argument("--out", required=True, help="gan-cl checkpoint to write (.safetensors)")
    ap.add_argument("--netG", choices=["resnet_6blocks", "resnet_9blocks", "unet_128", "unet_256"])
    ap.add_argument("--norm", choices=["instance", "batch", "none"])
    ap.add_argument("--use_dropout", action="store_true",
                    help="record U-Net dropout (not visible in the keys; inference ignores it)")
    ap.add_argument("--crop_size", type=int, default=256, help="recorded image size (default 256)")
    args = ap.parse_args(argv)
    inputs = {}
    for f in args.files:
        inputs["netG_B" if "G_B" in os.path.basename(f) else "netG_A"] = f
    if args.G_A:
        inputs["netG_A"] = args.G_A
    if args.G_B:
        inputs["netG_B"] = args.G_B
    if not inputs:
        ap.error("no input state_dict")
    tensors, cfg = {}, None
    try:
        for group, path in sorted(inputs.items()):
            sd = clean(load_state_dict(path))
            c = config(describe(sd, path), args, path)
            if group == "netG_B":  # netG_B maps output_nc -> input_nc
                c["input_nc"], c["output_nc"] = c["output_nc"], c["input_nc"]
            if cfg and any(cfg[k] != c[k] for k in ("netG", "ngf", "norm", "input_nc", "output_nc")):
                raise NotAGenerator(f"{path}: a different architecture from {inputs['netG_A']}")
            cfg = c
            tensors.update(group_tensors(group, sd))
    except NotAGenerator as e:
        print(f"convert_cyclegan_pth.py: {e}", file=sys.stderr)
        return 1
    meta = {"format": "gan-cl-cyclegan-1", "config": json.dumps(cfg),
            "converted_from": ", ".join(f"{g}={os.path.basename(p)}" for g, p in sorted(inputs.items()))}
    write_safetensors(args.out, tensors, meta)
    print(f"{args.out}: {', '.join(sorted(inputs))} ({cfg['netG']}, ngf {cfg['ngf']}, "
          f"norm {cfg['norm']}, {cfg['input_nc']} -> {cfg['output_nc']} channels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
