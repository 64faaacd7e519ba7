#!/usr/bin/env bash
# Pictures per second of the Spark example job on local[2] against a plain single-JVM loop over the same
# pictures (spark/src/test/java/dev/jconv/spark/bench/PicturesPerSecond.java says what is timed).
#   benchmarks/spark_pictures_per_second.sh [PICTURES=256] [SIZE=128]
# Needs the library installed and spark/ built (spark/run-example.sh does both on first use).
set -euo pipefail
spark="$(cd "$(dirname "$0")/../spark" && pwd)"
(cd "$spark" && mvn -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt)
java "@$spark/conf/java-options" "-Dlog4j2.configurationFile=$spark/conf/log4j2.properties" \
    -cp "$spark/target/test-classes:$spark/target/classes:$(cat "$spark/target/test-classpath.txt")" \
    dev.jconv.spark.bench.PicturesPerSecond "$@" 2>&1 | grep -v '^WARNING: Using incubator modules'
