#!/usr/bin/env bash
# Builds the CPU emulation of the CUDA kernels (cuda_emu.h) into OUTDIR: kernel_emulation (each kernel against a
# reference; KernelEmulationTest runs it) and, where no real libcuda.so.1 is installed, the emulated driver
# OUTDIR/driver/libcuda.so.1 that the kernels module's tests load through LD_LIBRARY_PATH (pom.xml), so CudaBackendTest
# runs the whole CUDA backend on the CPU. Without g++ it says so and builds nothing (those tests then skip).
# Usage: kernels/src/test/cuda/build.sh OUTDIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KERNELS="$HERE/../../main/cuda"
OUT="$1"
if ! command -v g++ >/dev/null 2>&1; then
  echo "emulation: g++ not found: CUDA kernels not built for the CPU (their emulation tests skip)"
  exit 0
fi
mkdir -p "$OUT/obj" "$OUT/checked" "$OUT/driver"
CXX=(g++ -std=c++20 -O2 -fPIC -include "$HERE/emu/cuda_emu.h" -I"$HERE/emu" -I"$HERE" -I"$HERE/../../main/resources/clip4j/cuda")
# kernel_emulation also traps misaligned vector accesses (a GPU faults on them; x86 would not notice)
CHECKED=(-fsanitize=alignment -fno-sanitize-recover=alignment)
pids=()
for src in "$KERNELS"/*.cu "$HERE"/kernel_emulation.cpp "$HERE"/emulated_driver.cpp; do
  "${CXX[@]}" -x c++ -c "$src" -o "$OUT/obj/$(basename "$src").o" &
  pids+=($!)
  "${CXX[@]}" "${CHECKED[@]}" -x c++ -c "$src" -o "$OUT/checked/$(basename "$src").o" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
kernels=("$OUT"/obj/*.cu.o)
g++ "${CHECKED[@]}" -o "$OUT/kernel_emulation" "$OUT"/checked/*.cu.o "$OUT/checked/kernel_emulation.cpp.o"
rm -f "$OUT/driver/libcuda.so.1"
# NVIDIA's driver library: in the loader cache, on LD_LIBRARY_PATH, or where containers mount it
real_driver() {
  ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 ' && return 0
  local d
  IFS=: read -ra dirs <<< "${LD_LIBRARY_PATH:-}"
  for d in "${dirs[@]}" /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64; do
    [ -n "$d" ] && [ -e "$d/libcuda.so.1" ] && return 0
  done
  return 1
}
if real_driver; then
  echo "emulation: a real libcuda.so.1 is installed: the CUDA tests use it, no emulated driver built"
else
  g++ -shared -o "$OUT/driver/libcuda.so.1" -Wl,-soname,libcuda.so.1 "${kernels[@]}" "$OUT/obj/emulated_driver.cpp.o"
  echo "emulation: kernels and the emulated driver built in $OUT"
fi
