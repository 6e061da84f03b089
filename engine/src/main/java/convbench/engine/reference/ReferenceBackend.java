package convbench.engine.reference;

import convbench.engine.MemoryStats;
import convbench.engine.Timer;
import convbench.engine.tensor.DType;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Storage;
import convbench.engine.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The oracle: every tensor is float64 ({@link DType#F64}) and every plan runs its op's reference
 * arithmetic, the plain loops in the op's own class ({@code Conv2d.Reference}, {@code Lrn.Reference},
 * ...): the plans, and how they write gradients, are {@link ReferencePlans}'; this class adds the memory
 * (a double array per tensor) and the clock.
 */
public final class ReferenceBackend extends ReferencePlans {
    private long inUse, peak;
    private final boolean roundOutputs;

    /** The oracle: float64 throughout. */
    public ReferenceBackend() { this(false); }

    private ReferenceBackend(boolean roundOutputs) {
        super(roundOutputs);
        this.roundOutputs = roundOutputs;
    }

    /**
     * The same arithmetic with every op's outputs (activations, gradients, statistics, losses) rounded to
     * float32 as they are written: how far a float32 engine would drift from the oracle through rounding
     * at every op alone. {@code bench verify} uses it as the noise floor a fast backend is judged against.
     */
    public static ReferenceBackend roundingToFloat32() { return new ReferenceBackend(true); }

    private final class RefStorage extends Storage {
        final double[] data;

        RefStorage(int n) {
            super(ReferenceBackend.this, 8L * n);
            data = new double[n];
        }
    }

    /** The double array behind a reference tensor. */
    public static double[] data(Tensor t) {
        if (!(t.storage() instanceof RefStorage s))
            throw new IllegalArgumentException("tensor " + t.shape() + " lives on " + t.backend().name() + ", not the reference backend");
        return s.data;
    }

    @Override public String name() { return roundOutputs ? "reference (float32-rounded)" : "reference"; }

    @Override public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("device", "reference (float64, each op's plain loops, one thread)");
        env.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        return env;
    }

    // ---- memory ----

    @Override public synchronized Tensor alloc(Shape shape) {
        RefStorage s = new RefStorage(Math.max(1, shape.intSize()));
        inUse += s.bytes();
        peak = Math.max(peak, inUse);
        return new Tensor(shape, DType.F64, s);
    }

    @Override public synchronized void free(Storage storage) { inUse -= storage.bytes(); }

    @Override public synchronized MemoryStats memory() { return new MemoryStats(inUse, peak, inUse, peak); }

    @Override public synchronized void resetPeakMemory() { peak = inUse; }

    @Override public void upload(Tensor t, float[] src) {
        double[] d = data(t);
        for (int i = 0; i < t.shape().intSize(); i++) d[i] = src[i];
    }

    @Override public void download(Tensor t, float[] dst) {
        double[] d = data(t);
        for (int i = 0; i < t.shape().intSize(); i++) dst[i] = (float) d[i];
    }

    @Override public void uploadDoubles(Tensor t, double[] src) { System.arraycopy(src, 0, data(t), 0, t.shape().intSize()); }

    @Override public void downloadDoubles(Tensor t, double[] dst) { System.arraycopy(data(t), 0, dst, 0, t.shape().intSize()); }

    @Override public void fill(Tensor t, float value) { java.util.Arrays.fill(data(t), 0, t.shape().intSize(), value); }

    @Override public void copy(Tensor src, Tensor dst) {
        if (src.size() != dst.size()) throw new IllegalArgumentException("copy between sizes " + src.shape() + " and " + dst.shape());
        System.arraycopy(data(src), 0, data(dst), 0, src.shape().intSize());
    }

    // ---- time ----

    @Override public Timer timer() { return Timer.monotonic(); }

    @Override public void synchronize() {}

    @Override public void close() {}
}
