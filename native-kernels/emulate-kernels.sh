#!/usr/bin/env bash
# Runs the CUDA kernels of this folder on the CPU against a double-precision reference, under
# AddressSanitizer and UBSan (see emulator/cuda_host_shim.h). Needs only g++ (C++20), no GPU.
# It checks index math, padding modes, groups and bounds; it cannot check speed or GPU-only behaviour.
# Usage: native-kernels/emulate-kernels.sh [random-cases] [seed]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$here/emulator/host-sources.sh" "$work"
g++ -std=c++20 -O1 -g -pthread -fno-strict-aliasing -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -I"$here" -I"$here/emulator" -I"$work" -include cuda_host_shim.h \
    "$here/emulator/emulate_kernels.cpp" -o "$work/emulate_kernels"
"$work/emulate_kernels" "$@"
