#!/usr/bin/env bash
# Writes host-compilable copies of the conv kernels into folder $1 (conv2d_direct.host.cu,
# conv2d_implicit_gemm.host.cu), for the CPU emulators (emulate-kernels.sh, build-emulated-driver.sh).
# The one CUDA construct cuda_host_shim.h cannot express, conv2d_direct's dynamic shared-memory
# array, becomes a trailing parameter.
set -euo pipefail
kernels="$(cd "$(dirname "$0")/.." && pwd)"
out="$1"
sed -e 's/extern __shared__ float window\[\];//' \
    -e 's/int tiles_x, int tiles_y, int in_tile_h, int in_tile_w) {/int tiles_x, int tiles_y, int in_tile_h, int in_tile_w, float* window) {/' \
    "$kernels/conv2d_direct.cu" > "$out/conv2d_direct.host.cu"
grep -q 'float\* window) {' "$out/conv2d_direct.host.cu" || {
    echo "host-sources: conv2d_direct signature changed; update the sed in $0" >&2
    exit 1
}
cp "$kernels/conv2d_implicit_gemm.cu" "$out/conv2d_implicit_gemm.host.cu"
