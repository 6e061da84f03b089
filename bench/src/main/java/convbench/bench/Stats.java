package convbench.bench;

import java.util.Arrays;

/**
 * Statistics of per-step times in milliseconds. mean and sd as the seeds compute them:
 * sd = sqrt(E[t^2] - mean^2) (population); percentiles by nearest rank.
 */
record Stats(int count, double meanMs, double sdMs, double minMs, double p50Ms, double p90Ms, double p99Ms, double maxMs) {

    static Stats of(double[] samplesMs) {
        if (samplesMs.length == 0) throw new IllegalArgumentException("no samples");
        double sum = 0, sq = 0;
        for (double v : samplesMs) {
            sum += v;
            sq += v * v;
        }
        int n = samplesMs.length;
        double mean = sum / n;
        double sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
        double[] s = samplesMs.clone();
        Arrays.sort(s);
        return new Stats(n, mean, sd, s[0], rank(s, 50), rank(s, 90), rank(s, 99), s[n - 1]);
    }

    /** Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. */
    static double rank(double[] sorted, double p) {
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }
}
