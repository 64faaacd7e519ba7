#!/usr/bin/python3
"""The seed's SimpleCNN on jconv's cpu backend next to PyTorch's CPU, same machine, same thread count, same run.

For each batch size it times PyTorch's forward pass of SimpleCNN (eval, no_grad, uniform random input, warm-up,
then timed runs for --seconds, median) and runs `jconv model --spec ... --input-shape N,3,28,28 --bench S`, which
reports jconv's fused network, the unfused network and every layer alone (medians of interleaved rounds). It
prints and optionally writes (--markdown) per batch: both medians, the ratio PyTorch time / jconv time (above 1:
jconv is faster), and jconv's fused network against the sum of its layers alone.

The machines this runs on are shared and noisy: the two sides alternate per batch size and --rounds repeats that,
each side's median over the rounds is reported. Compare ratios, not absolute times.

Usage (from the repository root; needs PyTorch, e.g. Debian's python3-torch as /usr/bin/python3):
  benchmarks/network_side_by_side.py --threads 2 --rounds 2 --markdown benchmarks/results/out.md
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SPEC = os.path.join(ROOT, "src", "engine", "src", "test", "resources", "networks", "simple_cnn", "spec.txt")


class SimpleCNN(nn.Module):
    """Seed 000's network, as the article writes it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=32, kernel_size=3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(self.relu1(self.conv1(x)))
        x = self.pool(self.relu2(self.conv2(x)))
        return self.fc(x.view(-1, 64 * 7 * 7))


def pytorch_median_ms(model, batch, seconds):
    x = torch.rand(batch, 3, 28, 28) * 2 - 1
    with torch.no_grad():
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            model(x)
        times = []
        end = time.perf_counter() + seconds
        while len(times) < 5 or time.perf_counter() < end:
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def jconv_times(batch, seconds, threads):
    cmd = os.environ.get("JCONV", os.path.join(ROOT, "jconv")).split()
    env = dict(os.environ, JCONV_THREADS=str(threads))
    out = subprocess.run(cmd + ["model", "--spec", SPEC, "--backend", "cpu", "--input-shape", "%d,3,28,28" % batch,
                                "--bench", str(seconds)], capture_output=True, text=True, env=env, check=True).stdout
    def grab(label):
        return float(re.search(r"time: " + label + r"\s+([0-9.]+) ms", out).group(1))
    return {"fused": grab("network, fused"), "unfused": grab("network, unfused"),
            "sum": grab("layers alone, sum")}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--batch", type=int, action="append")
    p.add_argument("--markdown")
    a = p.parse_args()
    batches = a.batch or [1, 64]
    torch.set_num_threads(a.threads)
    model = SimpleCNN().eval()
    torch_ms = {b: [] for b in batches}
    jconv = {b: [] for b in batches}
    for _ in range(a.rounds):
        for b in batches:
            torch_ms[b].append(pytorch_median_ms(model, b, a.seconds))
            jconv[b].append(jconv_times(b, a.seconds, a.threads))
    lines = ["# SimpleCNN (seed 000) forward: jconv cpu vs PyTorch CPU", "",
             "%s, %s, %d thread(s), PyTorch %s, %d round(s) of %.1f s per side and batch size; medians over rounds."
             % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cpu_model(),
                a.threads, torch.__version__, a.rounds, a.seconds),
             "Load average at the end: %s (a shared 2-core machine: compare ratios, not absolute times)."
             % (" ".join("%.1f" % v for v in os.getloadavg())), "",
             "| batch | PyTorch ms | jconv fused ms | PyTorch / jconv | jconv unfused ms | jconv layers alone, sum ms"
             " | fused / sum |", "|---|---|---|---|---|---|---|"]
    for b in batches:
        t = statistics.median(torch_ms[b])
        f = statistics.median(r["fused"] for r in jconv[b])
        u = statistics.median(r["unfused"] for r in jconv[b])
        s = statistics.median(r["sum"] for r in jconv[b])
        lines.append("| %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |" % (b, t, f, t / f, u, s, f / s))
    text = "\n".join(lines) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
