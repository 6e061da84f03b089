#!/usr/bin/env bash
# Packs what the GPU tier needs into kernels/target/gpukit, for a GPU machine that has no Java and no
# Maven (the reference H100 image): a jlink'd Java runtime, the kernels module's classes (with the
# nvcc-built fat binary) and test classes, and every jar on the test class path. Build it here, carry
# kernels/target/gpukit there, and run kernels/target/gpukit/run.sh [gpu|all] from the repository root.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kit="$root/kernels/target/gpukit"
cd "$root"
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || { echo "gpu-kit: nvcc is needed here, so the kit carries the own kernels" >&2; exit 1; }
mvn -q -pl kernels -am package dependency:copy-dependencies -DskipTests -DincludeScope=test -DoutputDirectory="$kit/lib"
rm -rf "$kit/runtime"
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector \
      --strip-debug --no-header-files --no-man-pages --compress=2 --output "$kit/runtime"
rm -f "$kit"/lib/convbench-*.jar
cp engine/target/convbench-engine-*.jar "$kit/lib/"
rm -rf "$kit/classes" "$kit/test-classes"
cp -r kernels/target/classes "$kit/classes"
cp -r kernels/target/test-classes "$kit/test-classes"
cat > "$kit/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the kernels tests on this machine: run.sh gpu (the GPU tier, default) or run.sh all (both tiers).
# CONVBENCH_REQUIRE_GPU=1 (default here) fails instead of skipping when CUDA cannot be opened.
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
cd "$kit/../.."   # the kernels module: some tier-1 tests read src/main/cuda
export CONVBENCH_REQUIRE_GPU="${CONVBENCH_REQUIRE_GPU:-1}"
cp="$kit/test-classes:$kit/classes:$(ls "$kit"/lib/*.jar | tr '\n' ':')"
log="${OUT:-$kit}/gpu-tier.log"
"$kit/runtime/bin/java" --add-modules jdk.incubator.vector -Xss4m -cp "$cp" convbench.kernels.GpuTier "${1:-gpu}" 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
RUN
chmod +x "$kit/run.sh"
du -sh "$kit" "$kit/runtime" "$kit/lib"
echo "gpu-kit: carry kernels/target/gpukit and run kernels/target/gpukit/run.sh from the repository root"
