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
# one reactor build (the sibling modules resolve from it, nothing needs to be installed), every module's jars copied
mvn -q -pl bench -am package dependency:copy-dependencies -DskipTests -DincludeScope=test -DoutputDirectory="$kit/lib"
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
tier() { "$kit/runtime/bin/java" --add-modules jdk.incubator.vector -Xss4m -XX:ErrorFile="$out/hs_err_pid%p.log" -cp "$cp" convbench.kernels.cuda.GpuTier "$@"; }
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
dev="${SESSION_DEVICE:-cuda}" # session.sh's SESSION_DEVICE=cpu tries the session without a GPU
nets="${*:-alexnet-conv alexnet vgg16 inception3 resnet50 resnet101 resnet152 resnet200}"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
status=0
for p in fp32 tf32; do
  for n in $nets; do
    "$kit/bench.sh" "$n" --device "$dev" --precision "$p" --batch 32 --steps "$steps" --warmup 10 \
      --format json --output "$out/$n-$p.json" > "$out/$n-$p.log" 2>&1 || status=1
    tail -n 4 "$out/$n-$p.log"
  done
done
exit $status
RUN
chmod +x "$kit/records.sh"
cat > "$kit/session.sh" <<'RUN'
#!/usr/bin/env bash
# The whole GPU check in one device call, in order of value, each stage under its own time limit and all of
# it under one deadline: machine facts, a smoke run, the GPU tier, bench verify of every net on cuda in FP32
# and TF32 (when this build has it), the batch-32 FP32 / TF32 records and their Markdown summary, an nsys
# capture of one alexnet-conv step with NVTX ranges (when nsys is there), compute-sanitizer's memcheck of a
# small run (with time left). When the smoke run fails, the native path is diagnosed instead (the dynamic
# linker's trace, with cuDNN's own log of errors) and the rest is skipped.
#
# What comes back: a device call returns at most 8 files from $OUT, so everything is written to a work
# folder and packed after every stage into $OUT/session.tar.gz (a call cut off at its limit still returns what
# was done), beside $OUT/summary.txt (each stage's exit code and time, and the lines that matter).
# Usage, from the repository root: kernels/target/gpukit/session.sh [deadline-seconds=480] [record-steps=50]
# SESSION_DEVICE=cpu runs the same stages on the CPU (to try the session without a GPU).
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$kit/out}"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/convbench-session.XXXXXX")"
deadline=$(( $(date +%s) + ${1:-480} ))
steps="${2:-50}"
dev="${SESSION_DEVICE:-cuda}"
nets="alexnet-conv alexnet vgg16 inception3 resnet50 resnet101 resnet152 resnet200"
log="$work/session.log"
summary="$work/summary.txt"
echo "convbench GPU session $(date -u +%FT%TZ), device $dev, deadline ${1:-480}s, work $work" > "$summary"
limit_archive=$(( 15 * 1024 * 1024 ))
noted_big=""
pack() { # the work folder into $out/session.tar.gz (atomically); if that would pass 15 MiB, files over 2 MiB go in as their last 256 KiB
  local tmp="$work.tar.gz" big="" f
  tar -czf "$tmp" -C "$work" . 2>/dev/null
  if [ "$(stat -c %s "$tmp" 2>/dev/null || echo 0)" -gt "$limit_archive" ]; then
    ( cd "$work" && find . -type f -size +2M | sort > "$work.big" )
    while read -r f; do tail -c 262144 "$work/$f" > "$work/$f.tail"; big="$big $f"; done < "$work.big"
    tar -czf "$tmp" -C "$work" -X "$work.big" . 2>/dev/null
    if [ "$big" != "$noted_big" ]; then
      echo "archive: over 2 MiB, only their last 256 KiB (NAME.tail) are in it:$big" >> "$summary"
      noted_big="$big"
    fi
  fi
  mv -f "$tmp" "$out/session.tar.gz"
  cp "$summary" "$out/summary.txt"
}
stage() { # stage NAME LIMIT command...: runs it with at most LIMIT seconds (less if the deadline is nearer), then packs
  local name="$1" limit="$2" left rc t0; shift 2
  left=$(( deadline - $(date +%s) ))
  if [ "$left" -le 10 ]; then echo "SKIP $name: the deadline has passed" | tee -a "$log" "$summary"; return 124; fi
  [ "$limit" -gt "$left" ] && limit="$left"
  echo "== $name (at most ${limit}s)" | tee -a "$log"
  t0=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$work/$name.log" 2>&1
  rc=$?
  echo "== $name: exit $rc after $(( $(date +%s) - t0 ))s" | tee -a "$log"
  echo "stage $name: exit $rc after $(( $(date +%s) - t0 ))s$([ $rc -eq 124 ] && echo ' (time limit)')" >> "$summary"
  if [ "$name" = ld-debug ]; then grep -a -i -E 'error|cannot|not found|fatal' "$work/$name.log" | grep -v -E 'Java_|JNI_On' | tail -n 25
  else tail -n 25 "$work/$name.log"; fi
  note "$name"
  pack
  return $rc
}
note() { # the lines of a stage's log that go into the summary
  local f="$work/$1.log"
  case "$1" in
    smoke) grep -a -E '^  (backend|device|cudnn|cublas|precision|nvtx) | (forward|forward-backward|train): |^bench: ' "$f" | head -12 ;;
    gpu-tests) grep -a -E '^(FAIL|CRASH)' "$f" | head -5
               echo "gpu-tests: $(grep -a -c '^PASS' "$f") passed, $(grep -a -c -E '^(FAIL|CRASH)' "$f") failed or crashed, $(grep -a -c '^SKIP' "$f") skipped" ;;
    verify-*) grep -a -E '^(verify|VERIFY|PASS|FAIL|bench:)|not in this build' "$f" | head -24 ;;
    records-*) grep -a -E ' (forward|forward-backward): |^bench: ' "$f" | head -4 ;;
    nsys) grep -a -E 'nvtx|NVTX|Range|step|error' "$f" | head -15 ;;
    memcheck) grep -a -E 'ERROR SUMMARY|========= (Invalid|Program hit)' "$f" | head -8 ;;
    *) ;;
  esac | cut -c1-220 | sed "s/^/  /" >> "$summary"
}
machine() {
  date -u; uname -a; nvidia-smi; nvidia-smi -q | head -40
  command -v nvcc && nvcc --version; command -v ncu compute-sanitizer nsys
  find / -xdev \( -name 'libcudnn*.so.*' -o -name 'libcublas*.so.*' -o -name 'libnvrtc*.so.*' -o -name 'libcuda.so.1' \) 2>/dev/null | head -40
}
# bench verify NET on the device in a precision, every net (from the reference issue; skipped where this build has none)
verify_all() {
  local p="$1" n rc status=0
  if ! "$kit/bench.sh" --help 2>/dev/null | grep -q -E '^ +verify '; then echo "bench verify is not in this build: skipped"; return 0; fi
  for n in $nets; do
    timeout -k 5 90 "$kit/bench.sh" verify "$n" --device "$dev" --precision "$p" > "$work/verify-$p-$n.txt" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -q -E 'Unmatched argument|Unknown (option|command)|unknown net' "$work/verify-$p-$n.txt"; then
      echo "bench verify is not in this build (or takes other arguments): $(tail -n 1 "$work/verify-$p-$n.txt")"; return 0
    fi
    [ $rc -ne 0 ] && status=1
    echo "verify $n $p: $([ $rc -eq 0 ] && echo PASS || echo "FAIL (exit $rc)") $(tail -n 1 "$work/verify-$p-$n.txt")"
  done
  return $status
}
# one alexnet-conv step under nsys, only the timed step (cudaProfilerApi), with the NVTX ranges of --profile
nsys_capture() {
  nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop --trace=cuda,nvtx,cudnn,cublas --sample=none \
    --force-overwrite=true -o "$work/alexnet-conv" "$kit/bench.sh" alexnet-conv --device "$dev" --batch 32 --steps 1 --warmup 2 --profile || return $?
  nsys stats --report nvtx_sum --format csv -o "$work/alexnet-conv" "$work/alexnet-conv.nsys-rep" \
    || nsys stats --report nvtxsum --format csv -o "$work/alexnet-conv" "$work/alexnet-conv.nsys-rep"
  ls -la "$work"/alexnet-conv*
  head -n 30 "$work"/alexnet-conv*nvtx*sum*.csv 2>/dev/null
}
stage machine 30 bash -c "$(declare -f machine); machine"
if ! stage smoke 120 "$kit/bench.sh" alexnet-conv --device "$dev" --batch 2 --steps 3 --warmup 1 --mode all; then
  stage ld-debug 60 env LD_DEBUG=libs,versions CUDNN_LOGLEVEL_DBG=2 CUDNN_LOGDEST_DBG=stderr "$kit/bench.sh" alexnet-conv --device "$dev" --batch 2 --steps 1 --warmup 0
  gzip -f "$work/ld-debug.log" 2>/dev/null
  echo "the smoke run failed: the GPU tier and the records are skipped (see smoke.log and ld-debug.log.gz)" | tee -a "$log" "$summary"
  pack
  exit 1
fi
stage gpu-tests 240 env OUT="$work" "$kit/run.sh" gpu
stage verify-fp32 150 bash -c "$(declare -f verify_all); kit='$kit'; work='$work'; dev='$dev'; nets='$nets'; verify_all fp32"
stage verify-tf32 150 bash -c "$(declare -f verify_all); kit='$kit'; work='$work'; dev='$dev'; nets='$nets'; verify_all tf32"
# the records, a net at a time (FP32 and TF32 each), packed after each; 30 s kept for their summary, and 70 s more
# for the nsys capture when nsys is there
reserve=30; command -v nsys >/dev/null && reserve=100
for n in $nets; do
  left=$(( deadline - $(date +%s) - reserve ))
  if [ "$left" -le 20 ]; then echo "SKIP records-$n: no time left" | tee -a "$log" "$summary"; continue; fi
  stage "records-$n" "$left" env OUT="$work" "$kit/records.sh" "$steps" "$n"
done
# the Markdown summary for bench/results/ (bench/compare/gpu_records.py, from the working tree), where Python is
py="$(command -v python3 || ls /opt/*/.venv/bin/python3 2>/dev/null | head -1)"
if [ -n "$py" ] && [ -f "$kit/../../../bench/compare/gpu_records.py" ] && [ -d "$work/records" ]; then
  stage records-md 30 "$py" "$kit/../../../bench/compare/gpu_records.py" "$work/records"
  cp "$work/records-md.log" "$work/records.md" 2>/dev/null
fi
if command -v nsys >/dev/null; then
  stage nsys 90 bash -c "$(declare -f nsys_capture); kit='$kit'; work='$work'; dev='$dev'; nsys_capture"
else
  echo "nsys is not on this machine: no capture" | tee -a "$log" "$summary"
fi
# with time left: compute-sanitizer's memcheck over one small step of each mode (out-of-bounds and misaligned
# accesses in cuDNN / cuBLAS calls with our descriptors, and in the own kernels)
if command -v compute-sanitizer >/dev/null && [ $(( deadline - $(date +%s) )) -ge 100 ]; then
  stage memcheck 150 compute-sanitizer --tool memcheck --target-processes all --print-limit 20 --error-exitcode 3 \
    "$kit/bench.sh" alexnet-conv --device "$dev" --batch 2 --steps 1 --warmup 0 --mode all
fi
echo "session done: $(ls "$work" | tr '\n' ' ')" | tee -a "$log"
echo "session done after $(( ${1:-480} - (deadline - $(date +%s)) ))s" >> "$summary"
pack
RUN
chmod +x "$kit/session.sh"
du -sh "$kit" "$kit/runtime" "$kit/lib"
echo "gpu-kit: carry kernels/target/gpukit and run kernels/target/gpukit/session.sh (everything) or run.sh (the tests) from the repository root"
