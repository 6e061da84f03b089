package convbench.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of worker threads for the CPU kernels. {@link #forEach} runs body(i, worker) for
 * i in [0, n), handing out indices dynamically (a few at a time when there are many); worker in [0, threads) names the thread so a
 * kernel can give each its own scratch buffer. The calling thread works too (as worker 0).
 * Nested calls, and calls from a second thread while one runs, run serially on the caller.
 * <p>
 * A net's step makes a thousand or more of these calls, many of them short (a batch norm on a 7x7
 * layer takes tens of microseconds), so the hand-off must cost far less than waking a parked thread
 * (tens of microseconds when the machine is busy). The helpers spin for a while after each job,
 * watching for the next one, as OpenMP's runtimes do, and park only after {@link #SPIN_NANOS} of
 * nothing; a job wakes the parked ones. A wait longer than {@link #YIELD_AFTER_NANOS} yields between
 * looks, so that where other processes hold the cores a waiting thread does not keep the one it waits
 * for off its core.
 */
public final class Parallel implements AutoCloseable {
    @FunctionalInterface
    public interface Body {
        void run(int i, int worker);
    }

    /** Each worker takes indices in about this many grabs when there are many. */
    private static final int GRABS_PER_THREAD = 16;

    /** How long an idle helper waits (spinning, then yielding) before it parks. */
    static final long SPIN_NANOS = 200_000;
    /** How long a wait spins before it yields its core. */
    private static final long YIELD_AFTER_NANOS = 10_000;

    private static final ThreadLocal<Integer> CURRENT = new ThreadLocal<>();

    private final int threads;
    private final Thread[] helpers;
    private final ReentrantLock caller = new ReentrantLock();

    // the current job: written by the caller before it bumps generation, read by the helpers after they see it
    private Body body;
    private int n;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger(); // helpers still in the current job
    private volatile Throwable failure;
    private volatile int generation;
    private volatile boolean closed;
    private final AtomicIntegerArray parked; // 1 while helper w is parked or about to park

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.helpers = new Thread[threads - 1];
        this.parked = new AtomicIntegerArray(threads);
        for (int h = 0; h < helpers.length; h++) {
            int worker = h + 1;
            Thread t = new Thread(() -> helperLoop(worker), "convbench-cpu-" + worker);
            t.setDaemon(true);
            helpers[h] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    public void forEach(int n, Body body) {
        if (n <= 0) return;
        Integer current = CURRENT.get();
        if (current != null || helpers.length == 0 || n == 1 || !caller.tryLock()) {
            int w = current == null ? 0 : current;
            for (int i = 0; i < n; i++) body.run(i, w);
            return;
        }
        try {
            this.body = body;
            this.n = n;
            next.set(0);
            failure = null;
            busy.set(helpers.length);
            generation++; // publishes the job
            for (int h = 0; h < helpers.length; h++) if (parked.get(h + 1) != 0) LockSupport.unpark(helpers[h]);
            try {
                drain(0);
            } catch (Throwable t) {
                next.set(n);
                failure = t;
            }
            for (long since = System.nanoTime(); busy.get() > 0; ) pause(System.nanoTime() - since);
            this.body = null;
            Throwable f = failure;
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error err) throw err;
            if (f != null) throw new RuntimeException(f);
        } finally {
            caller.unlock();
        }
    }

    private void helperLoop(int worker) {
        int seen = 0;
        while (true) {
            int g;
            long idleSince = System.nanoTime();
            while ((g = generation) == seen && !closed) {
                long idle = System.nanoTime() - idleSince;
                if (idle < SPIN_NANOS) {
                    pause(idle);
                } else {
                    parked.set(worker, 1);
                    if (generation == seen && !closed) LockSupport.park(this);
                    parked.set(worker, 0);
                }
            }
            if (closed) return;
            seen = g;
            try {
                drain(worker);
            } catch (Throwable t) {
                next.set(n);
                failure = t;
            } finally {
                busy.decrementAndGet();
            }
        }
    }

    /**
     * One turn of a wait that has lasted waited nanoseconds: a spin at first, then a yield, so that on a
     * machine busy with other work a waiting thread gives its core to whoever it waits for.
     */
    private static void pause(long waited) {
        if (waited < YIELD_AFTER_NANOS) Thread.onSpinWait();
        else Thread.yield();
    }

    private void drain(int worker) {
        Body b = body;
        int count = n;
        // indices are taken a few at a time where there are many (a batch norm's 4096 planes): one shared
        // counter bumped per index cost more than the work of a small one
        int grain = Math.max(1, count / (threads * GRABS_PER_THREAD));
        CURRENT.set(worker);
        try {
            for (int i0 = next.getAndAdd(grain); i0 < count; i0 = next.getAndAdd(grain))
                for (int i = i0, end = Math.min(count, i0 + grain); i < end; i++) b.run(i, worker);
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
        closed = true;
        for (Thread t : helpers) LockSupport.unpark(t);
    }
}
