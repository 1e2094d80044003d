#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the PIL reference images of tests/test_dataset.c's preprocessing
parity test into tests/fixtures/data/xf_*.png plus xf_cases.txt.

Each case runs the reference implementation's transform code
(pytorch-CycleGAN-and-pix2pix data/base_dataset.py: Grayscale, Resize with
BICUBIC, __scale_width, __make_power_2, __crop, __flip) with fixed crop
positions and flips on two small input images, and saves the 8-bit result
(ToTensor/Normalize are exact from 8 bits and are tested separately).
The resize_center_crop cases are PyTorch's DCGAN example (Resize(size),
CenterCrop(size)): torchvision's size and crop arithmetic copied below, PIL's
BILINEAR doing the resampling; their crop_x/crop_y columns are the centre
position gan-cl must compute itself.

    build/venv/bin/python -m pip install pillow numpy
    build/venv/bin/python tools/gen_transform_fixtures.py tests/fixtures/data
"""
import os
import sys

import numpy as np
import PIL
from PIL import Image

BICUBIC = Image.BICUBIC


def pattern(w, h, c):
    """Noise plus edges and a gradient: exercises the negative kernel lobes
    and the clamping of the 8-bit fixed point path."""
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for k in range(c):
        noise = (x * 37 + y * 91 + k * 53) ^ (x * y + 7 * k)
        edge = np.where((x // 5 + y // 4 + k) % 2 == 0, 255, 0)
        grad = (x * 255) // max(w - 1, 1)
        planes.append(((noise & 255) * 2 + edge + grad) // 4 if k % 2 == 0 else (noise & 255))
    a = np.stack(planes, axis=-1).astype(np.uint8)
    return a[:, :, 0] if c == 1 else a


# --- base_dataset.py, verbatim where it matters ------------------------------
def scale_width(img, target_size, crop_size, method=BICUBIC):
    ow, oh = img.size
    if ow == target_size and oh >= crop_size:
        return img
    w = target_size
    h = int(max(target_size * oh / ow, crop_size))
    return img.resize((w, h), method)


def make_power_2(img, base, method=BICUBIC):
    ow, oh = img.size
    h = int(round(oh / base) * base)
    w = int(round(ow / base) * base)
    if h == oh and w == ow:
        return img
    return img.resize((w, h), method)


def crop(img, pos, size):
    ow, oh = img.size
    x1, y1 = pos
    tw = th = size
    if ow > tw or oh > th:
        return img.crop((x1, y1, x1 + tw, y1 + th))
    return img


# --- torchvision.transforms.functional, for PIL images ------------------------
def resize_short(img, size):
    """Resize(size): _compute_resized_output_size, then img.resize(BILINEAR)."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return img.resize((new_w, new_h), Image.BILINEAR)


def center_crop_pos(img, size):
    w, h = img.size
    return int(round((w - size) / 2.0)), int(round((h - size) / 2.0))


def transform(img, mode, load, crop_size, pos, flip, channels):
    if channels == 1:
        img = img.convert("L")
    if mode == "resize_center_crop":
        img = resize_short(img, crop_size)
        x, y = center_crop_pos(img, crop_size)
        assert (x, y) == pos, f"centre {x, y}, case says {pos}"
        return img.crop((x, y, x + crop_size, y + crop_size))
    if "resize" in mode:
        img = img.resize((load, load), BICUBIC)  # transforms.Resize([load, load], BICUBIC)
    elif "scale_width" in mode:
        img = scale_width(img, load, crop_size)
    if "crop" in mode:
        img = crop(img, pos, crop_size)
    if mode == "none":
        img = make_power_2(img, 4)
    if flip:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return img


# name, input, mode, load, crop, crop_x, crop_y, flip, channels
CASES = [
    ("rac", "rgb", "resize_and_crop", 48, 40, 3, 5, 1, 3),
    ("rac_grey", "rgb", "resize_and_crop", 48, 40, 8, 0, 0, 1),
    ("rac_down", "rgb", "resize_and_crop", 19, 16, 2, 1, 0, 3),
    ("crop", "rgb", "crop", 0, 24, 7, 2, 0, 3),
    ("crop_flip", "grey", "crop", 0, 20, 9, 6, 1, 1),
    ("sw", "rgb", "scale_width", 40, 24, 0, 0, 0, 3),
    ("sw_down", "rgb", "scale_width", 17, 24, 0, 0, 1, 3),
    ("swc", "rgb", "scale_width_and_crop", 40, 24, 5, 1, 1, 3),
    ("none", "rgb", "none", 0, 0, 0, 0, 0, 3),
    ("none_even", "grey", "none", 0, 0, 0, 0, 1, 1),
    ("up3", "grey", "resize_and_crop", 90, 90, 0, 0, 0, 1),
    ("down3", "rgb", "resize_and_crop", 11, 11, 0, 0, 0, 3),
    ("rcc", "rgb", "resize_center_crop", 0, 24, 5, 0, 0, 3),
    ("rcc_half", "rgb", "resize_center_crop", 0, 20, 4, 0, 0, 3),
    ("rcc_grey", "rgb", "resize_center_crop", 0, 16, 4, 0, 0, 1),
    ("rcc_up", "grey", "resize_center_crop", 0, 40, 3, 0, 0, 1),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/data"
    inputs = {"rgb": Image.fromarray(pattern(45, 31, 3), "RGB"),
              "grey": Image.fromarray(pattern(30, 26, 1), "L")}
    for name, img in inputs.items():
        img.save(os.path.join(out, f"xf_in_{name}.png"))
    lines = ["# xf_cases.txt: made by tools/gen_transform_fixtures.py with Pillow "
             f"{PIL.__version__}, numpy {np.__version__}",
             "# name input preprocess load crop crop_x crop_y flip channels"]
    for c in CASES:
        name, inp, mode, load, cs, cx, cy, flip, ch = c
        img = transform(inputs[inp], mode, load, cs, (cx, cy), flip, ch)
        img.save(os.path.join(out, f"xf_{name}.png"))
        lines.append(" ".join(str(v) for v in c))
    with open(os.path.join(out, "xf_cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
