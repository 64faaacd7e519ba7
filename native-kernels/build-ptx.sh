#!/usr/bin/env bash
# Regenerates the PTX that jconv ships, one .ptx per .cu kernel file, with CUDA 13's nvcc:
#   nvcc -ptx -arch=compute_75 -O3 -std=c++17 -I native-kernels <kernel>.cu -o src/cuda/src/main/resources/dev/jconv/cuda/<kernel>.ptx
# compute_75 PTX (ISA 9.0) is JIT-compiled by the driver for any GPU from Turing (sm_75, the
# oldest CUDA 13 supports) onwards; the driver must be r580 or newer (CUDA 13.0).
# Usage: native-kernels/build-ptx.sh [output-dir]   (default: the committed resources folder)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../src/cuda/src/main/resources/dev/jconv/cuda}"
mkdir -p "$out"
command -v nvcc >/dev/null || { echo "build-ptx: nvcc not found (CUDA 13 toolkit needed to regenerate PTX)" >&2; exit 1; }
shopt -s nullglob
sources=("$here"/*.cu)
[ ${#sources[@]} -gt 0 ] || { echo "build-ptx: no .cu files in $here" >&2; exit 1; }
for cu in "${sources[@]}"; do
    name="$(basename "$cu" .cu)"
    nvcc -ptx -arch=compute_75 -O3 -std=c++17 -I "$here" "$cu" -o "$out/$name.ptx"
    echo "build-ptx: $out/$name.ptx"
done
