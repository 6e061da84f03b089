package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cpu.CpuBackend;
import convbench.engine.plan.LossPlan;
import convbench.engine.plan.SgdPlan;
import convbench.kernels.cuda.CudaKernels.Arg;
import convbench.kernels.cuda.CudaKernels.Launch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tier 1: convbench's own CUDA C kernels (src/main/cuda/convbench_kernels.cu) run on the host and
 * checked against the CPU backend, on every machine with g++.
 *
 * <p>g++ builds the .cu file with src/test/cuda/host_emulation.hpp (one std::thread per CUDA thread,
 * __syncthreads as a barrier, __shared__ as statics) and the driver kernels_on_host.cpp, which runs a
 * script of launches on float buffers in files. The launches are the ones the plans build
 * ({@link CudaLoss}, {@link CudaSgd}: the same kernels, grids, block sizes and scale factors), with
 * buffer names where the plans pass device pointers. What this cannot show: anything about the real
 * device (memory model, inter-block timing, the nvcc build itself), which the GPU tier covers.
 */
class KernelsOnHostTest {
    private static Path exe;
    private static String noCompiler;
    private static final CpuBackend cpu = new CpuBackend(1);

    @BeforeAll
    static void build(@TempDir Path dir) throws Exception {
        Path test = Path.of("src/test/cuda"), main = Path.of("src/main/cuda");
        exe = dir.resolve("kernels_on_host");
        List<String> cmd = List.of("g++", "-std=c++20", "-O1", "-pthread", "-Wall", "-Werror", "-I" + test, "-I" + main,
                test.resolve("kernels_on_host.cpp").toString(), "-o", exe.toString());
        String version;
        try {
            Process v = new ProcessBuilder("g++", "-dumpversion").redirectErrorStream(true).start();
            version = new String(v.getInputStream().readAllBytes()).trim();
            v.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            noCompiler = "g++ is not installed (" + e.getMessage() + "), so the CUDA C kernels cannot be run on the host";
            return;
        }
        int major = version.matches("\\d+.*") ? Integer.parseInt(version.replaceAll("^(\\d+).*", "$1")) : 0;
        if (major < 11) {
            noCompiler = "g++ " + version + " is older than 11, which the emulation's C++20 <barrier> needs";
            return;
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "g++ did not finish in 2 minutes");
        assertEquals(0, p.exitValue(), "g++ " + String.join(" ", cmd) + ":\n" + log);
    }

    @AfterAll
    static void close() { cpu.close(); }

    private static void requireCompiler() {
        assumeTrue(noCompiler == null, () -> "[tier 1] skipped: " + noCompiler);
    }

    // ---- running launches on the host ----

    /** Float buffers by name, written to files, the launches run on them, read back. */
    private static final class Host {
        final Path dir;
        final List<String> script = new ArrayList<>();

        Host(Path dir) { this.dir = dir; }

        Host put(String name, float[] v) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            Files.write(dir.resolve(name + ".f32"), b.array());
            return this;
        }

        float[] get(String name) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(name + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[b.remaining() / 4];
            b.asFloatBuffer().get(v);
            return v;
        }

        /**
         * Queues launches as the plan built them; gridCap > 0 shrinks the grid, to test the grid-stride
         * loops (only for kernels that have one, not those that give each block one row).
         */
        Host launch(int gridCap, Launch... launches) {
            for (Launch l : launches) {
                CudaKernels.check(l);
                int grid = gridCap > 0 ? Math.min(l.grid(), gridCap) : l.grid();
                StringBuilder line = new StringBuilder("launch " + l.kernel() + " " + grid + " " + l.block());
                for (Arg a : l.args()) {
                    line.append(' ').append(switch (a.type()) {
                        case "ptr" -> "buf:" + a.value();
                        case "f32" -> "f32:" + Float.toHexString((Float) a.value()); // exact: std::stof reads hex floats
                        default -> a.type() + ":" + a.value();
                    });
                }
                script.add(line.toString());
            }
            return this;
        }

        Host launch(Launch... launches) { return launch(0, launches); }

        void run() throws Exception {
            Process p = new ProcessBuilder(exe.toString(), dir.toString()).redirectErrorStream(true).start();
            p.getOutputStream().write((String.join("\n", script) + "\n").getBytes());
            p.getOutputStream().close();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the host run of " + script + " did not finish in 2 minutes");
            }
            assertEquals(0, p.exitValue(), "kernels_on_host failed on " + script + ":\n" + log);
            script.clear();
        }
    }

    private static float[] randn(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private static float[] values(Tensor t) {
        float[] v = new float[(int) t.size()];
        cpu.download(t, v);
        return v;
    }

    private static void close(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++)
            if (!(Math.abs(want[i] - got[i]) <= tol * (1 + Math.abs(want[i]))))
                fail(what + " differs at " + i + ": CPU backend " + want[i] + ", kernel on the host " + got[i]);
    }

    // ---- the tests ----

    @ParameterizedTest(name = "l2 loss of {0} values, grid cap {1}")
    @CsvSource({"1, 0", "1000, 0", "5000, 0", "5000, 2"})
    void l2Loss(int n, int gridCap, @TempDir Path dir) throws Exception {
        requireCompiler();
        Shape s = Shape.of(n);
        float[] x = randn(n, 1), dx0 = randn(n, 2);
        Host h = new Host(dir).put("x", x).put("loss", new float[] {Float.NaN}).put("dx", fill(n, Float.NaN)).put("dxAcc", dx0);
        float dloss = 0.75f;
        h.launch(gridCap, CudaLoss.l2("x", n, "loss"), CudaLoss.l2Backward("x", n, dloss, "dx", false),
                CudaLoss.l2Backward("x", n, dloss, "dxAcc", true)).run();
        try (LossPlan plan = cpu.loss(s); Tensor xt = cpu.of(s, x); Tensor loss = cpu.zeros(Shape.of(1));
             Tensor dx = cpu.zeros(s); Tensor dxAcc = cpu.of(s, dx0)) {
            plan.l2(xt, loss);
            plan.l2Backward(xt, dloss, new Grad(dx, false));
            plan.l2Backward(xt, dloss, new Grad(dxAcc, true));
            close(values(loss), h.get("loss"), 1e-6, "l2 loss");
            close(values(dx), h.get("dx"), 1e-6, "l2 loss gradient (overwritten)");
            close(values(dxAcc), h.get("dxAcc"), 1e-6, "l2 loss gradient (accumulated)");
        }
    }

    @ParameterizedTest(name = "softmax cross-entropy {0}x{1}, soft labels {2}, grid cap {3}")
    @CsvSource({"1, 1, false, 0", "4, 10, false, 0", "3, 1000, false, 0", "5, 257, true, 0", "3, 1000, true, 1"})
    void softmaxCrossEntropy(int rows, int cols, boolean soft, int gridCap, @TempDir Path dir) throws Exception {
        requireCompiler();
        Shape s = Shape.of(rows, cols);
        int n = rows * cols;
        float[] logits = randn(n, 3), labels = labels(rows, cols, soft), d0 = randn(n, 4);
        for (int i = 0; i < n; i++) logits[i] *= 4; // some rows far from uniform
        logits[0] = 60; // exp overflows in float without the max shift
        float dloss = 1.5f;
        Host h = new Host(dir).put("logits", logits).put("labels", labels).put("probs", fill(n, Float.NaN))
                .put("rowLoss", fill(rows, Float.NaN)).put("loss", new float[] {Float.NaN})
                .put("d", fill(n, Float.NaN)).put("dAcc", d0);
        h.launch(CudaLoss.softmaxCrossEntropy("logits", "labels", "probs", "rowLoss", "loss", rows, cols)); // one block per row
        h.launch(gridCap, CudaLoss.softmaxCrossEntropyBackward("probs", "labels", rows, n, dloss, "d", false),
                CudaLoss.softmaxCrossEntropyBackward("probs", "labels", rows, n, dloss, "dAcc", true)).run();
        try (LossPlan plan = cpu.loss(s); Tensor lt = cpu.of(s, logits); Tensor lab = cpu.of(s, labels); Tensor probs = cpu.zeros(s);
             Tensor loss = cpu.zeros(Shape.of(1)); Tensor d = cpu.zeros(s); Tensor dAcc = cpu.of(s, d0)) {
            plan.softmaxCrossEntropy(lt, lab, probs, loss);
            plan.softmaxCrossEntropyBackward(probs, lab, dloss, new Grad(d, false));
            plan.softmaxCrossEntropyBackward(probs, lab, dloss, new Grad(dAcc, true));
            close(values(probs), h.get("probs"), 1e-6, "softmax");
            close(values(loss), h.get("loss"), 1e-6, "cross-entropy");
            close(values(d), h.get("d"), 1e-6, "cross-entropy gradient (overwritten)");
            close(values(dAcc), h.get("dAcc"), 1e-6, "cross-entropy gradient (accumulated)");
        }
    }

    @Test
    void sgdMomentumThreeSteps(@TempDir Path dir) throws Exception {
        requireCompiler();
        int n = 3001;
        Shape s = Shape.of(n);
        float[] w = randn(n, 5), v = randn(n, 6);
        float lr = 0.01f, momentum = 0.9f;
        Host h = new Host(dir).put("w", w).put("v", v);
        try (SgdPlan plan = cpu.sgd(s); Tensor wt = cpu.of(s, w); Tensor vt = cpu.of(s, v)) {
            for (int step = 0; step < 3; step++) {
                float[] dw = randn(n, 10 + step);
                h.put("dw" + step, dw).launch(step == 2 ? 3 : 0, CudaSgd.update("w", "dw" + step, "v", n, lr, momentum));
                try (Tensor dwt = cpu.of(s, dw)) {
                    plan.update(wt, dwt, vt, lr, momentum);
                }
            }
            h.run();
            close(values(wt), h.get("w"), 1e-6, "weights after 3 steps");
            close(values(vt), h.get("v"), 1e-6, "momentum after 3 steps");
        }
    }

    /** One-hot rows, or soft rows (random, non-negative, summing to 1). */
    private static float[] labels(int rows, int cols, boolean soft) {
        Random r = new Random(7);
        float[] v = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            if (!soft) {
                v[i * cols + r.nextInt(cols)] = 1;
                continue;
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += v[i * cols + j] = r.nextFloat();
            for (int j = 0; j < cols; j++) v[i * cols + j] /= (float) sum;
        }
        return v;
    }

    private static float[] fill(int n, float value) {
        float[] v = new float[n];
        Arrays.fill(v, value);
        return v;
    }
}
