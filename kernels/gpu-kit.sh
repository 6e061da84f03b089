#!/usr/bin/env bash
# Packs what the GPU tier needs into kernels/target/gpukit, for a GPU machine that has no Java and no
# Maven (the reference H100 image): a jlink'd Java runtime (no java.desktop: no sweep charts there), the classes (with the nvcc-built fat
# binary) and test classes of the kernels, nets and bench modules, and every jar on the bench module's
# test class path. Build it here, carry kernels/target/gpukit there, and from the repository root run
# kernels/target/gpukit/session.sh (the whole check, under a deadline), run.sh [gpu|all] (the tests) or
# kernels/target/gpukit/bench.sh ARGS (bench.jar).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kit="$root/kernels/target/gpukit"
cd "$root"
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || { echo "gpu-kit: nvcc is needed here, so the kit carries the own kernels" >&2; exit 1; }
mvn -q -pl bench -am package -DskipTests
mvn -q -pl bench dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$kit/lib"
rm -rf "$kit/runtime" "$kit/out" "$kit"/*.log "$kit"/hs_err_pid*.log
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector \
      --strip-debug --no-header-files --no-man-pages --compress=2 --output "$kit/runtime"
rm -f "$kit"/lib/convbench-*.jar
# JCuda's NVRTC and PTX-compiler natives are never loaded: drop them (the kit must stay under the 64 MiB a device call carries).
for j in "$kit"/lib/jcuda-natives-*.jar; do
  python3 - "$j" <<'PY'
import sys, zipfile, os
src = sys.argv[1]; tmp = src + ".tmp"
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        if "JNvPTXCompiler" in item.filename or "JNvrtc" in item.filename:
            continue
        zout.writestr(item, zin.read(item.filename))
os.replace(tmp, src)
PY
done
cp engine/target/convbench-engine-*[0-9T].jar nets/target/convbench-nets-*[0-9T].jar "$kit/lib/"
rm -rf "$kit/classes" "$kit/test-classes"
mkdir -p "$kit/classes" "$kit/test-classes"
for m in kernels bench; do
  cp -r "$m/target/classes/." "$kit/classes/"
  cp -r "$m/target/test-classes/." "$kit/test-classes/"
done
cat > "$kit/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the kernels tests on this machine: run.sh gpu (the GPU tier, default) or run.sh all (tier 1, then
# the GPU tier). Each GPU test class runs in its own JVM, so a native crash loses only that class (it is
# reported as CRASH, with the JVM's hs_err file under $OUT). CONVBENCH_REQUIRE_GPU=1 (default here)
# fails instead of skipping when CUDA cannot be opened.
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
cd "$kit/../.."   # the kernels module: some tier-1 tests read src/main/cuda
export CONVBENCH_REQUIRE_GPU="${CONVBENCH_REQUIRE_GPU:-1}"
cp="$kit/test-classes:$kit/classes:$(ls "$kit"/lib/*.jar | tr '\n' ':')"
out="${OUT:-$kit}"
tier() { "$kit/runtime/bin/java" --add-modules jdk.incubator.vector -Xss4m -XX:ErrorFile="$out/hs_err_pid%p.log" -cp "$cp" convbench.kernels.GpuTier "$@"; }
{
  status=0
  if [ "${1:-gpu}" = all ]; then tier tier1 || status=1; fi
  for c in $(cd "$kit/test-classes" && find . -name '*GpuTest.class' | sed 's|^[.]/||; s|[.]class$||; s|/|.|g' | sort); do
    echo "== $c"
    tier gpu "$c"
    rc=$?
    if [ $rc -ne 0 ]; then status=1; fi
    if [ $rc -gt 128 ]; then echo "CRASH $c: the JVM died with signal $((rc - 128)) (see $out/hs_err_pid*.log)"; fi
  done
  exit $status
} 2>&1 | tee "$out/gpu-tier.log"
exit "${PIPESTATUS[0]}"
RUN
chmod +x "$kit/run.sh"
cat > "$kit/bench.sh" <<'RUN'
#!/usr/bin/env bash
# bench.jar's command line from the kit: bench.sh alexnet --device cuda ...
kit="$(cd "$(dirname "$0")" && pwd)"
cp="$kit/classes:$(ls "$kit"/lib/*.jar | grep -v -e junit -e opentest4j -e apiguardian | tr '\n' ':')"
exec "$kit/runtime/bin/java" --add-modules jdk.incubator.vector -Xss4m ${OUT:+-XX:ErrorFile="$OUT/hs_err_pid%p.log"} -cp "$cp" convbench.bench.Main "$@"
RUN
chmod +x "$kit/bench.sh"
cat > "$kit/records.sh" <<'RUN'
#!/usr/bin/env bash
# The issue-5 record: every net forward and forward-backward at batch 32 (inception3 at 299) in strict
# FP32 and in TF32 on cuda:0. Writes $OUT/records/<net>-<precision>.json and .log, plus the machine's
# nvidia-smi. Usage: records.sh [steps] [nets...]
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$kit/out}/records"
mkdir -p "$out"
steps="${1:-100}"; shift || true
nets="${*:-alexnet-conv alexnet vgg16 inception3 resnet50 resnet101 resnet152 resnet200}"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
status=0
for p in fp32 tf32; do
  for n in $nets; do
    "$kit/bench.sh" "$n" --device cuda --precision "$p" --batch 32 --steps "$steps" --warmup 10 \
      --format json --output "$out/$n-$p.json" > "$out/$n-$p.log" 2>&1 || status=1
    tail -n 4 "$out/$n-$p.log"
  done
done
exit $status
RUN
chmod +x "$kit/records.sh"
cat > "$kit/session.sh" <<'RUN'
#!/usr/bin/env bash
# The whole GPU check of issue 5 in one device call, in order of value, each stage under its own time
# limit and all of it under one deadline, everything written under $OUT as it goes (a call that runs
# out of time still returns what is there): machine facts, a smoke run, the GPU tier (gpu-tests.log), the batch-32
# FP32 / TF32 records, their Markdown summary, and with time left compute-sanitizer's memcheck of a small
# run. When the smoke run fails, the native path is diagnosed instead (the dynamic
# linker's trace of the smoke run, with cuDNN's own log of errors) and the rest is skipped.
# Usage, from the repository root: kernels/target/gpukit/session.sh [deadline-seconds=480] [record-steps=50]
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$kit/out}"
mkdir -p "$out"
deadline=$(( $(date +%s) + ${1:-480} ))
steps="${2:-50}"
log="$out/session.log"
stage() { # stage NAME LIMIT command...: runs it with at most LIMIT seconds (less if the deadline is nearer)
  local name="$1" limit="$2" left rc t0; shift 2
  left=$(( deadline - $(date +%s) ))
  if [ "$left" -le 10 ]; then echo "SKIP $name: the deadline has passed" | tee -a "$log"; return 124; fi
  [ "$limit" -gt "$left" ] && limit="$left"
  echo "== $name (at most ${limit}s)" | tee -a "$log"
  t0=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$out/$name.log" 2>&1
  rc=$?
  echo "== $name: exit $rc after $(( $(date +%s) - t0 ))s" | tee -a "$log"
  if [ "$name" = ld-debug ]; then grep -a -i -E 'error|cannot|not found|fatal' "$out/$name.log" | grep -v -E 'Java_|JNI_On' | tail -n 25
  else tail -n 25 "$out/$name.log"; fi
  return $rc
}
machine() {
  date -u; uname -a; nvidia-smi; nvidia-smi -q | head -40
  command -v nvcc && nvcc --version; command -v ncu compute-sanitizer nsys
  find / -xdev \( -name 'libcudnn*.so.*' -o -name 'libcublas*.so.*' -o -name 'libnvrtc*.so.*' -o -name 'libcuda.so.1' \) 2>/dev/null | head -40
}
stage machine 30 bash -c "$(declare -f machine); machine"
if ! stage smoke 120 "$kit/bench.sh" alexnet-conv --device cuda --batch 2 --steps 3 --warmup 1 --mode all; then
  stage ld-debug 60 env LD_DEBUG=libs,versions CUDNN_LOGLEVEL_DBG=2 CUDNN_LOGDEST_DBG=stderr "$kit/bench.sh" alexnet-conv --device cuda --batch 2 --steps 1 --warmup 0
  gzip -f "$out/ld-debug.log" 2>/dev/null
  echo "the smoke run failed: the GPU tier and the records are skipped (see smoke.log and ld-debug.log.gz)" | tee -a "$log"
  exit 1
fi
stage gpu-tests 240 "$kit/run.sh" gpu
stage records 600 env OUT="$out" "$kit/records.sh" "$steps"
# the Markdown summary for bench/results/ (bench/compare/gpu_records.py, from the working tree), where Python is
py="$(command -v python3 || ls /opt/*/.venv/bin/python3 2>/dev/null | head -1)"
if [ -n "$py" ] && [ -f "$kit/../../../bench/compare/gpu_records.py" ]; then
  stage summary 30 "$py" "$kit/../../../bench/compare/gpu_records.py" "$out/records"
  cp "$out/summary.log" "$out/records.md" 2>/dev/null
fi
# with time left: compute-sanitizer's memcheck over one small step of each mode (out-of-bounds and misaligned
# accesses in cuDNN / cuBLAS calls with our descriptors, and in the own kernels)
if command -v compute-sanitizer >/dev/null && [ $(( deadline - $(date +%s) )) -ge 100 ]; then
  stage memcheck 150 compute-sanitizer --tool memcheck --target-processes all --print-limit 20 --error-exitcode 3 \
    "$kit/bench.sh" alexnet-conv --device cuda --batch 2 --steps 1 --warmup 0 --mode all
fi
echo "session done: $(ls "$out" | tr '\n' ' ')" | tee -a "$log"
RUN
chmod +x "$kit/session.sh"
du -sh "$kit" "$kit/runtime" "$kit/lib"
echo "gpu-kit: carry kernels/target/gpukit and run kernels/target/gpukit/session.sh (everything) or run.sh (the tests) from the repository root"
