#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Interop check between gan-cl's safetensors code and Python's `safetensors`.

    check_safetensors.py verify FILE   FILE was written by gan-cl
                                       (tests/test_safetensors.c): load it with
                                       the Python package, compare every tensor
                                       and metadata entry with the reference set
    check_safetensors.py write FILE    write the reference set with the Python
                                       package, for gan-cl to read back

The reference set is defined twice, here and in tests/test_safetensors.c
(reference_tensors); values are exactly representable so both sides compute
them bit for bit. Exit status 0 = identical, 1 = mismatch, 2 = usage or a
missing package: the calling test fails rather than skips.
"""
import json
import struct
import sys

try:
    import numpy as np
    from safetensors.numpy import load_file, save_file
except ImportError as e:  # the test must fail, not skip
    print(f"check_safetensors.py: {e} (pip install safetensors numpy)", file=sys.stderr)
    sys.exit(2)

METADATA = {
    "format": "pt",
    "model": "dcgan32",
    "config": '{"nz": 100, "ngf": 64}',
    "unicode": "h\u00e9llo \u2713",
}


def reference():
    i = lambda n: np.arange(n, dtype=np.int64)
    return {
        "w": (((i(105) * 37) % 1000 - 500) / 64.0).astype(np.float32).reshape(3, 5, 7),
        "h": (((i(24) % 64) - 32) / 8.0).astype(np.float16).reshape(4, 6),
        "idx": (i(5) * 1000003 - (1 << 40)).astype(np.int64),
        "i32": (-7 * i(6)).astype(np.int32).reshape(2, 3),
        "u8": ((i(17) * 3) & 255).astype(np.uint8),
        "d": ((i(3) + 1) / 3.0).astype(np.float64),
        "scalar": np.array(3.25, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


def verify(path):
    got = load_file(path)
    ref = reference()
    ok = True
    if sorted(got) != sorted(ref):
        print(f"{path}: tensors {sorted(got)} != {sorted(ref)}")
        ok = False
    for name, r in ref.items():
        g = got.get(name)
        if g is None:
            continue
        if g.dtype != r.dtype or g.shape != r.shape or not np.array_equal(g, r):
            print(f"{path}: tensor {name}: {g.dtype}{g.shape} differs from {r.dtype}{r.shape}")
            ok = False
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    if n % 8:
        print(f"{path}: header length {n} is not a multiple of 8")
        ok = False
    if header.get("__metadata__") != METADATA:
        print(f"{path}: metadata {header.get('__metadata__')} != {METADATA}")
        ok = False
    for name, info in header.items():
        if name == "__metadata__":
            continue
        size = np.dtype(ref[name].dtype).itemsize
        if info["data_offsets"][0] % size:
            print(f"{path}: tensor {name} is not aligned to its {size}-byte elements")
            ok = False
    print(f"{path}: {'identical' if ok else 'MISMATCH'} ({len(got)} tensors)")
    return 0 if ok else 1


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("verify", "write"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "verify":
        return verify(sys.argv[2])
    save_file(reference(), sys.argv[2], metadata=METADATA)
    return 0


if __name__ == "__main__":
    sys.exit(main())
