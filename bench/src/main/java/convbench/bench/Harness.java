package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.LayerListener;
import convbench.engine.MemoryStats;
import convbench.engine.Timer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The seeds' timing method: burn-in steps, then timed steps, each bracketed by the backend's timer
 * (CUDA events on the GPU's stream, the monotonic clock on the CPU). The only synchronisation in
 * the timed region is waiting for each step's end event. Host wall-clock time per step is kept too.
 */
final class Harness {
    private Harness() {}

    /** Called between steps, outside the timed region. */
    interface Listener {
        /** After a burn-in step (index from 0). */
        default void warmedUp(int index, int of) {}

        /** After timed step index (from 0), with its duration. */
        default void stepped(int index, int of, double millis) {}

        /** What observes the layers of each timed step (NVTX ranges under --nvtx), or null. */
        default LayerListener layers() { return null; }

        /** Just before timed step index starts its timer: host-side work only, no synchronisation. */
        default void stepStarting(int index, int of) {}

        /** Just after timed step index stopped its timer, before its time is read. */
        default void stepEnded(int index, int of) {}
    }

    /**
     * One mode's measurement.
     *
     * @param steps   the timed steps asked for; samplesMs has fewer when the budget stopped the timing
     * @param budgetS the time budget of the timed steps in seconds, 0 for none
     */
    record Measurement(Mode mode, int batch, int warmup, int steps, double budgetS, double[] samplesMs, double[] wallMs,
                       Stats stats, MemoryStats memory, long processPeakRssBytes) {
        /** The budget ended the timing before all the steps asked for had run. */
        boolean stoppedByBudget() { return samplesMs.length < steps; }
    }

    /**
     * Burn-in steps, then up to {@code steps} timed steps; with a budget (seconds, 0 for none) the
     * timing stops after the first step that ends past it, so at least one step is always timed.
     */
    static Measurement time(Workload w, Mode mode, int warmup, int steps, double budgetS, long seed, boolean profile,
                            Listener listener) {
        Backend be = w.backend();
        w.prepare();
        for (int i = 0; i < warmup; i++) {
            w.step(mode, seed + i, null);
            listener.warmedUp(i, warmup);
        }
        be.synchronize();
        be.resetPeakMemory();
        // grown as steps run: --steps 2000000000 with a budget must not allocate 2e9 samples up front
        double[] samples = new double[Math.min(steps, 1024)], wall = new double[samples.length];
        int done = 0;
        double spentMs = 0;
        try (Timer t = be.timer()) {
            if (profile) be.profilerStart();
            try {
                for (int i = 0; i < steps && (budgetS <= 0 || spentMs < budgetS * 1e3); i++) {
                    if (i == samples.length) {
                        samples = Arrays.copyOf(samples, (int) Math.min(steps, 2L * i));
                        wall = Arrays.copyOf(wall, samples.length);
                    }
                    long w0 = System.nanoTime();
                    listener.stepStarting(i, steps);
                    t.start();
                    w.step(mode, seed + warmup + i, listener.layers());
                    t.stop();
                    listener.stepEnded(i, steps);
                    samples[i] = t.elapsedMillis(); // waits for the step's end event, nothing else
                    wall[i] = (System.nanoTime() - w0) / 1e6;
                    spentMs += wall[i];
                    done = i + 1;
                    listener.stepped(i, steps, samples[i]);
                }
            } finally {
                if (profile) be.profilerStop();
            }
        }
        samples = Arrays.copyOf(samples, done);
        wall = Arrays.copyOf(wall, done);
        return new Measurement(mode, w.batch(), warmup, steps, budgetS, samples, wall, Stats.of(samples), be.memory(),
                processPeakRss());
    }

    /**
     * The cost of the harness itself: a timer started and stopped around no work, the way every
     * step is bracketed. Returns the mean in milliseconds over the given number of repetitions.
     */
    static double timerOverheadMs(Backend be, int repetitions) {
        try (Timer t = be.timer()) {
            double sum = 0;
            for (int i = 0; i < repetitions; i++) {
                t.start();
                t.stop();
                sum += t.elapsedMillis();
            }
            return sum / repetitions;
        }
    }

    /** The process's resident-set high-water mark (VmHWM) on Linux, else -1. */
    static long processPeakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }
}
