#!/usr/bin/python3
"""jconv's cpu backend next to PyTorch's CPU conv2d (oneDNN), same layers, same thread count, same run.

For each layer N,C,H,W,K,R,S,P,D,G it times torch.nn.functional.conv2d, torch.mkldnn_convolution (oneDNN
called directly) and oneDNN with its weight reordered once (uniform random input and weight in [-1, 1), no bias,
warm-up, then timed runs, median), takes the fastest as PyTorch's time (see pytorch_routes), and times jconv's
cpu backend on the same layer, then prints per layer both medians, both GFLOP/s and the ratio PyTorch time /
jconv time (above 1: jconv is faster), and the geometric mean of the ratios; also the ratio of each side's best
round.

The machines this runs on are shared and noisy, so the two sides are interleaved layer by layer: one
`jconv bench --serve` process runs for the whole comparison (warm, as a service using jconv would be), and for
each layer PyTorch times it, then jconv does (the other way round in every other round), so a burst of load
tends to hit both sides alike. --rounds R repeats that R times and takes each side's median over the rounds.
Compare ratios, not absolute times. --suite NAME (any `jconv bench --suite`: resnet50, mobilenetv2, target, ...)
takes the suite's layers (`jconv bench --suite NAME --list`); the tables up to 2026-12-03e_* interleaved per
round instead (every layer of the suite in PyTorch, then all in one fresh `jconv bench` process).

PyTorch runs at its best: per layer its fastest of three routes, and glibc malloc is told never to return
memory to the system between calls (MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ at 4 GiB, the setting
PyTorch's own CPU performance guide recommends against page-fault overhead; the script re-executes itself with
them unless they are set or jemalloc is preloaded). Without --markdown the table is written to
benchmarks/results/DATE_SUITE_ISA_Tthreads.md, with the CPU model, its vector ISA and width and the thread count;
every round's times go to the same name with .json.

Usage (from anywhere; needs PyTorch, e.g. Debian's python3-torch as /usr/bin/python3):
  benchmarks/pytorch_side_by_side.py                       # the issue-3 target layers, 2 threads
  benchmarks/pytorch_side_by_side.py --suite resnet50 --threads 1
  ONEDNN_MAX_CPU_ISA=AVX2 JAVA_OPTS=-XX:UseAVX=2 benchmarks/pytorch_side_by_side.py --suite resnet50
                                                           # both sides at AVX2's vector width on an AVX-512 CPU
  benchmarks/pytorch_side_by_side.py --threads 2 --rounds 3 --markdown benchmarks/results/out.md
  benchmarks/pytorch_side_by_side.py --csv pytorch.csv && ./jconv report --bench bench.json --peer pytorch.csv
  benchmarks/pytorch_side_by_side.py --threads 1
  benchmarks/pytorch_side_by_side.py --layer 1,64,56,56,64,3,1,1,1,1 --layer 1,32,112,112,32,3,1,1,1,32
  JCONV="java --add-modules jdk.incubator.vector -jar target/jconv.jar" benchmarks/pytorch_side_by_side.py
"""
import argparse
import csv
import datetime
import io
import json
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


def pytorch_routes(torch):
    """PyTorch's ways to run a conv2d, by name, each a function (x, w, s, p, d, g) -> call that prepares what a
    route keeps between calls and returns the call to time: F.conv2d as called, oneDNN called directly, and oneDNN
    with its weights reordered once (where PyTorch has oneDNN).

    PyTorch 1.13's F.conv2d does not always take oneDNN: at one thread it sends unstrided 1x1 layers with a batch
    under 16 to its slow fallback, and at two threads some 1x1 layers of few input and many output channels (MobileNet's
    64->384 and 96->576 on 14x14, 160->960 on 7x7), 15-30x slower than torch.mkldnn_convolution on the same
    tensors (measured on a 2-core AMD EPYC: 1x1 64->256 on 56x56 at one thread 28.7 ms against 1.45).
    torch.mkldnn_convolution on a dense weight reorders it into oneDNN's blocked layout on every call; an inference
    model converted with torch.utils.mkldnn.to_mkldnn keeps it reordered (mkldnn_reorder_conv2d_weight), which
    measured up to 25% faster on weight-heavy layers (one thread, 512x512 3x3 on 7x7: 3.34 against 2.57 ms), the
    same saving jconv's weights prepared once per weight version make. That route still converts the NCHW input to
    oneDNN's layout and the output back on every call, as jconv takes and gives NCHW. A peer held back by its own
    dispatcher or by per-call work it can skip flatters jconv, so each layer runs every route and the fastest is
    PyTorch's time."""
    import torch.nn.functional as F

    routes = {"F.conv2d": lambda x, w, s, p, d, g: lambda: F.conv2d(x, w, None, s, p, d, g)}
    if hasattr(torch, "mkldnn_convolution") and torch.backends.mkldnn.is_available():
        routes["oneDNN"] = lambda x, w, s, p, d, g: lambda: torch.mkldnn_convolution(
            x, w, None, [p, p], [s, s], [d, d], g)

        def prepacked(x, w, s, p, d, g):
            packed = torch._C._nn.mkldnn_reorder_conv2d_weight(w.to_mkldnn(), [p, p], [s, s], [d, d], g)
            return lambda: torch.mkldnn_convolution(x.to_mkldnn(), packed, None, [p, p], [s, s], [d, d],
                                                    g).to_dense()

        if hasattr(torch._C._nn, "mkldnn_reorder_conv2d_weight"):
            routes["oneDNN prepacked"] = prepacked
    return routes


def time_pytorch(layers, threads, warmup, iterations):
    """Per layer, {route: median ms} for every route of pytorch_routes whose result matches F.conv2d's."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    routes = pytorch_routes(torch)
    medians = {}
    for i, spec in enumerate(layers):
        n, c, h, w, k, r, s, p, d, g = parse_layer(spec)
        x = torch.rand(n, c, h, w, generator=gen) * 2 - 1
        weight = torch.rand(k, c // g, r, r, generator=gen) * 2 - 1
        medians[spec] = {}
        with torch.no_grad():
            expected = F.conv2d(x, weight, None, s, p, d, g)
            for name, prepare in routes.items():
                try:
                    conv = prepare(x, weight, s, p, d, g)
                    same = torch.allclose(conv(), expected, rtol=1e-4,
                                          atol=1e-4 * max(1.0, expected.abs().max().item()))
                except RuntimeError as e:
                    print(f"  {name} cannot run {spec}: {e}", file=sys.stderr)
                    continue
                if not same:
                    print(f"  {name} differs from F.conv2d on {spec}: not timed", file=sys.stderr)
                    continue
                start = time.perf_counter()
                done = 0
                while done < warmup or time.perf_counter() - start < MIN_WARMUP_SECONDS / len(routes):
                    conv()
                    done += 1
                times = []
                for _ in range(iterations):
                    t0 = time.perf_counter()
                    conv()
                    times.append((time.perf_counter() - t0) * 1e3)
                medians[spec][name] = statistics.median(times)
    return medians


class JconvServer:
    """One `jconv bench --serve` process: a layer written to its input comes back as its csv row, timed warm."""

    def __init__(self, jconv, threads, warmup, iterations):
        self.cmd = shlex.split(jconv) + ["bench", "--serve", "--backend", "cpu", "--threads", str(threads),
                                         "--warmup", str(warmup), "--iterations", str(iterations)]
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=jconv_env())
        self.header = self.proc.stdout.readline()
        if not self.header.startswith("layer,"):
            self.fail()

    def fail(self):
        self.proc.kill()
        raise SystemExit(f"error: {' '.join(self.cmd)} exited with status {self.proc.wait()}")

    def time(self, spec):
        """jconv's median ms on one layer."""
        self.proc.stdin.write(spec + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.fail()
        row = next(csv.DictReader(io.StringIO(self.header + line)))
        if row["layer"] != spec:
            raise SystemExit(f"error: asked jconv for {spec}, got a row for {row['layer']}")
        return float(row["median_ms"])

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def suite_layers(jconv, suite):
    """The layers of a `jconv bench --suite`, in its order."""
    cmd = shlex.split(jconv) + ["bench", "--suite", suite, "--list"]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=jconv_env())
    if result.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)} exited with status {result.returncode}")
    return result.stdout.split()


MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "4294967296"}


def tuned_malloc():
    """Re-executes this script with glibc malloc's thresholds raised for PyTorch, unless set or jemalloc is in."""
    if "jemalloc" in os.environ.get("LD_PRELOAD", ""):
        return "jemalloc (LD_PRELOAD)"
    if all(os.environ.get(k) == v for k, v in MALLOC_SETTINGS.items()):
        return "glibc malloc, " + ", ".join(f"{k}={v}" for k, v in MALLOC_SETTINGS.items())
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **MALLOC_SETTINGS})


def jconv_env():
    """jconv's environment: the caller's, without the malloc settings meant for PyTorch."""
    return {k: v for k, v in os.environ.items() if k not in MALLOC_SETTINGS}


def cpu_description():
    """CPU model, the widest x86 vector ISA it has (or the architecture) and the logical CPU count."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name") and model == (platform.processor() or platform.machine()):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else platform.machine()
    limit = os.environ.get("ONEDNN_MAX_CPU_ISA")
    if limit:
        # An emulation of a narrower machine: oneDNN limited by ONEDNN_MAX_CPU_ISA, jconv by JAVA_OPTS=-XX:UseAVX=N.
        isa = f"{isa}-as-{limit.lower()}"
    return model, isa


def jconv_vector_width(jconv):
    """What `jconv info` says about the cpu backend, e.g. '2 threads, 512-bit FloatVector (16 lanes)'."""
    result = subprocess.run(shlex.split(jconv) + ["info"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=jconv_env())
    for line in result.stdout.splitlines():
        if line.strip().startswith("cpu "):
            return line.strip()[len("cpu "):].strip()
    return "unknown (jconv info printed no cpu line)"


def main():
    malloc = tuned_malloc()
    here = os.path.dirname(os.path.abspath(__file__))
    default_jconv = os.environ.get("JCONV", os.path.join(os.path.dirname(here), "jconv"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layer", action="append", help="N,C,H,W,K,R,S,P,D,G (repeatable; default: the target suite)")
    ap.add_argument("--suite", help="a `jconv bench --suite` name instead of layers; interleaves per round")
    ap.add_argument("--threads", type=int, default=2, help="threads for both sides (default 2)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed runs, at least 1 s of them (default 5)")
    ap.add_argument("--iterations", type=int, default=20, help="timed runs per layer (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="repeat the interleaved run this many times (default 3)")
    ap.add_argument("--jconv", default=default_jconv, help="command that runs jconv (default: $JCONV or ./jconv)")
    ap.add_argument("--markdown", help="write the table as Markdown to this file (default: "
                                       "benchmarks/results/DATE_SUITE_ISA_Tthreads.md)")
    ap.add_argument("--csv", help="also write layer,threads,pytorch_ms,jconv_ms,ratio to this file "
                                  "(the --peer input of `jconv bench --plot` and `jconv report`)")
    args = ap.parse_args()
    if args.suite and args.layer:
        raise SystemExit("error: give --suite or --layer, not both")
    layers = args.layer or ([] if args.suite else TARGET)
    for spec in layers:
        parse_layer(spec)
    model, isa = cpu_description()
    width = jconv_vector_width(args.jconv)
    if args.markdown is None:
        name = args.suite or ("target" if not args.layer else "layers")
        args.markdown = os.path.join(here, "results", f"{datetime.date.today().isoformat()}_{name}_{isa}_"
                                                      f"{args.threads}threads.md")

    if args.suite:
        layers = suite_layers(args.jconv, args.suite)
    torch_rounds = {spec: [] for spec in layers}
    jconv_rounds = {spec: [] for spec in layers}
    load_before = os.getloadavg()
    started = time.monotonic()
    server = JconvServer(args.jconv, args.threads, args.warmup, args.iterations)
    for rnd in range(args.rounds):
        print(f"round {rnd + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for i, spec in enumerate(layers):
            print(f"[{i + 1}/{len(layers)}] {spec}", file=sys.stderr, flush=True)
            if rnd % 2 == 0:
                torch_rounds[spec].append(time_pytorch([spec], args.threads, args.warmup, args.iterations)[spec])
            jconv_rounds[spec].append(server.time(spec))
            if rnd % 2 == 1:
                torch_rounds[spec].append(time_pytorch([spec], args.threads, args.warmup, args.iterations)[spec])
    server.close()
    load_after = os.getloadavg()
    minutes = (time.monotonic() - started) / 60

    import torch
    def route(spec):  # the route whose median over rounds is lowest
        names = torch_rounds[spec][0].keys()
        return min(names, key=lambda name: statistics.median(times[name] for times in torch_rounds[spec]))

    def best(spec):  # PyTorch's per-round times on its fastest route
        name = route(spec)
        return [times[name] for times in torch_rounds[spec]]

    def fastest_each_round(spec):  # per round the fastest route: the definition of the tables up to 2026-12-03f_*
        return [min(times.values()) for times in torch_rounds[spec]]

    def as_called(spec):  # F.conv2d's median over rounds
        return statistics.median(times["F.conv2d"] for times in torch_rounds[spec])

    lines = []
    lines.append("| layer | PyTorch ms | PyTorch's route | jconv ms | PyTorch GFLOP/s | jconv GFLOP/s | ratio "
                 "| best-round ratio | F.conv2d ms | ratio to F.conv2d |")
    lines.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    best_ratios = []
    called_ratios = []
    for spec in layers:
        t = statistics.median(best(spec))
        j = statistics.median(jconv_rounds[spec])
        ratios.append(t / j)
        best_ratios.append(min(best(spec)) / min(jconv_rounds[spec]))
        called_ratios.append(as_called(spec) / j)
        f = flops(spec)
        lines.append(f"| `{spec}` | {t:.3f} | {route(spec)} | {j:.3f} | {f / t / 1e6:.1f} | {f / j / 1e6:.1f} "
                     f"| {t / j:.2f} | {best_ratios[-1]:.2f} | {as_called(spec):.3f} | {called_ratios[-1]:.2f} |")

    def geomean(values):
        return math.exp(sum(math.log(v) for v in values) / len(values))

    lines.append(f"| **geometric mean** | | | | | | **{geomean(ratios):.2f}** | **{geomean(best_ratios):.2f}** | "
                 f"| {geomean(called_ratios):.2f} |")
    old_ratios = [statistics.median(fastest_each_round(spec)) / statistics.median(jconv_rounds[spec])
                  for spec in layers]
    old_best = [min(fastest_each_round(spec)) / min(jconv_rounds[spec]) for spec in layers]
    java = subprocess.run(["java", "-version"], stderr=subprocess.PIPE, text=True).stderr.splitlines()
    notes = [
        f"date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {model}, {os.cpu_count()} logical CPUs, vector ISA {isa}; load average {load_before[0]:.1f} "
        f"before, {load_after[0]:.1f} after; {minutes:.1f} minutes",
        f"jconv cpu backend, as `jconv info` reports it (thread count: its default): {width}"
        + (f" (JAVA_OPTS={os.environ['JAVA_OPTS']})" if os.environ.get("JAVA_OPTS") else ""),
        "oneDNN ISA limit: " + os.environ.get("ONEDNN_MAX_CPU_ISA", "none (its best for this CPU)"),
        f"threads: {args.threads} (torch.set_num_threads and jconv bench --threads)",
        f"PyTorch {torch.__version__} ({malloc}); {java[0] if java else 'java ?'}",
        f"suite: {args.suite or ('target' if not args.layer else 'layers given')}",
        f"{args.rounds} round(s), layers interleaved (PyTorch, then jconv in one warm `jconv bench --serve` process"
        " for the whole run; jconv first in every other round), each with "
        f"{args.iterations} timed runs after >= {args.warmup} warm-up runs (PyTorch >= {MIN_WARMUP_SECONDS:.0f} s "
        "over its routes, "
        "jconv >= 1 s until settled, 3 s for its first layer); per side the median of the per-round medians "
        "(the tables up to 2026-12-03e_* ran one fresh `jconv bench` process per round over the whole suite)",
        "PyTorch time: per round, the time of its fastest route (lowest median over the rounds; its name in the "
        "table) among F.conv2d as called, oneDNN called directly (torch.mkldnn_convolution; PyTorch 1.13's "
        "F.conv2d sends some 1x1 layers to a fallback 15-30x slower), and oneDNN with the weight reordered once "
        "(as torch.utils.mkldnn.to_mkldnn keeps it; input converted to oneDNN's layout and the output back on "
        "every call); F.conv2d ms = F.conv2d as called (the tables up to 2026-12-03d_* had only the first two "
        "routes)",
        "the tables up to 2026-12-03f_* took PyTorch's time per round as the fastest of its routes in that round, "
        "the least of two or three noisy samples against one of jconv's (two routes are the same oneDNN kernel), "
        "which biased the ratios against jconv on these noisy machines; by that definition this run's geometric "
        f"means are {geomean(old_ratios):.2f} (median) and {geomean(old_best):.2f} (best round)",
        "ratio = PyTorch time / jconv time (above 1: jconv is faster), from the medians over rounds; best-round "
        "ratio = each side's fastest round (per-round median), less sensitive to load that hit only one side; "
        "ratio to F.conv2d = F.conv2d's time as called / jconv time (the tables up to 2026-12-03b_* had only this)",
    ]
    text = "\n".join(lines) + "\n\n" + "\n".join("- " + n for n in notes) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.markdown)), exist_ok=True)
    with open(args.markdown, "w") as out:
        out.write("# jconv cpu vs PyTorch CPU conv2d, side by side\n\n" + text)
    print(f"written to {args.markdown}", file=sys.stderr)
    raw = os.path.splitext(args.markdown)[0] + ".json"
    with open(raw, "w") as out:  # every round's times, to recompute the table another way
        json.dump({"threads": args.threads, "rounds": args.rounds, "layers": layers,
                   "pytorch_ms": torch_rounds, "jconv_ms": jconv_rounds}, out, indent=1)
    print(f"written to {raw}", file=sys.stderr)
    if args.csv:
        with open(args.csv, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["layer", "threads", "pytorch_ms", "jconv_ms", "ratio", "pytorch_route",
                             "pytorch_conv2d_ms"])
            for spec in layers:
                t = statistics.median(best(spec))
                j = statistics.median(jconv_rounds[spec])
                writer.writerow([spec, args.threads, f"{t:.4f}", f"{j:.4f}", f"{t / j:.3f}", route(spec),
                                 f"{as_called(spec):.4f}"])


if __name__ == "__main__":
    main()
