#!/usr/bin/env bash
# Builds the GPU test kit: one self-contained folder that runs jconv's GPU test suite and GPU benchmarks on
# a host that has an NVIDIA driver but no JDK and no Maven (like the lent H200 machine). Contents:
#   runtime/   a jlink'ed Java 17 (java.base, java.logging, java.management, java.xml for JUnit's XML
#              reports, jdk.management, jdk.unsupported, jdk.zipfs so JUnit can scan the test jar,
#              jdk.incubator.vector), stripped
#   lib/       jconv.jar and jconv-cuda.jar (the two modules' classes, each with its backend providers),
#              jconv-tests.jar (both modules' test classes + golden fixtures), dependencies;
#              JCuda's natives jar without libJNvPTXCompiler (24 MB unpacked; jconv never uses it)
#   junit/     junit-platform-console-standalone (the JUnit runner)
#   run.sh, layers.csv, pytorch_cuda_peer.py
#   cudnn-functions.txt  every cuDNN function jconv calls (from the sources, the same rule as
#              ElfSymbolsTest checks Cudnn.FUNCTIONS by), for run.sh's preflight before Java starts
# Must stay under 60 MB so it travels with the device tool (64 MiB per call); the script checks.
# Usage: benchmarks/gpu-kit/build.sh [output-dir]      (default: target/gpu-kit)
#        MVN_ARGS=-o benchmarks/gpu-kit/build.sh       (offline, once dependencies are downloaded)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
kit="${1:-target/gpu-kit}"
limit_bytes=$((60 * 1000 * 1000))
mvn_args=(${MVN_ARGS:-} -q)

jupiter="$(sed -n 's:.*<junit.version>\(5\.[0-9.]*\)</junit.version>.*:\1:p' pom.xml)"
[ -n "$jupiter" ] || { echo "gpu-kit: cannot find <junit.version> in pom.xml" >&2; exit 1; }
platform="1.${jupiter#5.}"   # JUnit Jupiter 5.x.y ships with Platform 1.x.y

rm -rf "$kit"
mkdir -p "$kit/lib" "$kit/junit"
kit="$(cd "$kit" && pwd)"
# The GPU tests live in src/cuda and use the engine's test kit: both modules' classes go into the two jars.
# JUnit itself comes as the console-standalone jar, so its separate jars are left out; jconv's own modules
# come from the two jars.
mvn "${mvn_args[@]}" -pl src/cuda -am -DskipTests test-compile dependency:copy-dependencies -DincludeScope=test \
    -DoutputDirectory="$kit/lib" -DexcludeGroupIds=dev.jconv,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian
jar --create --file "$kit/lib/jconv.jar" -C src/engine/target/classes .
jar --create --file "$kit/lib/jconv-cuda.jar" -C src/cuda/target/classes .
jar --create --file "$kit/lib/jconv-tests.jar" -C src/engine/target/test-classes . -C src/cuda/target/test-classes .
natives="$(ls "$kit"/lib/jcuda-natives-*.jar)"
repack="$(mktemp -d)"
(cd "$repack" && jar xf "$natives" && rm -f lib/libJNvPTXCompiler-* && jar --create --no-manifest --file "$natives" .)
rm -rf "$repack"
mvn "${mvn_args[@]}" dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" \
    -DoutputDirectory="$kit/junit"
mv "$kit/junit/junit-platform-console-standalone-$platform.jar" "$kit/junit/junit-platform-console-standalone.jar"

jlink --add-modules java.base,java.logging,java.management,java.xml,jdk.management,jdk.unsupported,jdk.zipfs,jdk.incubator.vector \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$kit/runtime"

cp benchmarks/gpu-kit/run.sh benchmarks/gpu-kit/layers.csv benchmarks/gpu-kit/pytorch_cuda_peer.py "$kit/"
chmod +x "$kit/run.sh" "$kit/pytorch_cuda_peer.py"
git ls-files '*.java' | grep '/main/java/dev/jconv/cuda/' | xargs grep -hoE 'JCudnn\.cudnn\w+\(' \
    | sed -e 's/^JCudnn\.//' -e 's/($//' | sort -u > "$kit/cudnn-functions.txt"
[ -s "$kit/cudnn-functions.txt" ] || { echo "gpu-kit: found no cuDNN calls in the sources" >&2; exit 1; }
git rev-parse HEAD > "$kit/COMMIT" 2>/dev/null || echo unknown > "$kit/COMMIT"

size="$(du -sb "$kit" | cut -f1)"
echo "gpu-kit: built $kit ($((size / 1000 / 1000)) MB: runtime $(du -sh "$kit/runtime" | cut -f1), lib $(du -sh "$kit/lib" | cut -f1), junit $(du -sh "$kit/junit" | cut -f1))"
if [ "$size" -gt "$limit_bytes" ]; then
    echo "gpu-kit: $size bytes is over the 60 MB limit" >&2
    exit 1
fi
