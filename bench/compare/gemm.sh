#!/usr/bin/env bash
# GEMM on the ViT-B/32 linear shapes: clip4j's packed kernel under the tuner's plan (JMH LinearBench), the machine's FMA peak (JMH
# FmaPeakBench) and OpenBLAS sgemm (Debian's libopenblas0-pthread, installed when missing), same thread count.
# Usage: bench/compare/gemm.sh [THREADS=2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/env.sh"
THREADS="${1:-2}"
cd "$ROOT"
if [ ! -e /usr/lib/x86_64-linux-gnu/libopenblas.so.0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread) >&2
fi
[ -f bench/target/clip4j-bench.jar ] || mvn -q -B install -DskipTests
mkdir -p build/compare
gcc -O2 bench/compare/sgemm_openblas.c -o build/compare/sgemm_openblas -l:libopenblas.so.0
JMH=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "bench/target/clip4j-bench.jar:bench/target/lib/*" org.openjdk.jmh.Main)
"${JMH[@]}" FmaPeakBench -t "$THREADS" -wi 2 -w 1 -i 5 -r 1 2>&1 | grep -E "^(Benchmark|FmaPeakBench)"
# the plan the tuner picks for this machine (kept in the user cache; tuned now when there is none)
PLAN=$(./clip4j tune --threads "$THREADS" -q | tail -1 | sed 's/^plan //')
"${JMH[@]}" LinearBench -p backend=cpu -p threads=$THREADS -p plan="$PLAN" -wi 3 -w 1 -i 5 -r 1 2>&1 | grep -E "^(Benchmark|LinearBench)"
OPENBLAS_NUM_THREADS="$THREADS" build/compare/sgemm_openblas 2
