#!/usr/bin/env bash
# Builds two separate user projects against jconv as installed in the local Maven repository, the way README's
# "Use as a library" says, and checks what a user gets:
#   cpu/  depends on dev.jconv:jconv only: its run-time class path must be exactly the jconv jar; it runs
#         convolutions (known values, and auto against cpu-reference) with the Vector API flag, without it (one
#         warning, cpu still picked) and on the module path (no flag needed); the CUDA backends are reported as
#         not on the class path.
#   gpu/  adds dev.jconv:jconv-cuda: the CUDA backends are found and say why they cannot run on this machine.
# Run by .ci/run from the repository root.
#
# jconv is installed into a private local repository, not ~/.m2: other builds on the same machine install
# dev.jconv 0.1.0-SNAPSHOT there too and could swap the artifacts under test mid-run. Everything else (plugins,
# JCuda) is read from the shared local repository as a file:// repository (releases only), then Maven Central, so
# once jconv's own build has run the test needs no network (MAVEN_ARGS=-o works).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="${JCONV_SHARED_M2:-$HOME/.m2/repository}"
fail() { echo "consumer-test: $*" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/settings.xml" <<SETTINGS
<settings>
  <profiles>
    <profile>
      <id>shared-local-repository</id>
      <repositories>
        <repository><id>shared</id><url>file://$shared</url><snapshots><enabled>false</enabled></snapshots></repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository><id>shared</id><url>file://$shared</url><snapshots><enabled>false</enabled></snapshots></pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>shared-local-repository</activeProfile></activeProfiles>
</settings>
SETTINGS
mvn_q=(mvn -B -q -Dstyle.color=never -s "$work/settings.xml" -Dmaven.repo.local="$work/m2"
       -Daether.offline.protocols=file ${MAVEN_ARGS:-})

"${mvn_q[@]}" -f "$root/pom.xml" -DskipTests install
cp -r "$here/cpu" "$here/gpu" "$work/"

# ---------------------------------------------------------------- CPU user
cd "$work/cpu"
"${mvn_q[@]}" package dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=classpath.txt
cp="$(cat classpath.txt)"
IFS=: read -r -a jars <<<"$cp"
echo "cpu consumer: run-time class path: ${#jars[@]} jar(s): ${jars[*]##*/}"
[ "${#jars[@]}" -eq 1 ] && [[ "${jars[0]}" == */dev/jconv/jconv/*/jconv-*.jar ]] \
    || fail "a CPU user's run-time class path must be exactly the jconv jar, got: $cp"
app=target/classes
warning='WARNING: the JVM was started without --add-modules jdk.incubator.vector: the cpu backend runs plain Java loops'

check_cpu_run() { # label, stdout file
    grep -qx 'counting case: ok' "$2" || fail "$1: counting case"
    grep -qx 'resnet layer: ok on cpu' "$2" || fail "$1: auto did not run the layer on cpu: $(cat "$2")"
    grep -q '^backend cudnn: unavailable: not on the class path: add dev.jconv:jconv-cuda' "$2" \
        || fail "$1: cudnn should be reported as not on the class path"
}

java --add-modules jdk.incubator.vector -cp "$app:$cp" consumer.CpuConsumer >with.out 2>with.err \
    || fail "with the flag: $(cat with.out with.err)"
check_cpu_run "class path, with the flag" with.out
grep -q '^backend cpu: available: .*FloatVector' with.out || fail "with the flag cpu must use the Vector API"
! grep -q "^$warning" with.err || fail "warned although the flag was given"
echo "cpu consumer: class path with --add-modules jdk.incubator.vector: ok ($(grep '^backend cpu:' with.out))"

java -cp "$app:$cp" consumer.CpuConsumer >without.out 2>without.err || fail "without the flag: $(cat without.out without.err)"
check_cpu_run "class path, without the flag" without.out
grep -q '^backend cpu: available: .*plain Java loops' without.out || fail "without the flag cpu must run plain Java loops"
[ "$(grep -c "^$warning" without.err)" -eq 1 ] || fail "expected exactly one warning without the flag, got: $(cat without.err)"
echo "cpu consumer: class path without the flag: ok, one warning: $(grep "^WARNING: the JVM" without.err)"

java -p "$app:$cp" -m consumer/consumer.CpuConsumer >module.out 2>module.err || fail "module path: $(cat module.out module.err)"
check_cpu_run "module path" module.out
grep -qx 'module: named consumer, jconv module: dev.jconv' module.out || fail "module path: $(tail -1 module.out)"
grep -q '^backend cpu: available: .*FloatVector' module.out || fail "on the module path the Vector API must come without the flag"
! grep -q "^$warning" module.err || fail "warned on the module path"
echo "cpu consumer: module path, no flag: ok ($(grep '^backend cpu:' module.out))"

# ---------------------------------------------------------------- GPU user
cd "$work/gpu"
"${mvn_q[@]}" package dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=classpath.txt
cp="$(cat classpath.txt)"
IFS=: read -r -a jars <<<"$cp"
echo "gpu consumer: run-time class path: ${#jars[@]} jar(s): ${jars[*]##*/}"
java --add-modules jdk.incubator.vector -cp "target/classes:$cp" consumer.GpuConsumer >gpu.out 2>gpu.err \
    || fail "gpu consumer: $(cat gpu.out gpu.err)"
for backend in cudnn cuda-ptx cublas; do
    line="$(grep "^backend $backend: " gpu.out)" || fail "gpu consumer: $backend not listed: $(cat gpu.out)"
    case "$line" in
        *"not on the class path"*) fail "gpu consumer: $backend was not found: $line" ;;
        "backend $backend: unavailable: "?*) echo "gpu consumer: $line" ;;
        "backend $backend: available"*) echo "gpu consumer: $line (a GPU is present)" ;;
        *) fail "gpu consumer: $line" ;;
    esac
done
grep -qx 'output \[1, 8, 16, 16\]' gpu.out || fail "gpu consumer: the convolution did not run: $(cat gpu.out)"
# jconv on the module path, jconv-cuda and JCuda on the class path (JCuda's jars are not modules): the class-path
# providers are still found
engine="${jars[0]}"
[[ "$engine" == */jconv-0.1.0-SNAPSHOT.jar ]] || fail "gpu consumer: expected the engine first on the class path: $cp"
java -p "$engine" --add-modules dev.jconv -cp "target/classes:${cp#*:}" consumer.GpuConsumer >mixed.out 2>mixed.err \
    || fail "gpu consumer, jconv on the module path: $(cat mixed.out mixed.err)"
grep -q '^backend cuda-ptx: unavailable: ' mixed.out && ! grep -q 'not on the class path' mixed.out \
    || fail "gpu consumer, jconv on the module path: the CUDA providers on the class path were not found: $(cat mixed.out)"
grep -q '^backend cpu: available: .*FloatVector' mixed.out || fail "gpu consumer, module path: no Vector API"
echo "gpu consumer: jconv on the module path, jconv-cuda on the class path: CUDA backends found"
echo "consumer-test: all checks passed"
