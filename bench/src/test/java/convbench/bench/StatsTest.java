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
}
