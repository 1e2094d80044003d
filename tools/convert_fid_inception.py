#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Converts pytorch-fid's Inception weights (pt_inception-2015-12-05-6726825d.pth,
a torch.save'd state_dict of its FID Inception-v3) to the safetensors file
`gan-cl eval --features inception:FILE` reads.

Every floating-point tensor is written as little-endian F32 under its
state_dict name (Conv2d_1a_3x3.conv.weight, Mixed_5b.branch_pool.bn.running_var,
fc.weight, ...); integer bookkeeping (BatchNorm's num_batches_tracked) is
dropped. The file must look like pytorch-fid's network (fc.weight of shape
(1008, 2048), Mixed_7c present), otherwise nothing is written.

Needs torch (only to unpickle the .pth) and numpy.
Usage: python3 tools/convert_fid_inception.py IN.pth OUT.safetensors
"""
import json
import os
import struct
import sys

import numpy as np
import torch


def load(path):
    sd = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        raise SystemExit("%s: not a state_dict (a %s)" % (path, type(sd).__name__))
    out = {}
    for name, t in sd.items():
        if torch.is_tensor(t) and t.is_floating_point():
            out[name] = np.ascontiguousarray(t.detach().to(torch.float32).numpy())
    fc = out.get("fc.weight")
    if fc is None or fc.shape != (1008, 2048) or "Mixed_7c.branch_pool.conv.weight" not in out:
        raise SystemExit("%s: not pytorch-fid's Inception-v3 state_dict (need fc.weight "
                         "(1008, 2048) and Mixed_7c.*)" % path)
    return out


def save(tensors, path):
    header, offset = {}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    header["__metadata__"] = {"format": "pytorch-fid inception-v3 (FID variant)",
                              "source": os.path.basename(sys.argv[1])}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for a in tensors.values():
            f.write(a.astype("<f4", copy=False).tobytes())
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: convert_fid_inception.py IN.pth OUT.safetensors")
    tensors = load(sys.argv[1])
    save(tensors, sys.argv[2])
    n = sum(a.size for a in tensors.values())
    print("%s: %d tensors, %d parameters" % (sys.argv[2], len(tensors), n))


if __name__ == "__main__":
    main()
