"""Checks the Spark example job against ./jconv run, picture by picture, on a folder this script draws at random
(sizes 5..80 pixels, PNG, JPEG, BMP, RGBA and palette PNGs), and against PyTorch's F.conv2d when torch is there.

    /usr/bin/python3 spark/examples/verify_against_run.py [--pictures 24] [--seed N] [--work DIR]

Each picture is decoded with Pillow, as torchvision's ToTensor does (RGB, stored values / 255), saved as a
(1, 3, H, W) .npy and run through ./jconv run with the same weight, bias and options as the Spark job; the
job's OUT/<name>.npy must match within the fp32 tolerance, max |spark - run| <= 1e-4 * max(1, max |run|).
Prints one line per picture and a summary; exits 1 on any mismatch."""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

root = Path(__file__).resolve().parents[2]
ap = argparse.ArgumentParser()
ap.add_argument("--pictures", type=int, default=24)
ap.add_argument("--seed", type=int, default=None)
ap.add_argument("--work", type=Path, default=None)
args = ap.parse_args()
seed = args.seed if args.seed is not None else int.from_bytes(__import__("os").urandom(4), "little")
rng = np.random.default_rng(seed)
work = args.work or Path(tempfile.mkdtemp(prefix="jconv-spark-verify-"))
pictures = work / "pictures"
pictures.mkdir(parents=True)

kinds = ["png", "jpg", "bmp", "rgba.png", "palette.png"]
for i in range(args.pictures):
    h, w = (int(v) for v in rng.integers(5, 81, size=2))
    pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    kind = kinds[i % len(kinds)]
    name = pictures / f"p{i:03d}.{kind.split('.')[-1]}"
    if kind == "rgba.png":
        alpha = rng.integers(0, 256, size=(h, w, 1), dtype=np.uint8)
        Image.fromarray(np.concatenate([pixels, alpha], axis=2), "RGBA").save(name)
    elif kind == "palette.png":
        Image.fromarray(pixels).quantize(colors=16).save(name)
    elif kind == "jpg":
        Image.fromarray(pixels).save(name, quality=90)
    else:
        Image.fromarray(pixels).save(name)

weight = rng.uniform(-1, 1, size=(8, 3, 3, 3)).astype(np.float32)
bias = rng.uniform(-1, 1, size=(8,)).astype(np.float32)
np.save(work / "weight.npy", weight)
np.save(work / "bias.npy", bias)
conv = ["--stride", "2,1", "--padding", "1", "--dilation", "1,2", "--padding-mode", "reflect"]

out = work / "out"
subprocess.run([str(root / "spark" / "run-example.sh"), "--images", str(pictures), "--weight", str(work / "weight.npy"),
                "--bias", str(work / "bias.npy"), *conv, "--output", str(out)], check=True)

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

failures = 0
worst = 0.0
for picture in sorted(pictures.iterdir()):
    x = np.asarray(Image.open(picture).convert("RGB"), dtype=np.float32) / 255
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
    np.save(work / "x.npy", x)
    subprocess.run([str(root / "jconv"), "run", "--input", str(work / "x.npy"), "--weight", str(work / "weight.npy"),
                    "--bias", str(work / "bias.npy"), *conv, "--output", str(work / "y.npy")], check=True,
                   stdout=subprocess.DEVNULL)
    ran = np.load(work / "y.npy")
    spark = np.load(out / (picture.stem + ".npy"))
    same_shape = ran.shape == spark.shape
    diff = float(np.max(np.abs(spark - ran))) if same_shape else float("inf")
    ok = same_shape and not np.isnan(spark).any() and diff <= 1e-4 * max(1.0, float(np.max(np.abs(ran))))
    line = f"{picture.name:16s} {str(spark.shape):18s} max|spark - run| = {diff:.3g}"
    if torch is not None:
        t = F.conv2d(F.pad(torch.from_numpy(x), (1, 1, 1, 1), mode="reflect"), torch.from_numpy(weight),
                     torch.from_numpy(bias), stride=(2, 1), dilation=(1, 2)).numpy()
        line += f"   max|spark - torch| = {float(np.max(np.abs(spark - t))):.3g}"
    print(line + ("" if ok else "   MISMATCH"))
    worst = max(worst, diff)
    failures += not ok
print(f"{args.pictures} pictures (seed {seed}, in {work}): {args.pictures - failures} match ./jconv run, "
      f"worst max|spark - run| = {worst:.3g}")
sys.exit(1 if failures else 0)
