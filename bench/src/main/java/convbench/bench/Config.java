package convbench.bench;

import java.util.List;

/** A run's configuration as given (and defaulted) on the command line, echoed in every report. */
record Config(List<String> nets, int batch, int steps, int warmup, List<Mode> modes, String device, Integer imageSize,
              int classes, String precision, long seed, int threads, String cudnnAlgo, boolean layers, Double fps,
              String format, String output, boolean quiet, boolean profile) {
}
