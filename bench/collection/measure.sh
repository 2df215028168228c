#!/usr/bin/env bash
# 'clip4j embed' on real collections against the encoder alone, on the seeded ViT-B/32 (any model file works):
#   1. bench image at the same batch: the encoder's own rate (images/s);
#   2. embed of Fashion-MNIST PNGs (28x28) and of photo-sized JPEGs (1024x768): images/s, wall time, peak RSS;
#   3. resume: the Fashion-MNIST run killed with SIGKILL after KILL_AFTER seconds, then rerun: the rerun's time and
#      whether the output is byte-identical to the uninterrupted run's.
# Usage: bench/collection/measure.sh [MODEL=build/compare/ViT-B-32-quickgelu-seed0/clip4j.safetensors] [BATCH=8]
# The collections are made once by scripts/make_collection_images.py (Debian's python3-pil and dataset-fashion-mnist).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
MODEL="${1:-build/compare/ViT-B-32-quickgelu-seed0/clip4j.safetensors}"; BATCH="${2:-8}"; KILL_AFTER="${KILL_AFTER:-60}"
DATA=build/datasets OUT=build/measure
[ -f "$MODEL" ] || { echo "measure: $MODEL not found (bench/compare/run.sh makes the seeded ViT-B/32)" >&2; exit 1; }
[ -d "$DATA/fashion-mnist" ] && [ -d "$DATA/photos" ] || /usr/bin/python3 scripts/make_collection_images.py "$DATA"
rm -rf "$OUT"; mkdir -p "$OUT"
rss() { sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$1" | awk '{printf "%.0f MB", $1/1024}'; }
echo "== encoder alone: bench image, batch $BATCH"
./clip4j bench image --model "$MODEL" --batch "$BATCH" --seconds 30 -q | tail -1
for set in fashion-mnist photos; do
  echo "== embed $set ($(ls "$DATA/$set" | wc -l) images)"
  /usr/bin/time -v -o "$OUT/$set.time" ./clip4j embed --model "$MODEL" --input "$DATA/$set" --output "$OUT/$set" --batch "$BATCH" \
    --shard-size 1000 2>&1 | grep -E "images in|failed" || true
  echo "peak RSS $(rss "$OUT/$set.time")"
done
echo "== resume: fashion-mnist killed with SIGKILL after ${KILL_AFTER} s, then run again"
./clip4j embed --model "$MODEL" --input "$DATA/fashion-mnist" --output "$OUT/killed" --batch "$BATCH" --shard-size 1000 -q &
sleep "$KILL_AFTER"; pkill -9 -f "embed --model $MODEL --input $DATA/fashion-mnist --output $OUT/killed" || true; wait || true
echo "shards finished before the kill: $(ls "$OUT/killed"/embeddings-*.npy 2>/dev/null | wc -l)"
start=$(date +%s.%N)
./clip4j embed --model "$MODEL" --input "$DATA/fashion-mnist" --output "$OUT/killed" --batch "$BATCH" --shard-size 1000 2>&1 | grep -E "images in" || true
echo "rerun: $(echo "$(date +%s.%N) - $start" | bc) s"
if diff -r "$OUT/fashion-mnist" "$OUT/killed" >/dev/null; then echo "output byte-identical to the uninterrupted run"; else echo "OUTPUT DIFFERS"; fi
