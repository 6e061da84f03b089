package convbench.engine;

/**
 * Times work submitted to a backend: CUDA events on the backend's stream on the GPU, the
 * monotonic clock on the CPU (where every kernel has finished when its call returns).
 */
public interface Timer extends AutoCloseable {
    /** Marks the start (records the start event). */
    void start();

    /** Marks the end (records the end event). */
    void stop();

    /** Milliseconds between start and stop; waits for the stop event where the backend is asynchronous. */
    double elapsedMillis();

    @Override default void close() {}

    /** The monotonic clock, for backends whose kernels have finished when their call returns (CPU, reference). */
    static Timer monotonic() {
        return new Timer() {
            private long start, stop;

            @Override public void start() { start = System.nanoTime(); }

            @Override public void stop() { stop = System.nanoTime(); }

            @Override public double elapsedMillis() { return (stop - start) / 1e6; }
        };
    }
}
