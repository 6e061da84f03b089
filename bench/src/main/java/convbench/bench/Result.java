package convbench.bench;

import java.util.List;

/**
 * One net in one mode: the measurement and what follows from it.
 *
 * @param gflops      achieved GFLOP/s: FLOPs per step (2 x MACs x batch, times 3 with backward) / mean time
 * @param peakPercent share of the device's peak arithmetic rate, or NaN where the peak is not known
 * @param layers      per-layer times (--layers), or null
 */
record Result(String net, Mode mode, int batch, int imageSize, long params, long macsPerImage,
              Harness.Measurement m, double imagesPerS, double gflops, double peakPercent, List<LayerTimes.Row> layers) {

    static Result of(String net, int imageSize, long params, long macsPerImage, Harness.Measurement m,
                     double peakGflops, List<LayerTimes.Row> layers) {
        double sec = m.stats().meanMs() / 1e3;
        double flops = 2.0 * macsPerImage * m.batch() * m.mode().flopFactor;
        double gflops = flops / sec / 1e9;
        return new Result(net, m.mode(), m.batch(), imageSize, params, macsPerImage, m, m.batch() / sec, gflops,
                peakGflops > 0 ? 100 * gflops / peakGflops : Double.NaN, layers);
    }

    Stats stats() { return m.stats(); }

    /**
     * The fastest step ran above the device's peak arithmetic rate: impossible, so the timing is broken
     * (work not waited for: a missing synchronisation, an event on the wrong stream). False where the
     * peak is not known.
     */
    boolean aboveDevicePeak() {
        return !Double.isNaN(peakPercent) && stats().minMs() > 0 && peakPercent * stats().meanMs() / stats().minMs() > 100;
    }
}
