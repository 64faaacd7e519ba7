#!/usr/bin/env bash
# Runs jconv's GPU test suite and GPU benchmarks on this host with the bundled Java runtime; needs only an
# NVIDIA driver (r580+ for the CUDA 13 PTX). Built by benchmarks/gpu-kit/build.sh; run from anywhere:
#   ./run.sh                 tests (JCONV_REQUIRE_GPU=1: a missing GPU fails instead of skipping), the PyTorch
#                            CUDA peer if a torch with CUDA is found, the cuda-ptx benchmark, a summary table
# Logs go to $OUT if set (the device tool collects it), else ./logs. Exit status: that of the test suite.
# Environment: JCONV_TORCH_PYTHON (python with torch; default /opt/torch/.venv/bin/python3, then python3),
#              JCONV_BENCH_ARGS (extra PtxBenchmark/VendorBenchmark options, e.g. "--iters 50"), JCONV_SKIP_BENCH=1.
# cuDNN (backend cudnn) and cuBLAS (cublas) are found on LD_LIBRARY_PATH; NVIDIA's pip wheels next to that
# python (site-packages/nvidia/*/lib, e.g. cuDNN 9 from nvidia-cudnn-cu13) are put first on it. cublas needs
# CUDA 12's libcublas.so.12: on a CUDA-13-only host its tests skip with the reason (JCONV_REQUIRE_CUBLAS=1 fails).
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
logs="${OUT:-$kit/logs}"
mkdir -p "$logs"
java="$kit/runtime/bin/java"
classpath="$(ls "$kit"/lib/*.jar | tr '\n' ':')"
export JCONV_REQUIRE_GPU=1

# the python with CUDA torch: the PyTorch peer, and where NVIDIA's pip wheels (cuDNN 9) live
python="${JCONV_TORCH_PYTHON:-}"
if [ -z "$python" ]; then
    for candidate in /opt/torch/.venv/bin/python3 python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
fi
if [ -n "$python" ]; then
    wheels="$("$python" -c 'import glob, os, site; print(":".join(sorted(d for p in site.getsitepackages() for d in glob.glob(os.path.join(p, "nvidia", "*", "lib")))))' 2>/dev/null)"
    [ -n "$wheels" ] && export LD_LIBRARY_PATH="$wheels${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

{
    echo "jconv GPU kit, commit $(cat "$kit/COMMIT" 2>/dev/null), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    uname -a
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "nvidia-smi not found"
    "$java" -version 2>&1
} > "$logs/environment.txt"
cat "$logs/environment.txt"

echo "--- GPU test suite (JUnit tag gpu, JCONV_REQUIRE_GPU=1)"
"$java" -jar "$kit/junit/junit-platform-console-standalone.jar" execute \
    --class-path "$classpath" --scan-class-path "$kit/lib/jconv-tests.jar" --include-tag gpu \
    --fail-if-no-tests --details tree --disable-banner --disable-ansi-colors --reports-dir "$logs/junit" > "$logs/gpu-tests.txt" 2>&1
tests_status=$?
tail -n 20 "$logs/gpu-tests.txt"

peer_csv="$logs/pytorch-peer.csv"
if [ "${JCONV_SKIP_BENCH:-0}" != 1 ]; then
    if [ -n "$python" ]; then
        echo "--- PyTorch CUDA peer ($python)"
        "$python" "$kit/pytorch_cuda_peer.py" --layers "$kit/layers.csv" --batches 1,32 --out "$peer_csv" 2> "$logs/pytorch-peer.log" \
            || echo "pytorch peer failed, see $logs/pytorch-peer.log"
        cat "$logs/pytorch-peer.log"
        "$python" "$kit/pytorch_cuda_peer.py" --layers "$kit/layers.csv" --batches 1,32 --cudnn-benchmark \
            --out "$logs/pytorch-peer-benchmark.csv" 2> "$logs/pytorch-peer-benchmark.log" \
            || echo "pytorch peer (cudnn.benchmark=True) failed, see $logs/pytorch-peer-benchmark.log"
        cat "$logs/pytorch-peer-benchmark.log"
    else
        echo "--- no python with CUDA torch found: benchmark without the PyTorch column"
    fi
    echo "--- cuda-ptx benchmark"
    # shellcheck disable=SC2086
    "$java" -cp "$classpath" dev.jconv.cuda.PtxBenchmark --layers "$kit/layers.csv" --batches 1,32 \
        --peer "$peer_csv" --out "$logs/cuda-ptx-bench.csv" ${JCONV_BENCH_ARGS:-} > "$logs/cuda-ptx-bench.txt" 2>&1 \
        || echo "benchmark failed, see $logs/cuda-ptx-bench.txt"
    echo "--- cudnn (heuristic and benchmark mode) and cublas benchmark"
    # shellcheck disable=SC2086
    "$java" -cp "$classpath" dev.jconv.cuda.cudnn.VendorBenchmark --layers "$kit/layers.csv" --batches 1,32 \
        --peer "$peer_csv" --peer-benchmark "$logs/pytorch-peer-benchmark.csv" --ptx "$logs/cuda-ptx-bench.csv" \
        --out "$logs/vendor-bench.csv" ${JCONV_BENCH_ARGS:-} > "$logs/vendor-bench.txt" 2>&1 \
        || echo "vendor benchmark failed, see $logs/vendor-bench.txt"
fi

echo
echo "=== summary"
grep -E '^\[ *[0-9]+ (tests (successful|failed|skipped|aborted|found))' "$logs/gpu-tests.txt" || tail -n 5 "$logs/gpu-tests.txt"
if [ -f "$logs/cuda-ptx-bench.txt" ]; then
    sed -n '/^| suite /,$p' "$logs/cuda-ptx-bench.txt"
fi
if [ -f "$logs/vendor-bench.txt" ]; then
    grep '^# cu' "$logs/vendor-bench.txt"
    sed -n '/^| suite /,$p' "$logs/vendor-bench.txt"
fi
echo "logs: $logs (gpu test status $tests_status)"
exit $tests_status
