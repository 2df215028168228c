#!/usr/bin/env bash
# The GEMM tuner's whole candidate space on this machine (JMH GemmSweepBench: the tuner's three ViT-B products per op),
# sorted, with GFLOP/s, the share of the best, and where the tuner's pick ('clip4j tune', run first) stands.
# Usage: bench/compare/gemm-sweep.sh [THREADS=2] [VECTOR_BITS=0] [extra JVM flag, e.g. -XX:UseAVX=2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/env.sh"
THREADS="${1:-2}"; BITS="${2:-0}"; FLAG="${3:-}"
cd "$ROOT"
[ -f bench/target/clip4j-bench.jar ] && [ -f cli/target/clip4j-cli.jar ] || mvn -q -B install -DskipTests
mkdir -p build/compare
JAVA=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED ${FLAG:+"$FLAG"})
CP="bench/target/clip4j-bench.jar:bench/target/lib/*"
BITS_ARG=(); [ "$BITS" != 0 ] && BITS_ARG=(--vector-bits "$BITS")
TUNED=$(CLIP4J_JAVA_OPTS="$FLAG" ./clip4j tune --threads "$THREADS" "${BITS_ARG[@]}" -q)
PICK=$(tail -1 <<<"$TUNED" | sed 's/^plan //')
# without a width, 'tune' compares the widths worth it and picks one: the sweep runs at that width
WIDTH=$(sed -n 's/^vector width \([0-9]*\).*/\1/p' <<<"$TUNED"); [ "$BITS" = 0 ] && [ -n "$WIDTH" ] && BITS="$WIDTH"
echo "tuner's pick: $PICK${WIDTH:+ at $WIDTH bits}"
SPACE=$("${JAVA[@]}" -cp "$CP" clip4j.bench.GemmSweepBench "$THREADS" 2>/dev/null)   # line 1: FLOP per op, line 2: the plans
FLOP=$(sed -n 1p <<<"$SPACE"); PLANS=$(sed -n 2p <<<"$SPACE")
case ",$PLANS," in *",$PICK,"*) ;; *) PLANS="$PICK,$PLANS" ;; esac
OUT=build/compare/gemm-sweep-$THREADS-$BITS${FLAG:+-${FLAG//[^A-Za-z0-9=]/}}.txt
"${JAVA[@]}" -cp "$CP" org.openjdk.jmh.Main GemmSweepBench -p plan="$PLANS" -p threads="$THREADS" -p vectorBits="$BITS" \
  ${FLAG:+-jvmArgsAppend "$FLAG"} -rf text -rff "$OUT.jmh" >"$OUT.log" 2>&1
# JMH's table: Benchmark (plan) (threads) (vectorBits) Mode Cnt Score ± Error Units, the plan being four or five words
grep -E '^GemmSweepBench' "$OUT.jmh" | awk -v flop="$FLOP" -v pick="$PICK" '
  { plan = $2; for (i = 3; i <= NF - 8; i++) plan = plan " " $i; us = $(NF - 3); if (!(plan in t) || us < t[plan]) t[plan] = us }
  END {
    best = 1e30; worst = 0
    for (p in t) { if (t[p] < best) { best = t[p]; bp = p } if (t[p] > worst) { worst = t[p]; wp = p } }
    n = 0; for (p in t) n++
    printf "%d plans; best %s: %.1f GFLOP/s; worst %s: %.1f GFLOP/s (%.0f%% of best)\n", n, bp, flop / best / 1e3, wp, flop / worst / 1e3, 100 * best / worst
    printf "tuner pick %s: %.1f GFLOP/s (%.1f%% of best)\n", pick, flop / t[pick] / 1e3, 100 * best / t[pick]
    for (p in t) printf "%10.1f us %8.1f GFLOP/s %6.1f%%  %s\n", t[p], flop / t[p] / 1e3, 100 * best / t[p], p | "sort -n"
  }' | tee "$OUT"
