#!/usr/bin/env bash
# CI check for the CUDA kernels:
#  1. regenerates the PTX into a temporary folder and diffs it with the committed files
#     (fails if a .cu changed without ./native-kernels/build-ptx.sh, or a .ptx is stale or orphaned);
#  2. assembles every committed PTX with ptxas for sm_80 and sm_90 and prints registers, shared
#     memory and spills per kernel (fails if ptxas fails).
# Exit status 0 only if both pass. Needs nvcc and ptxas from CUDA 13.0 (the PTX embeds the
# compiler version, so another toolkit shows up as a diff: regenerate with that one deliberately).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
committed="$here/../src/cuda/src/main/resources/dev/jconv/cuda"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
status=0

if ! "$here/build-ptx.sh" "$fresh" >/dev/null; then
    echo "check-ptx: FAILED to compile the kernels" >&2
    exit 1
fi
for ptx in "$fresh"/*.ptx; do
    name="$(basename "$ptx")"
    if [ ! -f "$committed/$name" ]; then
        echo "check-ptx: $name is not committed under src/cuda/src/main/resources/dev/jconv/cuda (run native-kernels/build-ptx.sh)" >&2
        status=1
    elif ! diff -u "$committed/$name" "$ptx" > "$fresh/$name.diff"; then
        echo "check-ptx: $name is stale: it differs from what native-kernels/${name%.ptx}.cu produces (run native-kernels/build-ptx.sh):" >&2
        head -40 "$fresh/$name.diff" >&2
        status=1
    fi
done
for ptx in "$committed"/*.ptx; do
    [ -f "$fresh/$(basename "$ptx")" ] || { echo "check-ptx: $(basename "$ptx") has no kernel source in native-kernels/" >&2; status=1; }
done

printf '%-24s %-6s %5s %10s %12s %12s\n' kernel arch regs smem_bytes spill_stores spill_loads
for ptx in "$committed"/*.ptx; do
    for arch in sm_80 sm_90; do
        if ! log="$(ptxas -arch="$arch" -v "$ptx" -o /dev/null 2>&1)"; then
            echo "check-ptx: ptxas -arch=$arch FAILED on $(basename "$ptx"):" >&2
            echo "$log" >&2
            status=1
            continue
        fi
        # ptxas -v prints, per entry: "Compiling entry function 'NAME' for 'ARCH'", then spills, then "Used N registers, ... N bytes smem"
        echo "$log" | awk -v arch="$arch" '
            /Compiling entry function/ { match($0, /\047[^\047]+\047/); name = substr($0, RSTART + 1, RLENGTH - 2) }
            /spill stores/ { stores = $5; loads = $9 }
            /Used [0-9]+ registers/ {
                regs = $5; smem = 0
                if (match($0, /[0-9]+ bytes smem/)) { smem = substr($0, RSTART, RLENGTH); sub(/ bytes smem/, "", smem) }
                printf "%-24s %-6s %5s %10s %12s %12s\n", name, arch, regs, smem, stores, loads
            }'
    done
done
if [ $status -eq 0 ]; then echo "check-ptx: OK (committed PTX is fresh; ptxas assembles every kernel for sm_80 and sm_90)"; fi
exit $status
