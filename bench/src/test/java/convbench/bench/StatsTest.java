package convbench.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StatsTest {
    @Test
    void meanAndPopulationSdLikeTheSeeds() {
        Stats s = Stats.of(new double[] {1, 2, 3, 4});
        assertEquals(2.5, s.meanMs(), 1e-12);
        assertEquals(Math.sqrt(30 / 4.0 - 6.25), s.sdMs(), 1e-12); // sqrt(E[t^2] - mean^2)
        assertEquals(1, s.minMs());
        assertEquals(4, s.maxMs());
    }

    @Test
    void nearestRankPercentiles() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) v[i] = 100 - i; // 1..100, unsorted
        Stats s = Stats.of(v);
        assertEquals(50, s.p50Ms());
        assertEquals(90, s.p90Ms());
        assertEquals(99, s.p99Ms());
        Stats one = Stats.of(new double[] {7});
        assertEquals(7, one.p99Ms());
        assertEquals(0, one.sdMs());
    }

    /** A step faster than the device's peak rate cannot be: the report says the timing is broken. */
    @Test
    void aStepAboveTheDevicePeakIsFlagged() {
        // alexnet-conv forward: 0.658 GMAC per image, batch 32 -> 42.1 GFLOP per step
        double[] samples = {10, 10, 10, 0.5};
        Harness.Measurement m = new Harness.Measurement(Mode.FORWARD, 32, 0, samples.length, 0, samples, samples, Stats.of(samples),
                new convbench.engine.MemoryStats(0, 0, 0, 0), 0);
        Result fast = Result.of("alexnet-conv", 224, 1, 658_000_000L, m, 66_900, null);
        org.junit.jupiter.api.Assertions.assertTrue(fast.aboveDevicePeak(), "0.5 ms is 84 TFLOP/s, above a 66.9 TFLOP/s peak");
        org.junit.jupiter.api.Assertions.assertTrue(TextReport.details(fast).contains("WARNING: alexnet-conv forward's fastest step (0.500 ms)"));
        org.junit.jupiter.api.Assertions.assertTrue(JsonReport.result(fast).getAsJsonObject("stats").get("timing_above_device_peak").getAsBoolean());
        Result unknown = Result.of("alexnet-conv", 224, 1, 658_000_000L, m, 0, null);
        org.junit.jupiter.api.Assertions.assertFalse(unknown.aboveDevicePeak(), "no peak known, no verdict");
        double[] fine = {10, 10, 10, 9};
        Harness.Measurement ok = new Harness.Measurement(Mode.FORWARD, 32, 0, fine.length, 0, fine, fine, Stats.of(fine), m.memory(), 0);
        org.junit.jupiter.api.Assertions.assertFalse(Result.of("alexnet-conv", 224, 1, 658_000_000L, ok, 66_900, null).aboveDevicePeak());
    }
}
