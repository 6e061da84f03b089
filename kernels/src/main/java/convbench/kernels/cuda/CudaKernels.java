package convbench.kernels.cuda;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

/**
 * convbench's own kernels (src/main/cuda/convbench_kernels.cu), from the fat binary nvcc placed in
 * the jar, loaded once per backend with the driver API (cuModuleLoadData picks the SASS for this
 * device, sm_80 or sm_90, or JIT-compiles the compute_90 PTX for a newer one) and launched with
 * cuLaunchKernel on the backend's stream. When the jar was built without nvcc, or the binary has
 * nothing for this device, {@link #unavailable()} says why and the ops that need these kernels
 * (losses, SGD) refuse with that reason; everything else runs on cuDNN / cuBLAS.
 */
final class CudaKernels implements AutoCloseable {
    static final String RESOURCE = "convbench/kernels/convbench_kernels.fatbin";
    static final int BLOCK = 256, REDUCE_BLOCK = 1024;
    /** The CUDA version of the nvcc that built the fat binary ("13.0"), from the build's nvcc --version, or "unknown". */
    static final String NVCC_CUDA = nvccCuda();

    private final CUmodule module;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final String unavailable;
    private final CUstream stream;

    CudaKernels(CudaBackend be) {
        this.stream = new CUstream(be.stream());
        byte[] image = null;
        try (InputStream in = CudaKernels.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in != null) image = in.readAllBytes();
        } catch (IOException e) {
            image = null;
        }
        if (image == null) {
            module = null;
            unavailable = "this build of convbench has no CUDA kernels of its own (nvcc was not found when it was built): "
                    + "rebuild with the CUDA toolkit's nvcc on the PATH";
            return;
        }
        CUmodule m = new CUmodule();
        int status = cuModuleLoadData(m, image);
        if (status != 0) {
            String[] s = new String[1];
            jcuda.driver.JCudaDriver.cuGetErrorString(status, s);
            module = null;
            unavailable = "convbench's CUDA kernels (SASS for sm_80 and sm_90, PTX for compute_90, built by the nvcc of CUDA "
                    + NVCC_CUDA + ") do not load on " + be.deviceName() + " (" + s[0] + "): update the NVIDIA driver to one for CUDA "
                    + NVCC_CUDA + " or later, or rebuild the kernels with this machine's nvcc";
            return;
        }
        module = m;
        unavailable = null;
    }

    private static String nvccCuda() {
        try (InputStream in = CudaKernels.class.getClassLoader().getResourceAsStream("convbench/kernels/convbench_kernels.nvcc.txt")) {
            if (in == null) return "unknown";
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("release (\\d+\\.\\d+)").matcher(new String(in.readAllBytes()));
            return m.find() ? m.group(1) : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Why the own kernels cannot be used here, or null when they can. */
    String unavailable() { return unavailable; }

    /** Throws the reason when the kernels are missing (called by the plans that need them, at plan creation). */
    void require(String op) {
        if (unavailable != null) throw new UnsupportedOperationException(op + " cannot run on the GPU because " + unavailable);
    }

    private CUfunction function(String name) {
        CUfunction f = functions.get(name);
        if (f == null) {
            f = new CUfunction();
            Cuda.drv(cuModuleGetFunction(f, module, name), "cuModuleGetFunction", name);
            functions.put(name, f);
        }
        return f;
    }

    /** Resolves the named kernels now (at plan creation) so a step never looks one up. */
    void prepare(String... names) {
        for (String n : names) function(n);
    }

    /** Enough blocks of BLOCK threads for n elements, capped: the kernels loop over the rest. */
    static int grid(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, 8192));
    }

    /**
     * Each kernel's parameter types, as declared in convbench_kernels.cu (a tier-1 test compares the two):
     * ptr = a device pointer, i64 = long long, i32 = int, f32 = float. A launch whose arguments do not
     * match is refused before it reaches the GPU.
     */
    static final Map<String, List<String>> SIGNATURES = Map.of(
            "l2_loss", List.of("ptr", "i64", "ptr"),
            "l2_loss_backward", List.of("ptr", "i64", "f32", "ptr", "i32"),
            "softmax_xent_rows", List.of("ptr", "ptr", "ptr", "i32", "ptr"),
            "sum_scaled", List.of("ptr", "i32", "f32", "ptr"),
            "softmax_xent_backward", List.of("ptr", "ptr", "i64", "f32", "ptr", "i32"),
            "sgd_momentum", List.of("ptr", "ptr", "ptr", "i64", "f32", "f32"));

    /**
     * One kernel argument: its type and its value, a device pointer (ptr), a Long (i64), an Integer
     * (i32) or a Float (f32). A ptr's value is a {@link Pointer} when launched here; KernelsOnHostTest
     * runs the same launches with buffer names in its place.
     */
    record Arg(String type, Object value) {}

    static Arg ptr(Object device) { return new Arg("ptr", device); }

    static Arg arg(long v) { return new Arg("i64", v); }

    static Arg arg(int v) { return new Arg("i32", v); }

    static Arg arg(float v) { return new Arg("f32", v); }

    /** One launch of a kernel with a 1-D grid: the plans build these, {@link #launch(Launch...)} runs them. */
    record Launch(String kernel, int grid, int block, List<Arg> args) {
        Launch(String kernel, int grid, int block, Arg... args) { this(kernel, grid, block, List.of(args)); }
    }

    /** Throws when args do not match the kernel's declared parameters. */
    static void check(String name, List<Arg> args) {
        List<String> want = SIGNATURES.get(name);
        if (want == null) throw new IllegalStateException("no kernel named " + name + " in " + RESOURCE);
        List<String> got = args.stream().map(Arg::type).toList();
        if (!want.equals(got)) throw new IllegalStateException("kernel " + name + " takes " + want + ", not " + got);
    }

    /** Throws unless the launch matches its kernel: argument types, a block of a power of two up to REDUCE_BLOCK, a grid. */
    static void check(Launch l) {
        check(l.kernel(), l.args());
        if (Integer.bitCount(l.block()) != 1 || l.block() > REDUCE_BLOCK || l.grid() < 1)
            throw new IllegalStateException("kernel " + l.kernel() + " launched with grid " + l.grid() + " and block " + l.block()
                    + ": the reductions need a block of a power of two up to " + REDUCE_BLOCK);
    }

    /** Runs the launches in order on the backend's stream. */
    void launch(Launch... launches) {
        for (Launch l : launches) {
            check(l);
            Pointer[] values = new Pointer[l.args().size()];
            for (int i = 0; i < values.length; i++) values[i] = pointerTo(l.args().get(i));
            Cuda.drv(cuLaunchKernel(function(l.kernel()), l.grid(), 1, 1, l.block(), 1, 1, 0, stream, Pointer.to(values), null),
                    "cuLaunchKernel", l.kernel());
        }
    }

    /** The host location cuLaunchKernel reads the argument's value from. */
    private static Pointer pointerTo(Arg a) {
        return switch (a.type()) {
            case "ptr" -> Pointer.to((Pointer) a.value());
            case "i64" -> Pointer.to(new long[] {(Long) a.value()});
            case "i32" -> Pointer.to(new int[] {(Integer) a.value()});
            case "f32" -> Pointer.to(new float[] {(Float) a.value()});
            default -> throw new IllegalStateException("no kernel argument type " + a.type());
        };
    }

    @Override public void close() {
        if (module != null) cuModuleUnload(module);
    }
}
