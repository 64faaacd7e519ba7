#!/usr/bin/python3
"""A network on jconv's cpu backend next to PyTorch's CPU, same machine, same thread count, same run.

The network is a `jconv model` spec (one module per line, PyTorch constructor syntax; default: the seed's
SimpleCNN on 3x28x28 inputs); PyTorch runs the same modules as an nn.Sequential (SimpleCNN as the article writes
it). For each batch size it times PyTorch's forward pass (eval, no_grad, uniform random input and weights, warm-up,
then timed runs for --seconds, median) two ways and takes the faster (see pytorch_routes), and runs `jconv model --spec ... --input-shape N,C,H,W --bench S`, which
reports jconv's fused network, the unfused network and every layer alone (medians of interleaved rounds). It
prints and optionally writes (--markdown) per batch: both medians, the ratio PyTorch time / jconv time (above 1:
jconv is faster), and jconv's fused network against the sum of its layers alone.

benchmarks/networks/vgg16_features.txt is VGG-16's convolutional part (13 3x3 convolutions, 64 to 512 channels on
224x224 to 14x14): a real network whose layers repeat shapes with different weights, so it also times what a
single-layer benchmark never sees, several weight versions on one cached plan.

The machines this runs on are shared and noisy: the two sides alternate per batch size and --rounds repeats that,
each side's median over the rounds is reported. Compare ratios, not absolute times.

Usage (from the repository root; needs PyTorch, e.g. Debian's python3-torch as /usr/bin/python3):
  benchmarks/network_side_by_side.py --threads 2 --rounds 2 --markdown benchmarks/results/out.md
  benchmarks/network_side_by_side.py --spec benchmarks/networks/vgg16_features.txt --input-shape 3,224,224 --batch 1 \
      --plan-cache-bytes 4000000000
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


def sequential(spec):
    """The spec's modules as an nn.Sequential: 'name: Conv2d(...)' lines; '#' comments, 'Name(' and ')' skipped."""
    modules = []
    with open(spec) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line or line == ")" or (line.endswith("(") and ":" not in line):
                continue
            modules.append(eval(line.split(":", 1)[1], {"__builtins__": {}}, vars(nn)))
    return nn.Sequential(*modules)


def pytorch_routes(model, shape):
    """PyTorch's ways to run the model for inference, by name: eager (the nn.Module as called), and TorchScript
    frozen and optimized for inference (torch.jit.optimize_for_inference: BatchNorm folded into the convolutions,
    their weights reordered once into oneDNN's layout, the way PyTorch's docs recommend for CPU inference), where
    it gives the eager result. A peer that redoes per call what it could do once flatters jconv, whose plans keep
    each weight version prepared."""
    routes = {"eager": model}
    x = torch.rand(*shape) * 2 - 1
    try:
        with torch.no_grad():
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))
            expected = model(x)
            if torch.allclose(frozen(x), expected, rtol=1e-4, atol=1e-4 * max(1.0, expected.abs().max().item())):
                routes["TorchScript, optimized for inference"] = frozen
            else:
                print("optimize_for_inference differs from eager: not timed", file=sys.stderr)
    except Exception as e:  # TorchScript cannot take every module; eager stays
        print(f"optimize_for_inference unavailable: {e}", file=sys.stderr)
    return routes


def pytorch_median_ms(model, shape, seconds):
    x = torch.rand(*shape) * 2 - 1
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


def jconv_times(spec, shape, seconds, threads, plan_cache_bytes):
    cmd = os.environ.get("JCONV", os.path.join(ROOT, "jconv")).split()
    env = dict(os.environ, JCONV_THREADS=str(threads))
    if plan_cache_bytes is not None:
        env["JCONV_PLAN_CACHE_BYTES"] = str(plan_cache_bytes)
    out = subprocess.run(cmd + ["model", "--spec", spec, "--backend", "cpu", "--input-shape",
                                ",".join(map(str, shape)), "--bench", str(seconds)],
                         capture_output=True, text=True, env=env, check=True).stdout
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
    p.add_argument("--spec", help="a jconv model spec (default: the seed's SimpleCNN)")
    p.add_argument("--input-shape", default="3,28,28", help="C,H,W of one input (default 3,28,28)")
    p.add_argument("--plan-cache-bytes", type=int,
                   help="jconv's plan cache budget (JCONV_PLAN_CACHE_BYTES); the fused network, the unfused one and"
                        " the layers alone each keep plans, and a big network's may not fit the default")
    a = p.parse_args()
    batches = a.batch or [1, 64]
    chw = [int(v) for v in a.input_shape.split(",")]
    torch.set_num_threads(a.threads)
    spec = a.spec or SPEC
    model = (sequential(spec) if a.spec else SimpleCNN()).eval()
    name = os.path.basename(spec) if a.spec else "SimpleCNN (seed 000)"
    torch_ms = {b: [] for b in batches}
    jconv = {b: [] for b in batches}
    routes = {b: pytorch_routes(model, [b] + chw) for b in batches}
    for _ in range(a.rounds):
        for b in batches:
            torch_ms[b].append({name: pytorch_median_ms(m, [b] + chw, a.seconds) for name, m in routes[b].items()})
            jconv[b].append(jconv_times(spec, [b] + chw, a.seconds, a.threads, a.plan_cache_bytes))
    lines = ["# %s forward on %s inputs: jconv cpu vs PyTorch CPU" % (name, "x".join(map(str, chw))), "",
             "%s, %s, %d thread(s), PyTorch %s, %d round(s) of %.1f s per side and batch size; medians over rounds."
             % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cpu_model(),
                a.threads, torch.__version__, a.rounds, a.seconds),
             "Load average at the end: %s (a shared 2-core machine: compare ratios, not absolute times)."
             % (" ".join("%.1f" % v for v in os.getloadavg())),
             "jconv's plan cache budget: %s." % ("%d bytes" % a.plan_cache_bytes if a.plan_cache_bytes is not None
                                                 else "its default, an eighth of the JVM's maximum heap"), "",
             "PyTorch ms: the faster of its routes per round (eager, and TorchScript frozen and optimized for inference:"
             " BatchNorm folded, weights reordered once), median over rounds; the tables up to 2026-12-03 timed eager"
             " only.", "",
             "| batch | PyTorch ms | PyTorch's route | jconv fused ms | PyTorch / jconv | jconv unfused ms"
             " | jconv layers alone, sum ms | fused / sum | PyTorch eager ms | eager / jconv |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for b in batches:
        t = statistics.median(min(r.values()) for r in torch_ms[b])
        route = min(routes[b], key=lambda name: statistics.median(r[name] for r in torch_ms[b]))
        f = statistics.median(r["fused"] for r in jconv[b])
        u = statistics.median(r["unfused"] for r in jconv[b])
        s = statistics.median(r["sum"] for r in jconv[b])
        e = statistics.median(r["eager"] for r in torch_ms[b])
        lines.append("| %d | %.3f | %s | %.3f | %.2f | %.3f | %.3f | %.2f | %.3f | %.2f |"
                     % (b, t, route, f, t / f, u, s, f / s, e, e / f))
    text = "\n".join(lines) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
