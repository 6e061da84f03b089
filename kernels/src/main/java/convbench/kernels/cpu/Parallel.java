package convbench.kernels.cpu;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of worker threads for the CPU kernels. {@link #forEach} runs body(i, worker) for
 * i in [0, n), handing out indices dynamically; worker in [0, threads) names the thread so a
 * kernel can give each its own scratch buffer. The calling thread works too (as worker 0).
 * Nested calls run serially on the calling worker.
 */
public final class Parallel implements AutoCloseable {
    @FunctionalInterface
    public interface Body {
        void run(int i, int worker);
    }

    private static final ThreadLocal<Integer> CURRENT = new ThreadLocal<>();

    private final int threads;
    private final ExecutorService pool;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        AtomicInteger id = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "convbench-cpu-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() { return threads; }

    public void forEach(int n, Body body) {
        if (n <= 0) return;
        Integer current = CURRENT.get();
        if (current != null || pool == null || n == 1) {
            int w = current == null ? 0 : current;
            for (int i = 0; i < n; i++) body.run(i, w);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        int helpers = Math.min(threads, n) - 1;
        @SuppressWarnings("unchecked")
        Future<?>[] fs = new Future<?>[helpers];
        for (int h = 0; h < helpers; h++) {
            final int worker = h + 1;
            fs[h] = pool.submit(() -> drain(n, next, body, worker));
        }
        Throwable failure = null;
        try {
            drain(n, next, body, 0);
        } catch (Throwable t) {
            failure = t;
            next.set(n);
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new RuntimeException(failure);
    }

    private static void drain(int n, AtomicInteger next, Body body, int worker) {
        CURRENT.set(worker);
        try {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) body.run(i, worker);
        } finally {
            CURRENT.remove();
        }
    }

    /** Splits [0, n) into about threads * perThread chunks of at least minChunk: returns the chunk size. */
    public int chunk(int n, int perThread, int minChunk) {
        int parts = Math.max(1, threads * perThread);
        return Math.max(minChunk, (n + parts - 1) / parts);
    }

    @Override public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
