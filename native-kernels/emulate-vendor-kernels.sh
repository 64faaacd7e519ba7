#!/usr/bin/env bash
# Runs the vendor backends' helper kernels (pad2d.cu for cudnn, im2col.cu for cublas) on the CPU
# against a double-precision convolution reference, under AddressSanitizer and UBSan, with the
# same host shim as emulate-kernels.sh. Needs only g++ (C++20), no GPU. It checks index math,
# padding modes, groups and bounds; it cannot check speed, cuDNN or cuBLAS themselves.
# Usage: native-kernels/emulate-vendor-kernels.sh [random-cases] [seed]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
g++ -std=c++20 -O1 -g -pthread -fno-strict-aliasing -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -I"$here" -I"$here/emulator" -include cuda_host_shim.h \
    "$here/emulator/emulate_vendor_kernels.cpp" -o "$work/emulate_vendor_kernels"
"$work/emulate_vendor_kernels" "$@"
