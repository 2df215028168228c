#!/usr/bin/env bash
# Side-by-side clip4j vs ONNX Runtime (Java, same machine, same seeded fp32 weights, same thread count).
# Usage: bench/compare/run.sh [ARCH=ViT-B-32-quickgelu] [THREADS=2] [ROUNDS=3] [SECONDS=4]
# clip4j's JVM takes extra flags from $CLIP4J_JAVA_OPTS (as the launcher does), e.g. -XX:UseAVX=2.
# Needs Debian's python3-torch (installed when missing) for the ONNX export; the export is cached in build/compare.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/env.sh"
ARCH="${1:-ViT-B-32-quickgelu}"; THREADS="${2:-2}"; ROUNDS="${3:-3}"; SECS="${4:-4}"
OUT="$ROOT/build/compare/$ARCH-seed0"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch) >&2
fi
cd "$ROOT"
[ -f bench/target/clip4j-bench.jar ] && [ -f cli/target/clip4j-cli.jar ] || mvn -q -B install -DskipTests
if [ ! -f "$OUT/image.onnx" ]; then /usr/bin/python3 bench/compare/export_onnx.py "$ARCH" 0 "$OUT"; fi
# the CLI's user cache: OpenAI's vocabulary, and clip4j's tuned GEMM plan and packed weights, as the CLI uses them
CACHE="${CLIP4J_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clip4j}"
if [ ! -f "$OUT/clip4j.safetensors" ]; then
  # the exported ONNX model has OpenAI's vocabulary, so the clip4j model must too: $CLIP4J_BPE or the CLI's user cache
  BPE="${CLIP4J_BPE:-$CACHE/bpe_simple_vocab_16e6.txt.gz}"
  [ -f "$BPE" ] || { echo "compare: OpenAI's bpe_simple_vocab_16e6.txt.gz not found: set CLIP4J_BPE to it, or run './clip4j demo' once online (it is downloaded into $CACHE)" >&2; exit 1; }
  ./clip4j init-random --arch "$ARCH" --seed 0 --output "$OUT/hf" --bpe "$BPE"
  ./clip4j convert --input "$OUT/hf" --output "$OUT/clip4j.safetensors"
fi
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g \
  ${CLIP4J_JAVA_OPTS:-} -cp "bench/target/clip4j-bench.jar:bench/target/lib/*" clip4j.bench.OrtCompare "$OUT" "$OUT/clip4j.safetensors" "$THREADS" "$ROUNDS" "$SECS" "$CACHE"
