#!/usr/bin/env bash
# Builds the EMULATED CUDA driver (emulated_driver.cpp: a CPU stand-in for libcuda.so.1, not a GPU)
# into folder $1 as libcuda.so.1. Run by Maven (generate-test-resources) so the cuda-ptx GPU tests can
# run through JCuda's real JNI library on machines without a GPU. Needs only g++ (C++20); without it,
# it says so and exits 0, and those tests then skip as on any machine without a GPU.
# Every driver function libJCudaDriver imports (jcuda-driver-imports.txt) that emulated_driver.cpp
# does not define gets a stub returning CUDA_ERROR_NOT_SUPPORTED (801), so the JNI library loads.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build-emulated-driver.sh OUTPUT_DIR}"
if ! command -v g++ >/dev/null; then
    echo "build-emulated-driver: g++ not found: the emulated CUDA driver is not built and the emulated GPU tests will skip" >&2
    exit 0
fi
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$here/host-sources.sh" "$work"
flags=(-std=c++20 -O2 -fPIC -pthread -fno-strict-aliasing -fvisibility=hidden -I"$here/.." -I"$here" -I"$work" -include cuda_host_shim.h)
g++ "${flags[@]}" -c "$here/emulated_driver.cpp" -o "$work/emulated_driver.o"
nm --defined-only -g "$work/emulated_driver.o" | awk '$2 == "T" { print $3 }' | sort > "$work/defined.txt"
grep -v '^#' "$here/jcuda-driver-imports.txt" | sort | comm -23 - "$work/defined.txt" \
    | awk '{ printf "extern \"C\" __attribute__((visibility(\"default\"))) int %s(...) { return 801; }\n", $1 }' > "$work/stubs.cpp"
g++ -O2 -fPIC -c "$work/stubs.cpp" -o "$work/stubs.o"
g++ -shared -pthread -Wl,-soname,libcuda.so.1 -Wl,-z,noexecstack "$work/emulated_driver.o" "$work/stubs.o" -o "$work/libcuda.so.1"
mv "$work/libcuda.so.1" "$out/libcuda.so.1"
echo "build-emulated-driver: $out/libcuda.so.1 ($(wc -l < "$work/defined.txt") driver functions emulated, $(wc -l < "$work/stubs.cpp") stubbed)"
