#!/usr/bin/python3
"""jconv's cpu backend next to PyTorch's CPU conv2d (oneDNN), same layers, same thread count, same run.

For each layer N,C,H,W,K,R,S,P,D,G it times torch.nn.functional.conv2d (uniform random input and weight in
[-1, 1), no bias, warm-up, then timed runs, median) and runs `jconv bench --format csv` on the same layers, then
prints per layer both medians, both GFLOP/s and the ratio PyTorch time / jconv time (above 1: jconv is faster),
and the geometric mean of the ratios; also the ratio of each side's best round.

The machines this runs on are shared and noisy, so the two sides are interleaved layer by layer (PyTorch on a
layer, then one `jconv bench` process on the same layer, then the next layer), and --rounds R repeats that R
times and takes each side's median over the rounds, so a burst of load tends to hit both sides alike. Compare
ratios, not absolute times.

Usage (from anywhere; needs PyTorch, e.g. Debian's python3-torch as /usr/bin/python3):
  benchmarks/pytorch_side_by_side.py                       # the issue-3 target suite, 2 threads
  benchmarks/pytorch_side_by_side.py --threads 2 --rounds 3 --markdown benchmarks/results/out.md
  benchmarks/pytorch_side_by_side.py --threads 1
  benchmarks/pytorch_side_by_side.py --layer 1,64,56,56,64,3,1,1,1,1 --layer 1,32,112,112,32,3,1,1,1,32
  JCONV="java --add-modules jdk.incubator.vector -jar target/jconv.jar" benchmarks/pytorch_side_by_side.py
"""
import argparse
import csv
import datetime
import io
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

TARGET = [
    "1,64,56,56,64,3,1,1,1,1",
    "8,64,56,56,64,3,1,1,1,1",
    "1,256,56,56,64,1,1,0,1,1",
    "1,3,224,224,64,7,2,3,1,1",
    "1,512,7,7,512,3,1,1,1,1",
    "1,32,112,112,32,3,1,1,1,32",
    "1,64,56,56,64,3,1,2,2,1",
]

MIN_WARMUP_SECONDS = 1.0  # the same floor `jconv bench` applies


def parse_layer(spec):
    values = [int(v) for v in spec.split(",")]
    if len(values) != 10:
        raise SystemExit(f"error: layer '{spec}' must be 10 comma-separated integers N,C,H,W,K,R,S,P,D,G")
    return values


def flops(spec):
    n, c, h, w, k, r, s, p, d, g = parse_layer(spec)
    hout = (h + 2 * p - d * (r - 1) - 1) // s + 1
    wout = (w + 2 * p - d * (r - 1) - 1) // s + 1
    return 2.0 * n * k * hout * wout * (c // g) * r * r


def time_pytorch(layers, threads, warmup, iterations):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    medians = {}
    for i, spec in enumerate(layers):
        print(f"pytorch [{i + 1}/{len(layers)}] {spec}", file=sys.stderr, flush=True)
        n, c, h, w, k, r, s, p, d, g = parse_layer(spec)
        x = torch.rand(n, c, h, w, generator=gen) * 2 - 1
        weight = torch.rand(k, c // g, r, r, generator=gen) * 2 - 1
        with torch.no_grad():
            start = time.perf_counter()
            done = 0
            while done < warmup or time.perf_counter() - start < MIN_WARMUP_SECONDS:
                F.conv2d(x, weight, None, s, p, d, g)
                done += 1
            times = []
            for _ in range(iterations):
                t0 = time.perf_counter()
                F.conv2d(x, weight, None, s, p, d, g)
                times.append((time.perf_counter() - t0) * 1e3)
        medians[spec] = statistics.median(times)
    return medians


def time_jconv(jconv, layers, threads, warmup, iterations):
    cmd = shlex.split(jconv) + ["bench", "--backend", "cpu", "--threads", str(threads), "--warmup", str(warmup),
                                "--iterations", str(iterations), "--format", "csv"]
    for spec in layers:
        cmd += ["--layer", spec]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)} exited with status {result.returncode}")
    medians = {}
    for row in csv.DictReader(io.StringIO(result.stdout)):
        medians[row["layer"]] = float(row["median_ms"])
    missing = [spec for spec in layers if spec not in medians]
    if missing:
        raise SystemExit(f"error: jconv bench printed no row for {missing}")
    return medians


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_jconv = os.environ.get("JCONV", os.path.join(os.path.dirname(here), "jconv"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layer", action="append", help="N,C,H,W,K,R,S,P,D,G (repeatable; default: the target suite)")
    ap.add_argument("--threads", type=int, default=2, help="threads for both sides (default 2)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed runs, at least 1 s of them (default 5)")
    ap.add_argument("--iterations", type=int, default=20, help="timed runs per layer (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="repeat the interleaved run this many times (default 3)")
    ap.add_argument("--jconv", default=default_jconv, help="command that runs jconv (default: $JCONV or ./jconv)")
    ap.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = ap.parse_args()
    layers = args.layer or TARGET
    for spec in layers:
        parse_layer(spec)

    torch_rounds = {spec: [] for spec in layers}
    jconv_rounds = {spec: [] for spec in layers}
    load_before = os.getloadavg()
    for rnd in range(args.rounds):
        print(f"round {rnd + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for spec in layers:
            torch_rounds[spec].append(time_pytorch([spec], args.threads, args.warmup, args.iterations)[spec])
            jconv_rounds[spec].append(time_jconv(args.jconv, [spec], args.threads, args.warmup, args.iterations)[spec])
    load_after = os.getloadavg()

    import torch
    lines = []
    lines.append("| layer | PyTorch ms | jconv ms | PyTorch GFLOP/s | jconv GFLOP/s | ratio | best-round ratio |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    ratios = []
    best_ratios = []
    for spec in layers:
        t = statistics.median(torch_rounds[spec])
        j = statistics.median(jconv_rounds[spec])
        ratios.append(t / j)
        best_ratios.append(min(torch_rounds[spec]) / min(jconv_rounds[spec]))
        f = flops(spec)
        lines.append(f"| `{spec}` | {t:.3f} | {j:.3f} | {f / t / 1e6:.1f} | {f / j / 1e6:.1f} | {t / j:.2f} "
                     f"| {best_ratios[-1]:.2f} |")

    def geomean(values):
        return math.exp(sum(math.log(v) for v in values) / len(values))

    lines.append(f"| **geometric mean** | | | | | **{geomean(ratios):.2f}** | **{geomean(best_ratios):.2f}** |")
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    java = subprocess.run(["java", "-version"], stderr=subprocess.PIPE, text=True).stderr.splitlines()
    notes = [
        f"date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {cpu}, {os.cpu_count()} logical CPUs; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after",
        f"threads: {args.threads} (torch.set_num_threads and jconv bench --threads)",
        f"PyTorch {torch.__version__}; {java[0] if java else 'java ?'}",
        f"{args.rounds} round(s), layers interleaved (PyTorch, then a fresh `jconv bench` process), each with "
        f"{args.iterations} timed runs after >= {args.warmup} warm-up runs (PyTorch >= {MIN_WARMUP_SECONDS:.0f} s, "
        f"jconv >= 3 s until settled); per side the median of the per-round medians",
        "ratio = PyTorch time / jconv time (above 1: jconv is faster), from the medians over rounds; best-round "
        "ratio = each side's fastest round (per-round median), less sensitive to load that hit only one side",
    ]
    text = "\n".join(lines) + "\n\n" + "\n".join("- " + n for n in notes) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write("# jconv cpu vs PyTorch CPU conv2d, side by side\n\n" + text)


if __name__ == "__main__":
    main()
