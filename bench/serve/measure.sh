#!/usr/bin/env bash
# 'clip4j serve' under load, next to the encoders alone (clip4j.bench.ServeLoad is the client):
#   1. bench image / bench text at batch 32 (the server's --max-batch) and 1: the engine's own rates;
#   2. the server with an index: RSS idle; text and image requests at concurrency 1, 8 and 64 (throughput, p50/p99,
#      batch-size histogram, RSS);
#   3. overload: image requests at 10x the measured concurrency-64 rate for OVERLOAD_S seconds (accepted and refused
#      timed apart), then concurrency 8 again (recovery);
#   4. a storm of bad requests (truncated image, decompression bomb, 100 MB body, wrong content type, invalid JSON,
#      10,000 labels) beside good requests;
#   5. SIGTERM: the graceful stop's time.
# Usage: bench/serve/measure.sh [MODEL=build/compare/ViT-B-32-quickgelu-seed0/clip4j.safetensors] [SECONDS=20]
# The index is build/measure/fashion-mnist (bench/collection/measure.sh), else 1,000 Fashion-MNIST images embedded here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
. scripts/env.sh
MODEL="${1:-build/compare/ViT-B-32-quickgelu-seed0/clip4j.safetensors}"; S="${2:-20}"; OVERLOAD_S="${OVERLOAD_S:-60}"
PORT="${PORT:-18080}" URL="http://127.0.0.1:${PORT:-18080}" IMAGES=build/datasets/fashion-mnist
[ -f "$MODEL" ] || { echo "measure: $MODEL not found (bench/compare/run.sh makes the seeded ViT-B/32)" >&2; exit 1; }
[ -d "$IMAGES" ] || /usr/bin/python3 scripts/make_collection_images.py build/datasets
INDEX=build/measure/fashion-mnist
if [ ! -f "$INDEX/manifest.json" ]; then
  INDEX=build/serve-index
  ls "$IMAGES"/*.png | head -1000 > build/serve-index.txt
  ./clip4j embed --model "$MODEL" --input build/serve-index.txt --output "$INDEX" --batch 8 -q
fi
[ -f bench/target/clip4j-bench.jar ] || mvn -q -B install -DskipTests -pl bench,cli -am
LOAD=("$JAVA_HOME/bin/java" -cp "bench/target/clip4j-bench.jar:bench/target/lib/*" clip4j.bench.ServeLoad)

echo "== the engine alone"
for b in 32 1; do
  echo "bench image --batch $b: $(./clip4j bench image --model "$MODEL" --batch "$b" --seconds "$S" -q | tail -1)"
  echo "bench text --batch $b: $(./clip4j bench text --model "$MODEL" --batch "$b" --seconds "$S" -q | tail -1)"
done

echo "== serve --max-batch 32 --max-delay-ms 5 --queue 256, index $INDEX"
./clip4j serve --model "$MODEL" --index "$INDEX" --port "$PORT" --max-batch 32 --max-delay-ms 5 --queue 256 -q &
for _ in $(seq 120); do curl -sf "$URL/health" >/dev/null && break; sleep 1; done
PID=$(pgrep -f "clip4j.cli.Main serve --model $MODEL" | head -1)
"${LOAD[@]}" "$URL" "$PID" "$IMAGES" idle closed:text:1:$S closed:text:8:$S closed:text:64:$S closed:image:1:$S closed:image:8:$S \
  closed:image:64:$S idle | tee build/serve-load.txt
RATE=$(sed -n 's/^closed image c=64: \([0-9.]*\) req\/s.*/\1/p' build/serve-load.txt | awk '{printf "%.0f", 10 * $1}')
echo "== overload: 10x the concurrency-64 image rate ($RATE req/s) for $OVERLOAD_S s, then concurrency 8"
"${LOAD[@]}" "$URL" "$PID" "$IMAGES" "open:image:$RATE:$OVERLOAD_S" closed:image:8:$S idle
echo "== bad requests beside good ones"
"${LOAD[@]}" "$URL" "$PID" "$IMAGES" storm:30:10 storm:30 idle
start=$(date +%s.%N); kill -TERM "$PID"; wait || true
echo "graceful stop: $(echo "$(date +%s.%N) - $start" | bc) s"
