#!/usr/bin/env bash
# Runs jconv's GPU test suite and GPU benchmarks on this host with the bundled Java runtime, in one call of
# at most about ten minutes; needs only an NVIDIA driver (r580+ for the CUDA 13 PTX). Built by
# benchmarks/gpu-kit/build.sh; run from anywhere: ./run.sh
#
# Phases, each under its own time limit (seconds, overridable): availability probe (60), GPU tests
# (JCONV_KIT_TESTS_S=300; JCONV_REQUIRE_GPU=1, so a missing GPU fails instead of skipping; every test also
# has a JUnit default timeout of JCONV_KIT_TEST_TIMEOUT=60s), each PyTorch CUDA peer run (JCONV_KIT_PEER_S=60),
# the cuda-ptx and vendor benchmarks (JCONV_KIT_BENCH_S=150 together). Without a usable GPU it stops after
# the probe, within a minute. Before any Java starts, a preflight checks that the host's libcudnn.so.9
# exports every cuDNN function jconv calls (cudnn-functions.txt); if not, cuDNN's folder is taken off
# LD_LIBRARY_PATH and JCONV_SKIP_CUDNN is set so cudnn's tests skip, and the verdict says why (a missing
# function would otherwise end the JVM with "symbol lookup error").
#
# Output: $OUT (else ./out) gets gpu-kit-logs.tar.gz (every log and JUnit report) and summary.txt; stdout
# ends with the block that starts "== jconv GPU verdict ==" (at most 3000 characters). Exit status 0
# only when the verdict is PASS.
# Environment: JCONV_TORCH_PYTHON (python with CUDA torch; default /opt/torch/.venv/bin/python3, then
# python3), JCONV_BENCH_ARGS (extra PtxBenchmark/VendorBenchmark options, e.g. "--iters 50"), JCONV_SKIP_BENCH=1.
# cuDNN and cuBLAS are found on LD_LIBRARY_PATH; NVIDIA's pip wheels next to that python (site-packages/
# nvidia/*/lib, e.g. cuDNN 9 from nvidia-cudnn-cu13) are put first on it. cublas needs CUDA 12's
# libcublas.so.12: on a CUDA-13-only host its tests skip with the reason.
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$kit/out}"
mkdir -p "$out"
logs="$(mktemp -d)"
notes="$logs/notes.txt"
: > "$notes"
java=("$kit/runtime/bin/java" --add-modules jdk.incubator.vector)
classpath="$(ls "$kit"/lib/*.jar | tr '\n' ':')"
tests_s="${JCONV_KIT_TESTS_S:-300}"
peer_s="${JCONV_KIT_PEER_S:-60}"
bench_s="${JCONV_KIT_BENCH_S:-150}"
export JCONV_REQUIRE_GPU=1

# runs "$@" under a time limit of $1 seconds; notes when the limit cut it short
limited() {
    local seconds="$1" phase="$2"
    shift 2
    timeout --kill-after=10 "$seconds" "$@"
    local status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "$phase stopped at its ${seconds} s limit" >> "$notes"
    fi
    return "$status"
}

# the verdict block last on stdout; logs packed into $out
finish() {
    local block
    block="$(limited 60 "verdict" "${java[@]}" -cp "$classpath" dev.jconv.cuda.GpuKitVerdict "$logs" 2> "$logs/verdict.err")"
    if [ -z "$block" ]; then
        block="$(printf '== jconv GPU verdict ==\nverdict: FAIL: the verdict could not be computed: %s\n' \
            "$(head -c 600 "$logs/verdict.err" | tr '\n' ' ')")"
    fi
    {
        cat "$logs/environment.txt" 2>/dev/null
        grep -E '^\[ *[0-9]+ (tests (successful|failed|skipped|aborted|found))' "$logs/gpu-tests.txt" 2>/dev/null
        [ -f "$logs/cuda-ptx-bench.txt" ] && sed -n '/^| suite /,$p' "$logs/cuda-ptx-bench.txt"
        [ -f "$logs/vendor-bench.txt" ] && { grep '^# cu' "$logs/vendor-bench.txt"; sed -n '/^| suite /,$p' "$logs/vendor-bench.txt"; }
        cat "$notes"
        echo "$block"
    } > "$out/summary.txt"
    tar -czf "$out/gpu-kit-logs.tar.gz" -C "$logs" .
    rm -rf "$logs"
    echo "logs: $out/gpu-kit-logs.tar.gz, $out/summary.txt"
    echo "$block"
    case "$block" in *"verdict: PASS"*) exit 0 ;; *) exit 1 ;; esac
}

# the python with CUDA torch: the PyTorch peer, and where NVIDIA's pip wheels (cuDNN 9) live
python="${JCONV_TORCH_PYTHON:-}"
if [ -z "$python" ]; then
    for candidate in /opt/torch/.venv/bin/python3 python3; do
        if command -v "$candidate" >/dev/null \
            && timeout 30 "$candidate" -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
fi
if [ -n "$python" ]; then
    wheels="$("$python" -c 'import glob, os, site; print(":".join(sorted(d for p in site.getsitepackages() for d in glob.glob(os.path.join(p, "nvidia", "*", "lib")))))' 2>/dev/null)"
    [ -n "$wheels" ] && export LD_LIBRARY_PATH="$wheels${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
    echo "no python with CUDA torch found: no PyTorch peer" >> "$notes"
fi

{
    echo "jconv GPU kit, commit $(cat "$kit/COMMIT" 2>/dev/null), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    uname -a
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "nvidia-smi not found or failed"
    "${java[@]}" -version 2>&1
} > "$logs/environment.txt"
head -n 8 "$logs/environment.txt"

# cuDNN preflight, before any Java: every function jconv calls must be exported by the libcudnn.so.9 the
# loader would find (the first on LD_LIBRARY_PATH)
cudnn_lib=""
IFS=: read -r -a library_dirs <<< "${LD_LIBRARY_PATH:-}"
for d in "${library_dirs[@]}"; do
    if [ -n "$d" ] && [ -e "$d/libcudnn.so.9" ]; then
        cudnn_lib="$d/libcudnn.so.9"
        break
    fi
done
if [ -z "$cudnn_lib" ]; then
    echo "cudnn preflight: no libcudnn.so.9 on LD_LIBRARY_PATH (cudnn tests fail under JCONV_REQUIRE_GPU=1)" >> "$notes"
else
    missing=""
    if [ -n "$python" ]; then
        missing="$("$python" - "$cudnn_lib" "$kit/cudnn-functions.txt" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
names = [l.strip() for l in open(sys.argv[2]) if l.strip()]
print(" ".join(n for n in names if not hasattr(lib, n)))
PY
)" || missing="(the check itself failed)"
    elif command -v nm >/dev/null; then
        exported="$(nm -D --defined-only "$cudnn_lib" | awk '{print $3}')"
        missing="$(grep -vxF -f <(echo "$exported") "$kit/cudnn-functions.txt" | tr '\n' ' ')"
    else
        echo "cudnn preflight: neither python nor nm here; jconv's own check runs when cuDNN loads" >> "$notes"
    fi
    if [ -n "${missing// /}" ]; then
        echo "cudnn preflight: $cudnn_lib lacks $missing; cudnn skipped (its folder taken off LD_LIBRARY_PATH)" >> "$notes"
        export JCONV_SKIP_CUDNN="$cudnn_lib lacks $missing"
        export LD_LIBRARY_PATH="$(printf '%s\n' "${library_dirs[@]}" | grep -vxF "$(dirname "$cudnn_lib")" | paste -sd: -)"
    else
        echo "cudnn preflight: $cudnn_lib exports all $(grep -c . "$kit/cudnn-functions.txt") cuDNN functions jconv calls" >> "$notes"
    fi
fi

echo "--- availability"
limited 60 "availability probe" "${java[@]}" -cp "$classpath" dev.jconv.cuda.AvailabilityProbeMain \
    > "$logs/availability.txt" 2> "$logs/availability.err"
cat "$logs/availability.txt"
if ! grep -q '^cuda-ptx: available' "$logs/availability.txt"; then
    echo "no usable GPU: tests and benchmarks not run" >> "$notes"
    finish
fi

echo "--- GPU test suite (JUnit tag gpu, JCONV_REQUIRE_GPU=1, ${tests_s} s limit)"
limited "$tests_s" "GPU test suite" "${java[@]}" -jar "$kit/junit/junit-platform-console-standalone.jar" execute \
    --class-path "$classpath" --scan-class-path "$kit/lib/jconv-tests.jar" --include-tag gpu \
    --config "junit.jupiter.execution.timeout.default=${JCONV_KIT_TEST_TIMEOUT:-60s}" \
    --fail-if-no-tests --details tree --disable-banner --disable-ansi-colors --reports-dir "$logs/junit" \
    > "$logs/gpu-tests.txt" 2>&1
grep -E '^\[ *[0-9]+ tests (successful|failed|skipped|aborted)' "$logs/gpu-tests.txt"

peer_csv="$logs/pytorch-peer.csv"
if [ "${JCONV_SKIP_BENCH:-0}" != 1 ]; then
    if [ -n "$python" ]; then
        echo "--- PyTorch CUDA peer ($python, ${peer_s} s limit per run)"
        limited "$peer_s" "PyTorch peer" "$python" "$kit/pytorch_cuda_peer.py" --layers "$kit/layers.csv" --batches 1,32 \
            --out "$peer_csv" 2> "$logs/pytorch-peer.log"
        limited "$peer_s" "PyTorch peer (cudnn.benchmark)" "$python" "$kit/pytorch_cuda_peer.py" --layers "$kit/layers.csv" \
            --batches 1,32 --cudnn-benchmark --out "$logs/pytorch-peer-benchmark.csv" 2> "$logs/pytorch-peer-benchmark.log"
    fi
    echo "--- cuda-ptx, cudnn and cublas benchmarks (${bench_s} s limit together)"
    # shellcheck disable=SC2086
    limited "$((bench_s / 2))" "cuda-ptx benchmark" "${java[@]}" -cp "$classpath" dev.jconv.cuda.PtxBenchmark \
        --layers "$kit/layers.csv" --batches 1,32 --peer "$peer_csv" --out "$logs/cuda-ptx-bench.csv" ${JCONV_BENCH_ARGS:-} \
        > "$logs/cuda-ptx-bench.txt" 2>&1
    # shellcheck disable=SC2086
    limited "$((bench_s - bench_s / 2))" "vendor benchmark" "${java[@]}" -cp "$classpath" dev.jconv.cuda.cudnn.VendorBenchmark \
        --layers "$kit/layers.csv" --batches 1,32 --peer "$peer_csv" --peer-benchmark "$logs/pytorch-peer-benchmark.csv" \
        --ptx "$logs/cuda-ptx-bench.csv" --out "$logs/vendor-bench.csv" ${JCONV_BENCH_ARGS:-} > "$logs/vendor-bench.txt" 2>&1
fi
finish
