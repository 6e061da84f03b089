package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.LayerListener;
import convbench.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HarnessTest {
    /** A workload whose steps sleep for a known time and count themselves. */
    static final class Sleeper implements Workload {
        final CpuBackend be = new CpuBackend(1);
        final List<Long> seeds = new ArrayList<>();
        int prepared;

        @Override public Backend backend() { return be; }

        @Override public String name() { return "sleeper"; }

        @Override public int batch() { return 4; }

        @Override public void prepare() { prepared++; }

        @Override public void step(Mode mode, long seed, LayerListener listener) {
            seeds.add(seed);
            try {
                Thread.sleep(mode == Mode.FORWARD ? 5 : 15);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        }

        @Override public void close() { be.close(); }
    }

    @Test
    void burnInIsNotTimedAndEveryTimedStepIsWhole() {
        try (Sleeper w = new Sleeper()) {
            List<Integer> warm = new ArrayList<>(), timed = new ArrayList<>();
            Harness.Measurement m = Harness.time(w, Mode.FORWARD_BACKWARD, 3, 5, 0, 100, false, new Harness.Listener() {
                @Override public void warmedUp(int i, int of) { warm.add(i); }

                @Override public void stepped(int i, int of, double ms) { timed.add(i); }
            });
            assertEquals(8, w.seeds.size());
            assertEquals(List.of(100L, 101L, 102L, 103L, 104L, 105L, 106L, 107L), w.seeds);
            assertEquals(List.of(0, 1, 2), warm);
            assertEquals(List.of(0, 1, 2, 3, 4), timed);
            assertEquals(5, m.samplesMs().length);
            for (double s : m.samplesMs()) assertTrue(s >= 15 && s < 200, "step time " + s);
            assertTrue(m.stats().meanMs() >= 15);
        }
    }

    @Test
    void theBudgetStopsTheTimingAndSaysHowFarItGot() {
        try (Sleeper w = new Sleeper()) {
            // 15 ms steps, a 0.1 s budget: about 7 of the 1000 steps asked for (fewer on a busy machine), never 0, never all
            Harness.Measurement m = Harness.time(w, Mode.FORWARD_BACKWARD, 1, 1000, 0.1, 1, false, new Harness.Listener() {});
            assertTrue(m.stoppedByBudget());
            assertEquals(1000, m.steps());
            int n = m.samplesMs().length;
            assertTrue(n >= 1 && n <= 8, n + " steps");
            assertEquals(n, m.wallMs().length);
            assertEquals(n, m.stats().count());
            // a step count far beyond memory is fine with a budget: samples grow as steps run
            Harness.Measurement huge = Harness.time(w, Mode.FORWARD, 0, 2_000_000_000, 0.05, 1, false, new Harness.Listener() {});
            assertTrue(huge.stoppedByBudget() && huge.samplesMs().length < 100);
        }
    }

    @Test
    void timerOverheadIsSmall() {
        try (CpuBackend be = new CpuBackend(1)) {
            double ms = Harness.timerOverheadMs(be, 1000);
            assertTrue(ms >= 0 && ms < 0.1, "overhead " + ms + " ms");
        }
    }
}
