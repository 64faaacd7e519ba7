#!/usr/bin/env python3
"""PyTorch's own CUDA conv2d on the layers jconv's GPU benchmark times: the peer to compare against.

Times torch.nn.functional.conv2d (cuDNN) in fp32 with TF32 off, on the same shapes as
dev.jconv.cuda.PtxBenchmark (layers.csv), with CUDA events around each call after a warm-up, and
writes the median per layer and batch as CSV. cuDNN's algorithm choice is PyTorch's default
(heuristic, benchmark off) unless --cudnn-benchmark is given.

Usage: pytorch_cuda_peer.py [--layers layers.csv] [--batches 1,32] [--warmup 10] [--iters 50]
                            [--cudnn-benchmark] [--out peer.csv]
"""
import argparse
import csv
import os
import statistics
import sys


def read_layers(path):
    with open(path, newline="") as f:
        rows = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(rows))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", default=os.path.join(here, "layers.csv"))
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--cudnn-benchmark", action="store_true")
    ap.add_argument("--out", default="-")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F

    if not torch.cuda.is_available():
        print("pytorch_cuda_peer: torch.cuda is not available", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    dev = torch.device("cuda")
    print(f"# torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(dev)}, fp32, TF32 off, cudnn.benchmark={args.cudnn_benchmark}",
          file=sys.stderr)

    out = sys.stdout if args.out == "-" else open(args.out, "w", newline="")
    w = csv.writer(out)
    w.writerow(["suite", "name", "batch", "torch_ms_median", "torch_tflops"])
    torch.manual_seed(0)
    for layer in read_layers(args.layers):
        c, k, r = int(layer["in_channels"]), int(layer["out_channels"]), int(layer["kernel"])
        s, p, g = int(layer["stride"]), int(layer["padding"]), int(layer["groups"])
        h, wd = int(layer["height"]), int(layer["width"])
        for n in (int(b) for b in args.batches.split(",")):
            x = torch.randn(n, c, h, wd, device=dev, dtype=torch.float32)
            weight = torch.randn(k, c // g, r, r, device=dev, dtype=torch.float32)
            for _ in range(args.warmup):
                y = F.conv2d(x, weight, None, s, p, 1, g)
            torch.cuda.synchronize()
            times = []
            for _ in range(args.iters):
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                y = F.conv2d(x, weight, None, s, p, 1, g)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            ms = statistics.median(times)
            flops = 2.0 * n * k * y.shape[2] * y.shape[3] * (c // g) * r * r
            w.writerow([layer["suite"], layer["name"], n, f"{ms:.5f}", f"{flops / ms / 1e9:.3f}"])
            out.flush()
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
