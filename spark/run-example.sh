#!/usr/bin/env bash
# The jconv Spark example job, local mode by default (README.md, "Scale out: Apache Spark"):
#   spark/run-example.sh --images DIR --weight W.npy [--bias B.npy] [conv options as ./jconv run]
#                        [--master local[2]] [--batch-size 32] [--backend auto] --output OUT
# Builds what it needs on first use (the jconv library, then spark/target/jconv-spark-*-all.jar and the list of
# Spark's jars in spark/target/spark-classpath.txt), then runs the job with Spark on the class path, as
# spark-submit would. JAVA_OPTS are passed to java (e.g. JAVA_OPTS=-Xmx8g).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
stamp="$here/target/.example-built"

stale() {
    [ ! -f "$stamp" ] || [ ! -f "$here/target/spark-classpath.txt" ] \
        || [ -n "$(find "$root/pom.xml" "$root/src" "$here/pom.xml" "$here/src/main" -newer "$stamp" -print -quit 2>/dev/null)" ]
}

build() {
    command -v mvn >/dev/null 2>&1 || { echo "error: spark/target needs building but mvn is not on PATH" >&2; exit 1; }
    echo "run-example: building the jconv library and spark/target (mvn -q -DskipTests install)" >&2
    # Maven's output goes to stderr so stdout stays the job's; the sed drops the colour resets Debian's Maven prints.
    if grep -q '<module>spark</module>' "$root/pom.xml"; then
        (cd "$root" && mvn -B -q -DskipTests install -pl spark -am)
    else
        # The root is still a single jar project: install the library, then build this module against it.
        (cd "$root" && mvn -B -q -DskipTests install) && (cd "$here" && mvn -B -q -DskipTests install)
    fi 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' >&2
    (cd "$here" && mvn -B -q dependency:build-classpath -Dmdep.includeScope=provided \
        -Dmdep.outputFile=target/spark-classpath.txt 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' >&2)
    touch "$stamp"
}

if stale; then
    mkdir -p "$here/target"
    exec 9>"$here/target/.build.lock"
    flock 9
    if stale; then
        build || { echo "error: building the Spark example failed (see the Maven output above)" >&2; exit 1; }
    fi
    exec 9>&-
fi

jar="$(ls "$here"/target/jconv-spark-*-all.jar)"
# conf/java-options: --add-modules jdk.incubator.vector (jconv's cpu backend) and the --add-opens Spark needs
# on Java 17. The incubator warning Java prints at every start is dropped, as ./jconv does.
set +e
# shellcheck disable=SC2086
{ java "@$here/conf/java-options" "-Dlog4j2.configurationFile=$here/conf/log4j2.properties" ${JAVA_OPTS:-} \
    -cp "$jar:$(cat "$here/target/spark-classpath.txt")" dev.jconv.spark.ExampleJob "$@" 2>&1 1>&3 3>&- \
    | grep --line-buffered -v '^WARNING: Using incubator modules: jdk\.incubator\.vector$' >&2; } 3>&1
exit "${PIPESTATUS[0]}"
