package convbench.engine;

/**
 * How to open a backend.
 *
 * @param threads   CPU worker threads (the CPU backend; the CUDA backend ignores it)
 * @param precision "fp32" (strict FP32: no tensor cores) or "tf32" (TF32 tensor-core math for
 *                  convolutions and matrix products)
 * @param convAlgo  "heuristic" (cuDNN's _v7 heuristics, the default) or "find" (cuDNN Find...Ex:
 *                  each algorithm timed once per layer plan, the fastest kept)
 * @param cpuConv   the CPU backend's convolution: "auto" (Winograd F(2x2, 3x3) for the 3x3 stride-1
 *                  convolutions where it pays, im2col and matrix products elsewhere), "direct" (im2col
 *                  and matrix products everywhere), "winograd2" or "winograd4" (Winograd F(2x2, 3x3) or
 *                  F(4x4, 3x3) for every 3x3 stride-1 convolution)
 */
public record BackendOptions(int threads, String precision, String convAlgo, String cpuConv) {
    /** The values of cpuConv. */
    public static final java.util.List<String> CPU_CONV = java.util.List.of("auto", "direct", "winograd2", "winograd4");

    public BackendOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (!precision.equals("fp32") && !precision.equals("tf32"))
            throw new IllegalArgumentException("precision must be fp32 or tf32, got " + precision);
        if (!convAlgo.equals("heuristic") && !convAlgo.equals("find"))
            throw new IllegalArgumentException("cudnn algorithm choice must be heuristic or find, got " + convAlgo);
        if (!CPU_CONV.contains(cpuConv))
            throw new IllegalArgumentException("cpu convolution must be auto, direct, winograd2 or winograd4, got " + cpuConv);
    }

    public BackendOptions(int threads, String precision, String convAlgo) { this(threads, precision, convAlgo, "auto"); }

    public static BackendOptions defaults() {
        return new BackendOptions(Runtime.getRuntime().availableProcessors(), "fp32", "heuristic", "auto");
    }

    public BackendOptions withThreads(int t) { return new BackendOptions(t, precision, convAlgo, cpuConv); }

    public BackendOptions withPrecision(String p) { return new BackendOptions(threads, p, convAlgo, cpuConv); }

    public BackendOptions withConvAlgo(String a) { return new BackendOptions(threads, precision, a, cpuConv); }

    public BackendOptions withCpuConv(String c) { return new BackendOptions(threads, precision, convAlgo, c); }
}
