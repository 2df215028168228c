#!/usr/bin/env bash
# Compiles every kernels/src/main/cuda/*.cu to PTX (compute_90: PTX ISA 9.0 with nvcc 13, loaded by driver r580+).
# Usage: kernels/build-ptx.sh OUTDIR    (the Maven build runs it into kernels/target/ptx when nvcc is on the PATH;
#        to refresh the committed PTX: kernels/build-ptx.sh kernels/src/main/resources/clip4j/cuda)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$1"
NVCC="$(command -v nvcc || true)"
[ -n "$NVCC" ] || { [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc; } || true
if [ -z "$NVCC" ]; then
  echo "build-ptx: nvcc not found: keeping the committed PTX (the freshness test is skipped)"
  exit 0
fi
mkdir -p "$OUT"
for cu in "$HERE"/src/main/cuda/*.cu; do
  name="$(basename "$cu" .cu)"
  "$NVCC" -ptx -arch=compute_90 -O3 -I "$HERE/src/main/resources/clip4j/cuda" -o "$OUT/$name.ptx.tmp" "$cu"
  mv "$OUT/$name.ptx.tmp" "$OUT/$name.ptx"
done
echo "build-ptx: $(ls "$OUT"/*.ptx | wc -l) PTX files in $OUT ($("$NVCC" --version | tail -1))"
