package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cpu.CpuBackend;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The parts of the CUDA backend that are plain arithmetic, checked without a GPU. */
class PureJavaPartsTest {
    static CpuBackend cpu;

    @BeforeAll static void up() { cpu = new CpuBackend(1); }

    @AfterAll static void down() { cpu.close(); }

    /**
     * The strided views StridedCopy hands cudnnTransformTensor, emulated on the CPU, against the CPU
     * backend's window op: pads, crops, subsamples, mixtures; forward and both backward modes.
     */
    @ParameterizedTest(name = "{0}x{1} stride {2}x{3} pads {4},{5},{6},{7}")
    @CsvSource({
            "6, 7, 1, 1, 1, 2, 0, 1",     // pad
            "6, 7, 1, 1, 3, 0, 2, 2",
            "8, 8, 1, 1, -1, -1, -2, -1", // crop
            "7, 9, 2, 2, 0, 0, 0, 0",     // ResNet shortcut subsample
            "8, 8, 2, 3, 0, 0, 0, 0",
            "9, 9, 3, 3, 1, 1, 1, 1",
            "6, 6, 1, 1, 2, -2, -1, 3",   // pad one side, crop the other
            "5, 5, 2, 2, -1, 1, 1, -1",
            "4, 4, 1, 1, -4, 1, 0, 0",    // nothing of x left in rows: all zeros
            "1, 1, 1, 1, 0, 0, 0, 0"})
    void stridedViewsMatchTheCpuWindow(int h, int w, int sh, int sw, int pt, int pb, int pl, int pr) {
        int n = 2, c = 3;
        WindowDesc d = new WindowDesc(Shape.nchw(n, c, h, w), sh, sw, pt, pb, pl, pr);
        assumeTrue(d.outH() > 0 && d.outW() > 0);
        StridedCopy.Geometry g = StridedCopy.Geometry.of(n, c, h, w, d.outH(), d.outW(), sh, sw, pt, pl);
        float[] x = convbench.engine.GradCheck.randn(n * c * h * w, 11);
        float[] dy = convbench.engine.GradCheck.randn((int) d.y().size(), 12);
        float[] base = convbench.engine.GradCheck.randn(x.length, 13);
        try (WindowPlan p = cpu.window(d); Tensor xt = cpu.of(d.x(), x); Tensor yt = cpu.alloc(d.y());
             Tensor dyt = cpu.of(d.y(), dy); Tensor dx = cpu.alloc(d.x()); Tensor dxAcc = cpu.of(d.x(), base)) {
            p.forward(xt, yt);
            p.backward(dyt, new Grad(dx, false));
            p.backward(dyt, new Grad(dxAcc, true));

            float[] y = new float[(int) g.ySize()];
            Arrays.fill(y, Float.NaN);
            if (!g.coversY()) Arrays.fill(y, 0f);             // the memset StridedCopy.forward does
            if (!g.empty()) g.emulate(x, g.xOffset(), g.xStrides(), y, g.yOffset(), g.yStrides(), 0f);
            assertArrayEquals(yt.toFloats(), y, "forward");

            float[] gx = new float[x.length];
            Arrays.fill(gx, Float.NaN);
            if (!g.coversX()) Arrays.fill(gx, 0f);
            if (!g.empty()) g.emulate(dy, g.yOffset(), g.yStrides(), gx, g.xOffset(), g.xStrides(), 0f);
            assertArrayEquals(dx.toFloats(), gx, "backward, overwriting");

            float[] acc = base.clone();
            if (!g.empty()) g.emulate(dy, g.yOffset(), g.yStrides(), acc, g.xOffset(), g.xStrides(), 1f);
            assertArrayEquals(dxAcc.toFloats(), acc, 1e-6f, "backward, accumulating");
        }
    }

    @Test
    void explicitPadGeometryIsTheInterior() {
        // x (2, 3, 5, 6) into a (2, 3, 6, 7) buffer with one extra row at the bottom and column at the right
        StridedCopy.Geometry g = StridedCopy.Geometry.of(2, 3, 5, 6, 6, 7, 1, 1, 0, 0);
        assertEquals(5, g.ni());
        assertEquals(6, g.nj());
        assertTrue(g.coversX());
        assertEquals(0, g.yOffset());
        StridedCopy.Geometry top = StridedCopy.Geometry.of(2, 3, 5, 6, 7, 7, 1, 1, 1, 1);
        assertEquals(7 + 1, top.yOffset());
        assertEquals(List.of(3 * 7 * 7, 7 * 7, 7, 1), Arrays.stream(top.yStrides()).boxed().toList());
    }

    @Test
    void allocatorSizeClasses() {
        long prev = 0;
        for (long b : new long[] {0, 1, 511, 512, 513, 1000, 1024, 1025, 1 << 20, (1 << 20) + 1, 123_456_789, 4L << 30}) {
            long s = DeviceAllocator.sizeClass(b);
            assertTrue(s >= b && s >= 512, b + " -> " + s);
            assertTrue(s <= Math.max(512, b * 5 / 4 + 512), b + " -> " + s + " wastes more than a quarter");
            assertTrue(s >= prev, "monotonic");
            assertEquals(s, DeviceAllocator.sizeClass(s), "a class is its own class");
            prev = s;
        }
        assertEquals(1536, DeviceAllocator.sizeClass(1025)); // steps of 512 below 2 KiB
        assertEquals(5120, DeviceAllocator.sizeClass(5000)); // then a quarter of the power of two
    }

    @Test
    void versionNumbersReadAsTheLibrariesWriteThem() {
        assertEquals("13.0", CudaEnvironment.cudaVersion(13000));
        assertEquals("12.6", CudaEnvironment.cudaVersion(12060));
        assertEquals("9.10.2", CudaEnvironment.cudnnVersion(91002));
        assertEquals("9.1.0", CudaEnvironment.cudnnVersion(90100));
        assertEquals("8.4.1", CudaEnvironment.cudnnVersion(8401));
        assertEquals("13.1.0", CudaEnvironment.cublasVersion(130100));
        assertEquals("12.6.4", CudaEnvironment.cublasVersion(120604));
    }

    /**
     * A conv plan's algorithm choice: the first candidate whose workspace fits; until it has run once, a
     * "not supported" from the call moves on to the next candidate; after that, or on other statuses, no retry.
     */
    @Test
    void convAlgorithmChoiceMovesOnOnlyWhileNothingHasRun() {
        List<CudaConvAlgorithms.Candidate> offered = List.of(new CudaConvAlgorithms.Candidate(7, 1L << 40), new CudaConvAlgorithms.Candidate(1, 100),
                new CudaConvAlgorithms.Candidate(0, 0), new CudaConvAlgorithms.Candidate(2, 50));
        java.util.function.LongPredicate fits = bytes -> bytes < (1L << 30);
        int notSupported9 = 3000, notSupported8 = 9, badParam9 = 2000, executionFailed9 = 5000;

        CudaConvAlgorithms.Choice c = new CudaConvAlgorithms.Choice("forward", offered, fits);
        assertEquals(1, c.algo(), "the first candidate whose workspace fits");
        assertTrue(c.retry(notSupported9));
        assertEquals(0, c.algo());
        assertTrue(c.retry(notSupported8));
        assertEquals(2, c.algo());
        assertTrue(c.refused().contains("1, 0"), c.refused());
        assertFalse(c.retry(0), "it ran");
        assertFalse(c.retry(notSupported9), "once it has run, a refusal is an error");
        assertEquals(2, c.algo());

        CudaConvAlgorithms.Choice d = new CudaConvAlgorithms.Choice("backward data", offered, fits);
        assertFalse(d.retry(badParam9), "only 'not supported' moves on: nothing else is retried");
        assertFalse(d.retry(executionFailed9), "an execution failure may have written part of the output");
        assertEquals(1, d.algo());

        CudaConvAlgorithms.Choice e = new CudaConvAlgorithms.Choice("backward filter", offered.subList(0, 2), fits);
        assertFalse(e.retry(notSupported9), "no candidate left");
        assertEquals(1, e.algo());
        assertThrows(IllegalStateException.class, () -> new CudaConvAlgorithms.Choice("forward", offered.subList(0, 1), fits), "none fits");
    }

    /** With nvcc at build time the jar records which CUDA built the kernels (named when a driver is too old for them). */
    @Test
    void theBuildRecordsWhichCudaBuiltTheKernels() {
        boolean built = CudaKernels.class.getClassLoader().getResource(CudaKernels.RESOURCE) != null;
        if (built) assertTrue(CudaKernels.NVCC_CUDA.matches("\\d+\\.\\d+"), CudaKernels.NVCC_CUDA);
        else assertEquals("unknown", CudaKernels.NVCC_CUDA);
    }

    /** The parameter lists CudaKernels launches with are those declared in convbench_kernels.cu. */
    @Test
    void kernelSignaturesMatchTheCudaSource() throws IOException {
        String src = Files.readString(Path.of("src/main/cuda/convbench_kernels.cu"));
        Matcher m = Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\(\\w+\\) )?(\\w+)\\(([^)]*)\\)").matcher(src);
        Map<String, List<String>> declared = new LinkedHashMap<>();
        while (m.find()) {
            List<String> types = Arrays.stream(m.group(2).split(",")).map(String::trim).map(p -> {
                if (p.contains("*")) return "ptr";
                if (p.startsWith("long long")) return "i64";
                if (p.startsWith("int")) return "i32";
                if (p.startsWith("float")) return "f32";
                throw new AssertionError("unexpected parameter " + p);
            }).toList();
            declared.put(m.group(1), types);
        }
        assertEquals(CudaKernels.SIGNATURES, declared);
        // the block sizes the Java side launches with are the ones the kernels' shared arrays and launch bounds assume
        for (var def : Map.of("BLOCK", CudaKernels.BLOCK, "REDUCE_BLOCK", CudaKernels.REDUCE_BLOCK).entrySet()) {
            Matcher d = Pattern.compile("#define " + def.getKey() + " (\\d+)").matcher(src);
            assertTrue(d.find(), "#define " + def.getKey() + " in the .cu file");
            assertEquals(def.getValue(), Integer.valueOf(d.group(1)), def.getKey());
        }
        assertThrows(IllegalStateException.class, () -> CudaKernels.check(new CudaKernels.Launch("sum_scaled", 1, 768,
                CudaKernels.ptr(new jcuda.Pointer()), CudaKernels.arg(3), CudaKernels.arg(1f), CudaKernels.ptr(new jcuda.Pointer()))),
                "a block that is not a power of two breaks the tree reductions");
        CudaKernels.Launch sgd = CudaSgd.update(new jcuda.Pointer(), new jcuda.Pointer(), new jcuda.Pointer(), 10L, 0.1f, 0.9f);
        CudaKernels.check(sgd.kernel(), sgd.args());
        assertThrows(IllegalStateException.class, () -> CudaKernels.check("sgd_momentum", List.of(CudaKernels.arg(1))));
        assertThrows(IllegalStateException.class, () -> CudaKernels.check("l2_loss",
                List.of(CudaKernels.ptr(new jcuda.Pointer()), CudaKernels.arg(3), CudaKernels.ptr(new jcuda.Pointer()))));
    }

    /**
     * With lazy binding a call to a function the loaded cuDNN does not export kills the process ("symbol
     * lookup error"), so the sources must not name any of the families cuDNN 9 removed: the RNN v6/v7 API,
     * algorithm save/restore and descriptors, and the version-check calls.
     */
    @Test
    void noCallIntoWhatCudnn9Removed() throws IOException {
        Pattern call = Pattern.compile("\\b(cudnn[A-Z]\\w*)\\s*\\(");
        Pattern removed = Pattern.compile("RNN|Rnn|VersionCheck|SaveAlgorithm|RestoreAlgorithm|AlgorithmDescriptor|AlgorithmPerformance|CudartVersion");
        int calls = 0;
        try (var files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = call.matcher(Files.readString(f));
                while (m.find()) {
                    calls++;
                    assertTrue(!removed.matcher(m.group(1)).find(), f + " calls " + m.group(1));
                }
            }
        }
        assertTrue(calls > 50, calls + " cuDNN calls found");
    }

    /** Where nvcc ran, every kernel the Java side launches is in the fat binary (twice: SASS for sm_80 and sm_90). */
    @Test
    void theFatBinaryHoldsEveryKernel() throws IOException {
        byte[] fatbin;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(CudaKernels.RESOURCE)) {
            assumeTrue(in != null, "built without nvcc: no " + CudaKernels.RESOURCE);
            fatbin = in.readAllBytes();
        }
        String text = new String(fatbin, StandardCharsets.ISO_8859_1);
        for (String k : CudaKernels.SIGNATURES.keySet()) {
            int count = 0;
            for (int at = text.indexOf("\0" + k + "\0"); at >= 0; at = text.indexOf("\0" + k + "\0", at + 1)) count++;
            assertTrue(count >= 2, k + " appears " + count + " times");
        }
    }
}
