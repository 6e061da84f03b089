package convbench.bench;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options shared by run, compare and sweep (defaults are the seeds'; run and compare add --batch, sweep --batches). */
final class StepOptions {
    /** The CPU's default time budget per mode, in seconds (a GPU has none: the seeds' protocol). */
    static final double CPU_BUDGET_S = 20;

    @Option(names = "--steps", defaultValue = "100", paramLabel = "N", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--budget", defaultValue = "auto", paramLabel = "SECONDS",
            description = "Stop timing a mode after SECONDS of timed steps, and say so; none: all --steps "
                    + "(default: 20 on the CPU, none on a GPU; --budget none runs the seeds' full protocol).")
    String budget;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N", description = "Burn-in steps before timing (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--mode", defaultValue = "default", paramLabel = "MODE",
            description = "forward | forward-backward | train | all (default: forward and forward-backward, as seeds 000 and 002).")
    String mode;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEV",
            description = "auto | cpu | cuda[:N] | reference (default: ${DEFAULT-VALUE}: the GPU when it and its libraries load, else the CPU; reference is the slow float64 oracle).")
    String device;

    @Option(names = "--image-size", paramLabel = "PX", description = "Input height and width (default: the seed's, 224 or 299 for inception3).")
    Integer imageSize;

    @Option(names = "--classes", defaultValue = "1000", paramLabel = "N", description = "Classes of the classifier (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P", description = "fp32 (strict) | tf32 (tensor cores on the GPU) (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seeds parameters, inputs and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "CPU backend threads (default: all cores, at most 4 x the cores).")
    Integer threads;

    @Option(names = "--cudnn-algo", defaultValue = "heuristic", paramLabel = "A",
            description = "heuristic (cuDNN's _v7 heuristics) | find (time every algorithm once per layer) (default: ${DEFAULT-VALUE}).")
    String cudnnAlgo;

    @Option(names = "--cpu-conv", defaultValue = "auto", paramLabel = "A",
            description = "CPU only: auto (Winograd F(2x2,3x3) for the 3x3 stride-1 layers where it pays) | direct (matrix products: im2col, or the padded image where that pays) "
                    + "| winograd2 | winograd4 (F(2x2,3x3) or F(4x4,3x3), faster and less exact, for every 3x3 stride-1 layer); "
                    + "--layers names the one each layer ran (default: ${DEFAULT-VALUE}).")
    String cpuConv;

    @Option(names = "--format", defaultValue = "text", paramLabel = "F", description = "text | json | csv (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write the report to FILE, whole, checked before the run (default: standard output).")
    Path output;

    @Option(names = "--quiet", description = "No progress lines, no progress bar: the results only (default: off).")
    boolean quiet;

    @Option(names = "--profile",
            description = "GPU only: wrap only the timed steps in cudaProfilerStart/Stop (nsys --capture-range=cudaProfilerApi); turns on --nvtx (default: off).")
    boolean profile;

    @Option(names = "--nvtx", description = "NVTX ranges for Nsight Systems: each timed step, and each layer's forward and backward by its name (default: off; on with --profile).")
    boolean nvtx;

    /** NVTX ranges asked for: --nvtx, or --profile. */
    boolean nvtxOn() { return nvtx || profile; }

    int threads() { return threads == null ? Runtime.getRuntime().availableProcessors() : threads; }

    /** The timing budget in seconds for a backend: --budget, or its default (20 s on the CPU, none on a GPU); 0 is none. */
    double budgetSeconds(boolean gpu) {
        if (budget.equals("auto")) return gpu ? 0 : CPU_BUDGET_S;
        if (budget.equals("none")) return 0;
        return Double.parseDouble(budget);
    }

    /** A batch size (of --batch or --batches). */
    static void checkBatch(String option, int batch) {
        if (batch <= 0) throw new UsageException(option + " must be a positive number of images, got " + batch);
    }

    /** Checks the values; every problem is a UsageException (exit 2). */
    void validate() {
        if (steps <= 0) throw new UsageException("--steps must be a positive number of timed steps, got " + steps);
        if (warmup < 0) throw new UsageException("--warmup must not be negative, got " + warmup);
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        if (imageSize != null && imageSize <= 0) throw new UsageException("--image-size must be positive, got " + imageSize);
        checkThreads(threads);
        if (!budget.equals("auto") && !budget.equals("none")) {
            double b;
            try {
                b = Double.parseDouble(budget);
            } catch (NumberFormatException e) {
                b = Double.NaN;
            }
            if (!(b > 0) || Double.isInfinite(b))
                throw new UsageException("--budget must be a positive number of seconds or none, got " + budget);
        }
        if (!precision.equals("fp32") && !precision.equals("tf32"))
            throw new UsageException("--precision must be fp32 or tf32, got " + precision);
        if (!cudnnAlgo.equals("heuristic") && !cudnnAlgo.equals("find"))
            throw new UsageException("--cudnn-algo must be heuristic or find, got " + cudnnAlgo);
        checkCpuConv(cpuConv);
        if (!format.equals("text") && !format.equals("json") && !format.equals("csv"))
            throw new UsageException("--format must be text, json or csv, got " + format);
        Mode.parse(mode);
    }

    /** --cpu-conv: one of the CPU backend's convolution choices. */
    static void checkCpuConv(String cpuConv) {
        if (!convbench.engine.BackendOptions.CPU_CONV.contains(cpuConv))
            throw new UsageException("--cpu-conv must be auto, direct, winograd2 or winograd4, got " + cpuConv);
    }

    /** --threads: positive and at most 4 x the cores (more threads only add scratch memory and switching). */
    static void checkThreads(Integer threads) {
        if (threads == null) return;
        int cores = Runtime.getRuntime().availableProcessors(), max = 4 * cores;
        if (threads <= 0) throw new UsageException("--threads must be positive, got " + threads);
        if (threads > max)
            throw new UsageException("--threads " + threads + " is more than this machine's " + cores + " cores can use: use --threads "
                    + cores + " (at most " + max + " are accepted)");
    }
}
