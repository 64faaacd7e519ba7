#!/usr/bin/env bash
# Runs the CUDA kernels of this folder on the CPU against a double-precision reference, under
# AddressSanitizer and UBSan (see emulator/cuda_host_shim.h). Needs only g++ (C++20), no GPU.
# It checks index math, padding modes, groups and bounds; it cannot check speed or GPU-only behaviour.
# Usage: native-kernels/emulate-kernels.sh [random-cases] [seed]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# the one CUDA construct the shim cannot express: the dynamic shared-memory array becomes a parameter
sed -e 's/extern __shared__ float window\[\];//' \
    -e 's/int tiles_x, int tiles_y, int in_tile_h, int in_tile_w) {/int tiles_x, int tiles_y, int in_tile_h, int in_tile_w, float* window) {/' \
    "$here/conv2d_direct.cu" > "$work/conv2d_direct.host.cu"
grep -q 'float\* window) {' "$work/conv2d_direct.host.cu" || { echo "emulate-kernels: conv2d_direct signature changed; update the sed in $0" >&2; exit 1; }
cp "$here/conv2d_implicit_gemm.cu" "$work/conv2d_implicit_gemm.host.cu"
g++ -std=c++20 -O1 -g -pthread -fno-strict-aliasing -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -I"$here" -I"$here/emulator" -I"$work" -include cuda_host_shim.h \
    "$here/emulator/emulate_kernels.cpp" -o "$work/emulate_kernels"
"$work/emulate_kernels" "$@"
