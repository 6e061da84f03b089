package convbench.bench;

import java.util.List;

/**
 * A run's configuration as given (and defaulted) on the command line, echoed in every report; GPU-only
 * options show what ran (a CPU run is fp32, heuristic, without profiler ranges).
 *
 * @param batches the batch size (run, compare) or the swept sizes (sweep)
 * @param cpuConv the CPU backend's convolution choice (--cpu-conv), null on a GPU
 * @param budgetS seconds of timed steps per mode before the timing stops, 0 for none
 */
record Config(List<String> nets, List<Integer> batches, int steps, int warmup, double budgetS, List<Mode> modes, String device,
              Integer imageSize, int classes, String precision, long seed, int threads, String cudnnAlgo, String cpuConv, boolean layers,
              Double fps, String format, String output, boolean quiet, boolean profile) {
}
