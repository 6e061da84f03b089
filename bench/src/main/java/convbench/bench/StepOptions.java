package convbench.bench;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options shared by run, compare and sweep (defaults are the seeds'). */
final class StepOptions {
    @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Images per batch (default: ${DEFAULT-VALUE}, as the seeds).")
    int batch;

    @Option(names = "--steps", defaultValue = "100", paramLabel = "N", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N", description = "Burn-in steps before timing (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--mode", defaultValue = "default", paramLabel = "MODE",
            description = "forward | forward-backward | train | all (default: forward and forward-backward, as seeds 000 and 002).")
    String mode;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEV",
            description = "auto | cpu | cuda[:N] (default: ${DEFAULT-VALUE}: the GPU when it and its libraries load, else the CPU).")
    String device;

    @Option(names = "--image-size", paramLabel = "PX", description = "Input height and width (default: the seed's, 224 or 299 for inception3).")
    Integer imageSize;

    @Option(names = "--classes", defaultValue = "1000", paramLabel = "N", description = "Classes of the classifier (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P", description = "fp32 (strict) | tf32 (tensor cores on the GPU) (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seeds parameters, inputs and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "CPU backend threads (default: all cores).")
    Integer threads;

    @Option(names = "--cudnn-algo", defaultValue = "heuristic", paramLabel = "A",
            description = "heuristic (cuDNN's _v7 heuristics) | find (time every algorithm once per layer) (default: ${DEFAULT-VALUE}).")
    String cudnnAlgo;

    @Option(names = "--format", defaultValue = "text", paramLabel = "F", description = "text | json | csv (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the report to FILE instead of standard output.")
    Path output;

    @Option(names = "--quiet", description = "No progress lines, no progress bar: the results only.")
    boolean quiet;

    @Option(names = "--profile", description = "Wrap only the timed steps in cudaProfilerStart/Stop (nsys --capture-range=cudaProfilerApi); turns on --nvtx.")
    boolean profile;

    @Option(names = "--nvtx", description = "NVTX ranges for Nsight Systems: each timed step, and each layer's forward and backward by its name (on with --profile).")
    boolean nvtx;

    /** NVTX ranges asked for: --nvtx, or --profile. */
    boolean nvtxOn() { return nvtx || profile; }

    int threads() { return threads == null ? Runtime.getRuntime().availableProcessors() : threads; }

    /** Checks the values; every problem is a UsageException (exit 2). */
    void validate() {
        if (batch <= 0) throw new UsageException("--batch must be a positive number of images, got " + batch);
        if (steps <= 0) throw new UsageException("--steps must be a positive number of timed steps, got " + steps);
        if (warmup < 0) throw new UsageException("--warmup must not be negative, got " + warmup);
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        if (imageSize != null && imageSize <= 0) throw new UsageException("--image-size must be positive, got " + imageSize);
        if (threads != null && threads <= 0) throw new UsageException("--threads must be positive, got " + threads);
        if (!precision.equals("fp32") && !precision.equals("tf32"))
            throw new UsageException("--precision must be fp32 or tf32, got " + precision);
        if (!cudnnAlgo.equals("heuristic") && !cudnnAlgo.equals("find"))
            throw new UsageException("--cudnn-algo must be heuristic or find, got " + cudnnAlgo);
        if (!format.equals("text") && !format.equals("json") && !format.equals("csv"))
            throw new UsageException("--format must be text, json or csv, got " + format);
        Mode.parse(mode);
    }
}
