#!/usr/bin/env bash
# Builds and runs the CPU image for real (podman, through ../shared/tools/containers on machines without a
# Docker engine), checks the GPU image and compose file as far as that is possible without a GPU or the
# NVIDIA base image, and measures the image size and the rebuild time after a one-line source change.
# Slow (minutes): kept out of .ci/run on purpose.
#
#   docker/verify.sh            static checks, build jconv-cpu, run its tests, size, one-line-change rebuild
#   docker/verify.sh --cold     the same in an empty, temporary image store (cold build time; the machine's
#                               layer cache is neither used nor changed, jconv-cpu there is not updated)
#   docker/verify.sh --bench    also build the bench target and run ./jconv bench --suite seeds in it
#   docker/verify.sh --gpu-standin  also build Dockerfile.gpu on a stand-in Ubuntu 24.04 base (debootstrapped
#                               here; nvidia/cuda cannot be pulled) minus its three CUDA-library checks, and run
#                               its tests: they must pass with JCONV_REQUIRE_GPU unset (GPU tests skip) and, if
#                               any GPU test exists, fail with JCONV_REQUIRE_GPU=1 (the image's default)
#
# Environment: CONTAINERS (path of the containers tool; default: found next to the repository),
# PODMAN (a podman command to use instead of the tool), JCONV_BUILD_TRUSTSTORE (Java truststore passed as
# the build secret java-cacerts for the Maven download step; default: the host JDK's; empty: none).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cold=false bench=false standin=false
for arg in "$@"; do
  case "$arg" in
    --cold) cold=true ;;
    --bench) bench=true ;;
    --gpu-standin) standin=true ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$arg' (expected --cold, --bench or --gpu-standin)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/jconv-docker-verify.XXXXXX)
probe_tag=jconv-cpu-rebuild-probe
cleanup() {
  ${podman_cmd:-true} rmi -f "$probe_tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }
fail() { echo "verify: FAILED: $*" >&2; exit 1; }

# ---------------------------------------------------------------- container tool
if [ -n "${PODMAN:-}" ]; then
  podman_cmd=$PODMAN
else
  tool=${CONTAINERS:-}
  if [ -z "$tool" ]; then
    for candidate in "$repo/../shared/tools/containers" "$repo/../../shared/tools/containers" /work/shared/tools/containers; do
      [ -x "$candidate" ] && { tool=$candidate; break; }
    done
  fi
  [ -n "$tool" ] || fail "no container tool: set CONTAINERS=path/to/containers or PODMAN=podman"
  if ! podman image exists docker.io/library/debian:bookworm-slim 2>/dev/null || [ ! -x /var/tmp/jconv-containers/runc ]; then
    say "one-time setup: $tool setup (about 3 minutes)"
    "$tool" setup
  fi
  podman_cmd="$tool podman"
fi
# Bench and the GPU stand-in always use the machine's image store; with --cold the CPU image is built,
# run and rebuilt in a fresh store under $work, seeded with the base image only. (Merely passing
# --no-cache is not enough: the later rebuild may then resume from an older cached chain of the same
# early layers and find no dependency layer for this pom.xml under it.)
podman_main=$podman_cmd
net_args=()
if $cold; then
  store=$work/store
  mkdir -p "$store/root" "$store/run"
  $podman_main save docker.io/library/debian:bookworm-slim \
    | $podman_main --root "$store/root" --runroot "$store/run" load >/dev/null
  podman_cmd="$podman_main --root $store/root --runroot $store/run"
  net_args=(--network host)   # the containers tool adds it only when build/run comes first
fi

secret_args=()
truststore=${JCONV_BUILD_TRUSTSTORE-}
if [ -z "${JCONV_BUILD_TRUSTSTORE+set}" ]; then
  for candidate in "${JAVA_HOME:-/nonexistent}/lib/security/cacerts" /etc/ssl/certs/java/cacerts; do
    [ -f "$candidate" ] && { truststore=$candidate; break; }
  done
fi
[ -n "$truststore" ] && secret_args=(--secret "id=java-cacerts,src=$truststore")

# ---------------------------------------------------------------- static checks (both Dockerfiles, compose)
say "static checks"
python3 - "$repo" <<'PY'
import pathlib, re, sys
repo = pathlib.Path(sys.argv[1])
problems = []
for name in ("Dockerfile.cpu", "Dockerfile.gpu"):
    text = (repo / "docker" / name).read_text()
    logical = re.sub(r"\\\n", " ", text)
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", logical, re.M | re.I)
    if stages[-1:] != ["test"] or "bench" not in stages:
        problems.append(f"{name}: stages {stages}: want a 'bench' stage and 'test' as the last (default) one")
    for line in re.findall(r"^COPY\s+(.*)$", logical, re.M):
        args = [a for a in line.split() if not a.startswith("--")]
        for src in args[:-1]:
            if src != "." and not (repo / src).exists():
                problems.append(f"{name}: COPY source '{src}' does not exist")
    if 'CMD ["mvn", "-B", "-o", "test"]' not in text:
        problems.append(f"{name}: default command is not the offline README test command")
    print(f"{name}: stages {' -> '.join(stages)}; every COPY source exists")
gpu = (repo / "docker" / "Dockerfile.gpu").read_text()
base = re.search(r"^ARG BASE_IMAGE=(\S+)", gpu, re.M).group(1)
if not re.fullmatch(r"nvidia/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d\d\.\d\d", base):
    problems.append(f"Dockerfile.gpu: base {base} is not a CUDA 12 cudnn-runtime tag (JCublas 12.6 needs libcublas.so.12)")
if "ENV JCONV_REQUIRE_GPU=1" not in gpu:
    problems.append("Dockerfile.gpu: JCONV_REQUIRE_GPU=1 is not set")
print(f"Dockerfile.gpu: base {base}, JCONV_REQUIRE_GPU=1")
try:
    import yaml
except ImportError:
    print("compose.yaml: PyYAML missing, not parsed")
else:
    compose = yaml.safe_load((repo / "docker" / "compose.yaml").read_text())
    services = compose.get("services", {})
    for svc in ("cpu", "gpu"):
        if svc not in services:
            problems.append(f"compose.yaml: no '{svc}' service")
    for svc, spec in services.items():
        build = spec.get("build", {})
        if not (repo / "docker" / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).is_file():
            problems.append(f"compose.yaml: {svc}: Dockerfile not found from its build context")
        if svc.startswith("gpu"):
            devices = spec.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
            if not any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices):
                problems.append(f"compose.yaml: {svc}: no nvidia gpu device reservation")
    print(f"compose.yaml: services {', '.join(services)}")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
PY
command -v hadolint >/dev/null && hadolint docker/Dockerfile.cpu docker/Dockerfile.gpu || true

# ---------------------------------------------------------------- build + run the CPU image
say "build jconv-cpu ($($cold && echo 'cold: empty image store' || echo 'layer cache allowed'))"
build_args=(-f docker/Dockerfile.cpu -t jconv-cpu "${secret_args[@]}" "${net_args[@]}")
start=$(date +%s)
$podman_cmd build "${build_args[@]}" . >"$work/build.log" 2>&1 || { tail -60 "$work/build.log"; fail "CPU image build"; }
build_s=$(( $(date +%s) - start ))
grep -E '^(\[[0-9]+/[0-9]+\] )?STEP|Using cache' "$work/build.log" | sed 's/^/  /' | cut -c1-140

say "run jconv-cpu (the README test command)"
start=$(date +%s)
set +e
$podman_cmd run --rm "${net_args[@]}" jconv-cpu >"$work/test.log" 2>&1
test_rc=$?
set -e
test_s=$(( $(date +%s) - start ))
grep -E 'Tests run:|BUILD (SUCCESS|FAILURE)|ERROR\]|No tests to run' "$work/test.log" | tail -25 | sed 's/^/  /'
[ "$test_rc" -eq 0 ] || { tail -80 "$work/test.log"; fail "tests in the CPU container (exit $test_rc)"; }

size=$($podman_cmd image inspect jconv-cpu --format '{{.Size}}')
base_size=$($podman_cmd image inspect docker.io/library/debian:bookworm-slim --format '{{.Size}}' 2>/dev/null || echo 0)

# ---------------------------------------------------------------- rebuild after a one-line change
say "rebuild after a one-line source change (in a temporary copy)"
tar -C "$repo" --exclude=./target --exclude=./.git -cf - . | tar -C "$work" -xf - --one-top-level=ctx
probe_file=$(cd "$work/ctx" && find src/engine/src/main/java -name '*.java' | sort | sed -n 1p)
echo "// rebuild probe $(date +%s)" >>"$work/ctx/$probe_file"
echo "  appended one line to $probe_file"
start=$(date +%s)
(cd "$work/ctx" && $podman_cmd build -f docker/Dockerfile.cpu -t "$probe_tag" "${secret_args[@]}" "${net_args[@]}" .) >"$work/rebuild.log" 2>&1 \
  || { tail -60 "$work/rebuild.log"; fail "rebuild after a one-line change"; }
rebuild_s=$(( $(date +%s) - start ))
# The Maven repository layer (the RUN that downloads) must come from the cache: look at the result line
# that follows that step.
deps_result=$(awk '/STEP [0-9]+\/[0-9]+: RUN .*go-offline/ {want=1; next} want && /^-->/ {print; exit}' "$work/rebuild.log")
case "$deps_result" in
  *"Using cache"*) echo "  Maven repository layer: $deps_result (nothing downloaded; the project step builds with mvn -o)" ;;
  *) grep -n -E 'STEP|-->' "$work/rebuild.log" | sed 's/^/  /'; fail "the one-line change re-ran the dependency layer" ;;
esac

# ---------------------------------------------------------------- optional bench target
bench_note="not run (use --bench)"
if $bench; then
  say "bench target: ./jconv bench --suite seeds"
  $podman_main build -f docker/Dockerfile.cpu --target bench -t jconv-cpu-bench "${secret_args[@]}" . >"$work/bench-build.log" 2>&1 \
    || { tail -40 "$work/bench-build.log"; fail "bench image build"; }
  start=$(date +%s)
  $podman_main run --rm jconv-cpu-bench 2>&1 | tee "$work/bench.log" | tail -40 || fail "bench run"
  bench_note="ran in $(( $(date +%s) - start )) s"
fi

# ---------------------------------------------------------------- optional GPU Dockerfile on a stand-in base
standin_note="not run (use --gpu-standin)"
if $standin; then
  say "Dockerfile.gpu on a stand-in Ubuntu 24.04 base (no CUDA libraries, no GPU)"
  standin_image=localhost/ubuntu-noble-standin:24.04
  if ! podman image exists "$standin_image"; then
    # Ubuntu's archive key is not packaged in Debian bookworm, hence --no-check-gpg for this throwaway test
    # base; apt inside it verifies signatures as usual (ubuntu-keyring is part of the bootstrapped system).
    rootfs=/var/tmp/jconv-noble-rootfs
    rm -rf "$rootfs"
    debootstrap --variant=minbase --no-check-gpg noble "$rootfs" http://archive.ubuntu.com/ubuntu \
      /usr/share/debootstrap/scripts/gutsy >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; fail "debootstrap noble"; }
    printf 'deb http://archive.ubuntu.com/ubuntu %s main restricted universe multiverse\n' noble noble-updates >"$rootfs/etc/apt/sources.list"
    echo 'deb http://security.ubuntu.com/ubuntu noble-security main restricted universe multiverse' >>"$rootfs/etc/apt/sources.list"
    rm -f "$rootfs"/var/cache/apt/archives/*.deb
    tar -C "$rootfs" -c . | podman import - "$standin_image" >/dev/null
    rm -rf "$rootfs"
  fi
  grep -v 'ldconfig' docker/Dockerfile.gpu >"$work/Dockerfile.gpu-standin"
  $podman_main build -f "$work/Dockerfile.gpu-standin" --build-arg "BASE_IMAGE=$standin_image" -t jconv-gpu-standin \
    "${secret_args[@]}" . >"$work/standin-build.log" 2>&1 || { tail -40 "$work/standin-build.log"; fail "GPU Dockerfile on the stand-in base"; }
  set +e
  $podman_main run --rm -e JCONV_REQUIRE_GPU= -e JCONV_REQUIRE_CUBLAS= jconv-gpu-standin >"$work/standin-skip.log" 2>&1; skip_rc=$?
  $podman_main run --rm jconv-gpu-standin >"$work/standin-require.log" 2>&1; require_rc=$?
  set -e
  skip_summary=$(grep -E '^\[[A-Z]+\] Tests run:' "$work/standin-skip.log" | tail -1 | sed 's/^\[[A-Z]*\] //')
  require_summary=$(grep -E '^\[[A-Z]+\] Tests run:' "$work/standin-require.log" | tail -1 | sed 's/^\[[A-Z]*\] //')
  echo "  JCONV_REQUIRE_GPU unset: exit $skip_rc, $skip_summary"
  echo "  JCONV_REQUIRE_GPU=1:     exit $require_rc, $require_summary"
  [ "$skip_rc" -eq 0 ] || { tail -60 "$work/standin-skip.log"; fail "tests on the stand-in GPU image with GPU tests skipping"; }
  case "$skip_summary" in
    *"Skipped: 0"*) [ "$require_rc" -eq 0 ] || fail "no test skipped, yet JCONV_REQUIRE_GPU=1 failed"
                    standin_note="builds and passes (no GPU test skipped, so JCONV_REQUIRE_GPU=1 changes nothing yet)" ;;
    *) [ "$require_rc" -ne 0 ] || fail "GPU tests skipped without a GPU, but JCONV_REQUIRE_GPU=1 did not fail them"
       # Every skip must have become a failure, and every failure must be the GPU requirement speaking.
       skipped=$(sed -n 's/.*Skipped: \([0-9]*\).*/\1/p' <<<"$skip_summary")
       failed=$(sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p' <<<"$require_summary" | awk '{print $1 + $2}')
       other=$(sed -n '/^\[ERROR\] \(Failures\|Errors\): $/,/^\[INFO\] $/p' "$work/standin-require.log" \
               | grep '^\[ERROR\]   ' | grep -c -v 'JCONV_REQUIRE_GPU=1\|JCONV_REQUIRE_CUBLAS=1' || true)
       [ "$failed" = "$skipped" ] || fail "with JCONV_REQUIRE_GPU=1: $failed failures, but $skipped tests skip without it"
       [ "$other" -eq 0 ] || fail "with JCONV_REQUIRE_GPU=1: $other failures that are not the GPU requirement"
       standin_note="builds; all $skipped GPU tests skip without JCONV_REQUIRE_GPU and fail with it (the image default), each naming the requirement" ;;
  esac
  # The GPU bench target names its GPU backends; without a GPU it must stop at once with the reason.
  $podman_main build -f "$work/Dockerfile.gpu-standin" --build-arg "BASE_IMAGE=$standin_image" --target bench \
    -t jconv-gpu-standin-bench "${secret_args[@]}" . >"$work/standin-bench-build.log" 2>&1 \
    || { tail -40 "$work/standin-bench-build.log"; fail "GPU bench target on the stand-in base"; }
  set +e
  $podman_main run --rm jconv-gpu-standin-bench >"$work/standin-bench.out" 2>"$work/standin-bench.err"; bench_rc=$?
  set -e
  echo "  bench target without a GPU: exit $bench_rc: $(cut -c1-110 "$work/standin-bench.err")..."
  [ "$bench_rc" -eq 2 ] && [ "$(wc -l <"$work/standin-bench.err")" -eq 1 ] && grep -q '^error: backend .* is unavailable: ' "$work/standin-bench.err" \
    || fail "GPU bench without a GPU should be one 'error: backend ... is unavailable' line and exit 2"
  standin_note="$standin_note; its bench target stops with exit 2 and the reason"
fi

say "summary"
echo "  CPU image jconv-cpu: $(( size / 1000000 )) MB (base image $(( base_size / 1000000 )) MB)"
echo "  build: ${build_s} s ($($cold && echo cold || echo 'layer cache allowed'))"
echo "  test run: ${test_s} s, exit 0: $(grep -E 'Tests run:' "$work/test.log" | tail -1 | sed 's/^\[[A-Z]*\] //' || echo 'no tests ran')"
echo "  rebuild after a one-line change: ${rebuild_s} s (Maven repository layer cached)"
echo "  bench: $bench_note"
echo "  GPU image: static checks; on a stand-in Ubuntu 24.04 base: $standin_note"
echo "verify: OK"
