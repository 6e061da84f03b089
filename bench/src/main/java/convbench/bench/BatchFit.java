package convbench.bench;

import convbench.engine.Ctx;
import convbench.engine.DeviceMemoryException;
import convbench.engine.MetaBackend;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.Summary;

import java.util.List;
import java.util.function.Function;

/**
 * Whether a net's step fits, found before it runs, and which batch would when it does not: every mode is
 * run once on shapes only ({@link MetaBackend}, which counts the bytes a real backend would hold), and the
 * largest batch that fits is found by bisection on those estimates. Run, compare and sweep ask it through
 * {@link Session}.
 */
final class BatchFit {
    private final List<Mode> modes;
    /** On a GPU the device's memory is known only to its backend: its out-of-memory error says what fits. */
    private final boolean gpu;
    private final int classes;
    private final long seed;
    /** A net's summary (its layers' output shapes), cached by the session. */
    private final Function<Net, Summary> summaries;

    BatchFit(List<Mode> modes, boolean gpu, int classes, long seed, Function<Net, Summary> summaries) {
        this.modes = modes;
        this.gpu = gpu;
        this.classes = classes;
        this.seed = seed;
        this.summaries = summaries;
    }

    /**
     * Finds, before any step runs, what would fail later: every mode is run once on shapes only
     * (MetaBackend), at this batch, so an op's refusal (batch norm in training with one value per
     * channel) is a usage error with its fix; a tensor too large to index, and on the CPU a step whose
     * tensors do not fit in the Java heap, fail with the batch that fits.
     */
    void check(String name, int batch, int size) {
        String net = Nets.spec(name).name();
        long perImage = largestTensorPerImage(net, size);
        if ((double) perImage * batch > Integer.MAX_VALUE) {
            long fits = Integer.MAX_VALUE / perImage;
            throw new UsageException(TextReport.f("--batch %d is too large for %s: its largest tensor would hold %,d elements, more than "
                    + "the 2^31-1 a tensor can index; use --batch %,d or less", batch, net, perImage * batch, fits));
        }
        for (Mode m : modes) {
            long need;
            try {
                need = estimate(net, m, batch, size);
            } catch (convbench.engine.OpException e) {
                String fix = m == Mode.FORWARD ? "use a larger --batch or --image-size"
                        : batch == 1 ? "use --batch 2 or more for " + m.id + ", or --mode forward"
                        : "use a larger --batch or --image-size for " + m.id + ", or --mode forward";
                throw new UsageException(e.getMessage() + " (at batch " + batch + ", " + m.id + "): " + fix);
            }
            if (gpu) continue; // the device's memory is known only to its backend: an out-of-memory there says what fits
            long heap = Runtime.getRuntime().maxMemory();
            if (need > HEAP_SHARE * heap) {
                int fits = largestBatch(net, m, size, batch, (long) (HEAP_SHARE * heap));
                throw new RunFailure(TextReport.f("%s %s at batch %d needs about %s of tensors but the Java heap holds at most %s: %s, "
                                + "or give Java more heap (java -Xmx%dg -jar bench.jar ...)", net, m.id, batch, TextReport.bytes(need),
                        TextReport.bytes(heap), fits >= 1 ? "use --batch " + fits + " or less" : "use a smaller --image-size",
                        (long) Math.ceil(need / HEAP_SHARE / (1L << 30)) + 1));
            }
        }
    }

    /** The share of the Java heap a step's tensors may take (the allocator's cache and the JVM need the rest). */
    static final double HEAP_SHARE = 0.6;

    /** The elements per image of the largest tensor a step makes: the input or a layer's output. */
    private long largestTensorPerImage(String net, int size) {
        long max = 3L * size * size;
        try (MetaBackend meta = new MetaBackend(); Net n = Nets.create(net, meta, classes, size, seed)) {
            for (Summary.Row r : summaries.apply(n).rows()) max = Math.max(max, r.output().size());
        }
        return max;
    }

    /** The largest batch below {@code above} whose step needs at most {@code available} bytes, 0 if none. */
    private int largestBatch(String net, Mode mode, int size, int above, long available) {
        int lo = 0, hi = above; // fits(lo) assumed, fits(hi) false
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            boolean fits;
            try {
                fits = estimate(net, mode, mid, size) <= available;
            } catch (convbench.engine.OpException e) {
                fits = true; // refused on shapes at this batch (batch norm at batch 1), not for memory
            }
            if (fits) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    /**
     * Out of device memory: the largest batch that should fit, estimated by running the step on
     * shapes only (MetaBackend counts the bytes a real backend would hold).
     */
    RunFailure outOfMemory(DeviceMemoryException e, String net, Mode mode, int batch, int size) {
        long available = (long) ((e.free() + e.inUse()) * 0.9);
        int lo = largestBatch(net, mode, size, batch, available);
        String hint = lo >= 1 ? "batch " + lo + " should fit: use --batch " + lo + " or less"
                : "not even batch 1 fits: use a smaller --image-size or a larger GPU";
        return new RunFailure(e.getMessage() + " at batch " + batch + " (" + net + " " + mode.id + "); " + hint);
    }

    /** The Java heap ran out although the tensors' estimate fitted (the allocator's cache, the JVM): a batch that leaves room. */
    RunFailure heapExhausted(String net, Mode mode, int batch, int size) {
        long heap = Runtime.getRuntime().maxMemory();
        int lo = largestBatch(net, mode, size, batch, (long) (HEAP_SHARE / 2 * heap));
        return new RunFailure(TextReport.f("the Java heap (at most %s) ran out at batch %d (%s %s): %s, or give Java more heap "
                + "(java -Xmx%dg -jar bench.jar ...)", TextReport.bytes(heap), batch, net, mode.id,
                lo >= 1 ? "use --batch " + lo + " or less" : "use a smaller --image-size", 2 * Math.max(1, heap >> 30)));
    }

    /** Peak bytes of one step at this batch, on shapes only; an op's refusal at this batch is an OpException. */
    long estimate(String net, Mode mode, int batch, int size) {
        try (MetaBackend meta = new MetaBackend(); Net n = Nets.create(net, meta, classes, size, seed)) {
            n.ensureBuilt();
            try (Tensor x = meta.alloc(Shape.nchw(batch, 3, size, size))) {
                if (mode == Mode.FORWARD) {
                    try (Ctx ctx = Ctx.inference(meta)) {
                        n.forward(ctx, x);
                    }
                } else {
                    try (Ctx ctx = Ctx.training(meta, 0)) {
                        n.backward(ctx, n.forward(ctx, x));
                    }
                }
                return meta.memory().peakInUse();
            }
        }
    }
}
