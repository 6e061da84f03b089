package convbench.engine;

/**
 * How to open a backend.
 *
 * @param threads   CPU worker threads (the CPU backend; the CUDA backend ignores it)
 * @param precision "fp32" (strict FP32: no tensor cores) or "tf32" (TF32 tensor-core math for
 *                  convolutions and matrix products)
 * @param convAlgo  "heuristic" (cuDNN's _v7 heuristics, the default) or "find" (cuDNN Find...Ex:
 *                  each algorithm timed once per layer plan, the fastest kept)
 */
public record BackendOptions(int threads, String precision, String convAlgo) {
    public BackendOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (!precision.equals("fp32") && !precision.equals("tf32"))
            throw new IllegalArgumentException("precision must be fp32 or tf32, got " + precision);
        if (!convAlgo.equals("heuristic") && !convAlgo.equals("find"))
            throw new IllegalArgumentException("cudnn algorithm choice must be heuristic or find, got " + convAlgo);
    }

    public static BackendOptions defaults() {
        return new BackendOptions(Runtime.getRuntime().availableProcessors(), "fp32", "heuristic");
    }

    public BackendOptions withThreads(int t) { return new BackendOptions(t, precision, convAlgo); }

    public BackendOptions withPrecision(String p) { return new BackendOptions(threads, p, convAlgo); }

    public BackendOptions withConvAlgo(String a) { return new BackendOptions(threads, precision, a); }
}
