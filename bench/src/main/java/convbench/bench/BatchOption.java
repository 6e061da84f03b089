package convbench.bench;

import picocli.CommandLine.Option;

/** --batch of run and compare (sweep takes a list, --batches). */
final class BatchOption {
    @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Images per batch (default: ${DEFAULT-VALUE}, as the seeds).")
    int batch;
}
