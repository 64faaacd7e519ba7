#!/usr/bin/env bash
# Builds and runs the JMH benchmarks in one go: installs jconv's modules into the local Maven repository (tests
# skipped), builds benchmarks/target/benchmarks.jar, and runs it with the arguments given, from the
# repository root. Results: jmh-result.json (JMH's JSON) unless -rff says otherwise. Examples:
#   benchmarks/run-jmh.sh --suites resnet50 -p backend=cpu,cpu-reference
#   benchmarks/run-jmh.sh --suites seeds -wi 1 -i 3 -rff benchmarks/results/jmh-seeds.json
# MAVEN_ARGS (e.g. -o for offline) is passed to both Maven builds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2086
mvn -B -q ${MAVEN_ARGS:-} -f "$root/pom.xml" -DskipTests install
# shellcheck disable=SC2086
mvn -B -q ${MAVEN_ARGS:-} -f "$root/benchmarks/pom.xml" package
cd "$root"
exec java -jar benchmarks/target/benchmarks.jar "$@"
