#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tools/eval_ref.py FEATURES.safetensors — numpy/scipy reference for
# host/eval/ (the C metrics), run by tests/test_eval.c on the same feature
# file; prints one JSON object. Tensors: real (nr, d), fake (nf, d) and,
# optionally, logits (nf, classes), all F32.
#
# Each metric follows its reference implementation's code, not gan-cl's:
#   FID  pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of
#        S1 S2 with its eps retry); np.cov (N-1)
#   IS   torch-fidelity's isc_featuresdict_to_metric without the shuffle
#   KID  torch-fidelity's mmd2 / polynomial kernel, subsets from gan-cl's
#        splitmix64 sampler (reimplemented below) instead of RandomState
#   P&R  Kynkaenniemi et al. (k = 3), D&C Naeem et al.'s prdc (k = 5), both
#        with <= radius and squared distances
import json
import sys
import warnings

import numpy as np
from safetensors.numpy import load_file
from scipy import linalg

M64 = (1 << 64) - 1
GOLD = 0x9E3779B97F4A7C15


def splitmix64(state):
    state[0] = (state[0] + GOLD) & M64
    z = state[0]
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def kid_subset(seed, subset, which, n, size):
    """gc_eval_kid_subset: partial Fisher-Yates driven by splitmix64."""
    state = [(seed ^ (((2 * subset + which) * GOLD) & M64)) & M64]
    work = list(range(n))
    for i in range(size):
        j = i + splitmix64(state) % (n - i)
        work[i], work[j] = work[j], work[i]
    return np.array(work[:size])


def fid(a, b, eps=1e-6):
    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    diff = mu1 - mu2
    with warnings.catch_warnings():  # scipy >= 1.16 deprecates disp, pytorch-fid passes it
        warnings.simplefilter("ignore", DeprecationWarning)
        covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * eps
        covmean = linalg.sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("imaginary component %g" % np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    # the eigenvalue route gan-cl takes, as a second opinion on sqrtm
    w1, v1 = np.linalg.eigh(s1)
    h = (v1 * np.sqrt(np.clip(w1, 0, None))) @ v1.T
    w = np.linalg.eigvalsh(h @ s2 @ h)
    tr_eig = np.sqrt(np.clip(w, 0, None)).sum()
    base = diff.dot(diff) + np.trace(s1) + np.trace(s2)
    return base - 2 * np.trace(covmean), base - 2 * tr_eig


def inception_score(logits, splits=10):
    x = logits.astype(np.float64)
    x = x - x.max(axis=1, keepdims=True)
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    n, scores = len(x), []
    for i in range(splits):
        pc, lpc = p[i * n // splits:(i + 1) * n // splits], log_p[i * n // splits:(i + 1) * n // splits]
        log_q = np.log(pc.mean(axis=0, keepdims=True))
        scores.append(np.exp((pc * (lpc - log_q)).sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def kid(a, b, subsets, size, seed=2020):
    def kern(x, y):
        return (x @ y.T / x.shape[1] + 1) ** 3
    mmds = []
    for s in range(subsets):
        x = a[kid_subset(seed, s, 0, len(a), size)]
        y = b[kid_subset(seed, s, 1, len(b), size)]
        kxx, kyy, kxy = kern(x, x), kern(y, y), kern(x, y)
        m = size
        mmds.append((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                    - 2 * kxy.sum() / (m * m))
    return float(np.mean(mmds)), float(np.std(mmds))


def sqdist(a, b):
    d = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0)


def kth(a, k):
    d = sqdist(a, a)
    np.fill_diagonal(d, 0)
    return np.sort(d, axis=1)[:, k]  # (k+1)-th smallest, counting the point itself


def prdc(real, fake, k_pr=3, k_dc=5):
    rr3, rr5, rf3 = kth(real, k_pr), kth(real, k_dc), kth(fake, k_pr)
    d = sqdist(real, fake)  # (nr, nf)
    return {
        "precision": float((d <= rr3[:, None]).any(axis=0).mean()),
        "recall": float((d <= rf3[None, :]).any(axis=1).mean()),
        "density": float((d <= rr5[:, None]).sum() / (k_dc * d.shape[1])),
        "coverage": float((d.min(axis=1) <= rr5).mean()),
    }


def main():
    t = load_file(sys.argv[1])
    real, fake = t["real"].astype(np.float64), t["fake"].astype(np.float64)
    f_sqrtm, f_eig = fid(real, fake)
    size = min(1000, len(real), len(fake))
    kid_mean, kid_std = kid(real, fake, 100, size)
    out = {"fid": float(f_sqrtm), "fid_eig": float(f_eig), "kid_mean": kid_mean,
           "kid_std": kid_std, "kid_subset_size": size}
    out.update(prdc(real, fake))
    if "logits" in t:
        out["is_mean"], out["is_std"] = inception_score(t["logits"])
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
