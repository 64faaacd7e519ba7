#!/usr/bin/env bash
# Times two commits' cpu backends in one JVM, alternating (TwoBuildsAB.java says why).
# usage: benchmarks/ab/two_builds_ab.sh REV_A REV_B THREADS ROUNDS LAYER...
#   REV_B may be "." for the working tree. Example:
#   benchmarks/ab/two_builds_ab.sh HEAD~1 . 2 30 1,256,14,14,256,3,1,1,1,1 1,512,7,7,512,3,1,1,1,1
#   JAVA_OPTS are passed to the JVM (JAVA_OPTS=-XX:UseAVX=2 times both at AVX2's vector width).
set -euo pipefail
[ $# -ge 5 ] || { sed -n 3,7p "$0"; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
a="$1"; b="$2"; shift 2
work="$(mktemp -d)"
trap 'for d in "$work"/*/; do git -C "$root" worktree remove --force "$d" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
classes() { # the engine's compiled classes of a revision
    local rev="$1" dir
    if [ "$rev" = "." ]; then dir="$root"; else
        dir="$work/$(git -C "$root" rev-parse --short "$rev")"
        git -C "$root" worktree add -f --detach "$dir" "$rev" >/dev/null
    fi
    (cd "$dir" && mvn -B -q -Dstyle.color=never -pl src/engine compile >&2)
    echo "$dir/src/engine/target/classes"
}
ca="$(classes "$a")"; cb="$(classes "$b")"
# Without the background JIT primer (CpuBackend.PRIME_PROPERTY): each build's first plan would start one, and
# the two would share the cores with the first layers' timed rounds.
java -Djconv.cpu.prime=false ${JAVA_OPTS:-} --add-modules jdk.incubator.vector "$root/benchmarks/ab/TwoBuildsAB.java" "$1" "$2" "$ca" "$cb" "${@:3}" 2>&1 \
    | grep -v -e "^WARNING: Using incubator modules" -e "incubating module" -e "^1 warning$"
