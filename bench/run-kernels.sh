#!/bin/sh
# Runs the JMH kernel benchmarks (bench/src/main/java/minitron/bench/KernelBenchmark.java), scalar reference
# against the Vector API backend. Extra arguments go to JMH, e.g.:
#   bench/run-kernels.sh 'KernelBenchmark.attention$' -p backend=vector -t 1
# Builds the bench module and the modules it depends on first (no install into ~/.m2).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/find-jdk.sh"
(cd "$root" && ./mvnw -B -q -ntp -pl bench -am package -DskipTests) >&2
m2="${MAVEN_REPO:-$HOME/.m2/repository}"
cp="$root/bench/target/classes:$root/tensor/target/classes"
cp="$cp:$m2/org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37.jar"
cp="$cp:$m2/net/sf/jopt-simple/jopt-simple/5.0.4/jopt-simple-5.0.4.jar"
cp="$cp:$m2/org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar"
if [ $# -eq 0 ]; then set -- KernelBenchmark; fi
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$cp" org.openjdk.jmh.Main "$@"
