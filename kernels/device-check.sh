#!/usr/bin/env bash
# Issue 5's device check, in two halves.
#   kernels/device-check.sh prepare   (here) builds the jars and a jlink'd JDK 25 runtime into build/device
#   kernels/device-check.sh run [S]   (on the GPU machine, via the device tool with carry ["build/device"]) prints the
#       driver, runs the CUDA kernel tests (JUnit console), the clip4j parity + throughput check (DeviceCheck) and
#       PyTorch eager on the same seeded model and card; S seconds per measure (default 5); summary last.
#   kernels/device-check.sh dry-run   (here, after prepare and a build with tests) the run half on the CPU emulation of
#       the driver (kernels/target/emu/driver) with the test-tiny model at tiny sizes: the same jars, runtime, classes
#       and code paths, so a mistake shows here instead of costing GPU minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV="$ROOT/build/device"
RESULTS="${OUT:-/tmp}"  # the device tool collects files from $OUT
case "${1:-}" in
  prepare)
    . "$ROOT/scripts/env.sh"
    cd "$ROOT"
    mvn -q -B install -DskipTests
    rm -rf "$DEV" && mkdir -p "$DEV/lib"
    mvn -q -B -pl kernels dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$DEV/lib"
    mvn -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:6.1.3 -DoutputDirectory="$DEV/lib"
    cp kernels/target/clip4j-kernels-*.jar "$DEV/lib/"
    # the device tool carries at most 64 MiB: keep only the driver API's JNI library of the JCuda natives (2 of 9 MB)
    natives=("$DEV"/lib/jcuda-natives-*.jar)
    rm -rf "$DEV/natives" && mkdir "$DEV/natives"
    (cd "$DEV/natives" && unzip -q "${natives[0]}" 'lib/libJCudaDriver-*')
    rm "${natives[0]}" && "$JAVA_HOME/bin/jar" --create --file "${natives[0]}" -C "$DEV/natives" . && rm -r "$DEV/natives"
    mkdir -p "$DEV/test-classes" && cp -r kernels/target/test-classes/. "$DEV/test-classes/"
    rm -rf "$DEV/jre"
    "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector \
      --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$DEV/jre"
    du -sh "$DEV"
    echo 'device run: command "bash kernels/device-check.sh run 2", carry ["build/device"], timeout_s 540'
    ;;
  run | dry-run)
    if [ "$1" = dry-run ]; then
      export LD_LIBRARY_PATH="$ROOT/kernels/target/emu/driver"
      [ -f "$LD_LIBRARY_PATH/libcuda.so.1" ] || { echo "device-check: no emulated driver in $LD_LIBRARY_PATH: build with tests first" >&2; exit 1; }
      SECS=0.2 DRY=--dry-run
    else
      SECS="${2:-5}" DRY=
      nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "nvidia-smi failed"
    fi
    J=("$DEV/jre/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g)
    "${J[@]}" -jar "$DEV"/lib/junit-platform-console-standalone-*.jar execute --class-path "$DEV/test-classes:$(ls "$DEV"/lib/*.jar | tr '\n' ':')" \
      --select-package clip4j.cuda --details=tree 2>&1 | tail -40 || true
    status=0
    "${J[@]}" -cp "$DEV/test-classes:$(ls "$DEV"/lib/*.jar | tr '\n' ':')" clip4j.cuda.DeviceCheck "$SECS" $DRY 2>&1 | tee "$RESULTS/clip4j-device.txt" || status=1
    PY=python3  # the first Python that has PyTorch (a pyenv shim may hide Debian's python3-torch)
    for p in python3 /usr/bin/python3; do "$p" -c 'import torch' 2>/dev/null && { PY="$p"; break; }; done
    PYTHONUNBUFFERED=1 "$PY" "$ROOT/kernels/torch_bench.py" "$SECS" $DRY 2>&1 | tee "$RESULTS/torch-eager.txt" || status=1
    exit $status
    ;;
  *)
    echo "usage: kernels/device-check.sh prepare | run [seconds] | dry-run" >&2
    exit 2
    ;;
esac
