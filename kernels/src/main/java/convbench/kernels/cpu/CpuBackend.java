package convbench.kernels.cpu;

import convbench.engine.Backend;
import convbench.engine.MemoryStats;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Storage;
import convbench.engine.tensor.Tensor;
import convbench.engine.Timer;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.BatchNormPlan;
import convbench.engine.plan.ConcatPlan;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.ConvPlan;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.DensePlan;
import convbench.engine.plan.DropoutPlan;
import convbench.engine.plan.ElementwisePlan;
import convbench.engine.plan.LossPlan;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;
import convbench.engine.plan.SgdPlan;
import convbench.engine.plan.SoftmaxPlan;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.TreeMap;
import java.util.LinkedHashMap;
import convbench.engine.init.Init;
import java.util.List;
import java.util.SplittableRandom;
import java.util.Map;

/**
 * The fast pure-Java backend (ServiceLoader kind "cpu", {@link CpuProvider}): what runs where there is
 * no GPU; tested, like the CUDA backend, against the float64 reference backend. Kernels are parallel
 * across a fixed set of threads; convolution and dense go through a packed, register-blocked matrix
 * product ({@link Sgemm}). Memory comes from a pool of float arrays, best fit by length, so a step
 * allocates nothing once the first step has run.
 */
public final class CpuBackend implements Backend {
    private final Parallel par;
    private final ConvChoice convChoice;
    private final Sgemm.Buffers[] gemmBuffers;
    private final float[][][] scratch; // [worker][slot]
    /** Free arrays by length. */
    private final TreeMap<Integer, ArrayDeque<float[]>> pool = new TreeMap<>();
    /**
     * How much longer than a tensor a pooled array may be and still be handed to it. Pooling by exact
     * length held inception3 b8's forward at 566 MiB for 196 MiB of live tensors (every branch has its
     * own sizes); up to 2x: 371 MiB (process RSS 704 -> 518 MiB); 4x and 8x held 320 and 312 MiB but
     * handed big arrays to small tensors (bench/results/cpu-kernels-2026-12-01.txt, §20).
     */
    static final int FIT = 2;
    /** Tests: floats added to every new array, set to NaN, so that a kernel reading past its tensor shows. */
    private int slack;
    private long inUse, peakInUse, reserved, peakReserved;

    public CpuBackend() { this(Runtime.getRuntime().availableProcessors()); }

    public CpuBackend(int threads) { this(threads, "auto"); }

    /** @param cpuConv auto | direct | winograd2 | winograd4: which convolutions run as Winograd, and which ({@link CpuConv}) */
    public CpuBackend(int threads, String cpuConv) {
        this.convChoice = ConvChoice.of(cpuConv);
        this.par = new Parallel(threads);
        this.gemmBuffers = new Sgemm.Buffers[threads];
        for (int i = 0; i < threads; i++) gemmBuffers[i] = new Sgemm.Buffers();
        this.scratch = new float[threads][8][];
        reserved = peakReserved = threads * Sgemm.Buffers.bytes();
    }

    /** The float array behind a CPU tensor (may be longer than the tensor). */
    public static float[] data(Tensor t) {
        if (!(t.storage() instanceof CpuStorage s))
            throw new IllegalArgumentException("tensor " + t.shape() + " lives on " + t.backend().name() + ", not the CPU");
        return s.data;
    }

    Parallel par() { return par; }

    Sgemm.Buffers[] gemmBuffers() { return gemmBuffers; }

    public int threads() { return par.threads(); }

    private final float[][] shared = new float[9][];
    /** The shared slot {@link #border} writes. */
    private static final int SHARED_BORDERED = 5;

    /**
     * A scratch array of at least size floats shared by all workers (slot 0..8), for data made once
     * per call and then only read in parallel (packed weights); kept across calls.
     */
    synchronized float[] shared(int slot, int size) {
        float[] s = shared[slot];
        if (s == null || s.length < size) {
            if (s != null) reserved -= 4L * s.length;
            s = new float[size];
            reserved += 4L * size;
            peakReserved = Math.max(peakReserved, reserved);
            shared[slot] = s;
        }
        return s;
    }

    /** A per-worker scratch array of at least size floats (slot 0..7), kept across calls. */
    float[] scratch(int worker, int slot, int size) {
        float[] s = scratch[worker][slot];
        if (s == null || s.length < size) {
            synchronized (this) {
                if (s != null) reserved -= 4L * s.length;
                s = new float[size];
                reserved += 4L * size;
                peakReserved = Math.max(peakReserved, reserved);
            }
            scratch[worker][slot] = s;
        }
        return s;
    }

    @Override public String name() { return "cpu"; }

    @Override public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("device", "CPU: " + cpuModel());
        env.put("threads", Integer.toString(par.threads()) + " of " + Runtime.getRuntime().availableProcessors() + " cores");
        env.put("matrix kernel", Sgemm.kernel());
        env.put("convolution", convChoice.describe());
        env.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        return env;
    }

    /** The CPU model name from /proc/cpuinfo, else os.arch. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable
        }
        return System.getProperty("os.arch");
    }

    // ---- memory ----

    /**
     * A tensor of shape on a pooled array: the shortest free one of at least its size and at most
     * {@link #FIT} times it, else a new one of its size. A tensor may so sit on a longer array than it
     * needs; kernels index it by its shape, and memory is counted by the array's length.
     */
    @Override public synchronized Tensor alloc(Shape shape) {
        int n = Math.max(1, shape.intSize());
        Map.Entry<Integer, ArrayDeque<float[]>> fit = pool.ceilingEntry(n);
        float[] a;
        if (fit != null && fit.getKey() <= (long) n * FIT) {
            a = fit.getValue().pop();
            if (fit.getValue().isEmpty()) pool.remove(fit.getKey());
        } else {
            a = new float[n + slack];
            if (slack > 0) java.util.Arrays.fill(a, n, n + slack, Float.NaN);
            reserved += 4L * a.length;
            peakReserved = Math.max(peakReserved, reserved);
        }
        inUse += 4L * a.length;
        peakInUse = Math.max(peakInUse, inUse);
        return new Tensor(shape, convbench.engine.tensor.DType.FP32, new CpuStorage(this, a));
    }

    /** Tests: every new array gets extra floats past its tensor, NaN (see {@link #slack}). */
    synchronized void slack(int extra) { slack = extra; }

    @Override public synchronized void free(Storage storage) {
        float[] a = ((CpuStorage) storage).data;
        inUse -= 4L * a.length;
        pool.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
    }

    @Override public synchronized MemoryStats memory() {
        return new MemoryStats(inUse, peakInUse, reserved, peakReserved);
    }

    @Override public synchronized void resetPeakMemory() {
        peakInUse = inUse;
        peakReserved = reserved;
    }

    @Override public void upload(Tensor t, float[] src) {
        System.arraycopy(src, 0, data(t), 0, t.shape().intSize());
    }

    /** In place: no host copy of every parameter (vgg16: 553 MB). */
    @Override public void initialize(Tensor t, Init init, SplittableRandom rng) {
        init.fill(data(t), t.shape(), rng);
    }

    @Override public void download(Tensor t, float[] dst) {
        System.arraycopy(data(t), 0, dst, 0, t.shape().intSize());
    }

    @Override public void fill(Tensor t, float value) {
        float[] a = data(t);
        int n = t.shape().intSize();
        int chunk = par.chunk(n, 2, 1 << 16);
        par.forEach((n + chunk - 1) / chunk, (i, w) ->
                java.util.Arrays.fill(a, i * chunk, Math.min(n, (i + 1) * chunk), value));
    }

    @Override public void copy(Tensor src, Tensor dst) {
        if (src.size() != dst.size()) throw new IllegalArgumentException("copy between sizes " + src.shape() + " and " + dst.shape());
        float[] s = data(src), d = data(dst);
        int n = src.shape().intSize();
        int chunk = par.chunk(n, 2, 1 << 16);
        par.forEach((n + chunk - 1) / chunk, (i, w) -> {
            int from = i * chunk;
            System.arraycopy(s, from, d, from, Math.min(n, from + chunk) - from);
        });
    }

    // ---- plans ----

    @Override public ConvPlan conv(ConvDesc d) { return new CpuConv(this, d, convChoice); }

    @Override public DensePlan dense(DenseDesc d) { return new CpuDense(this, d); }

    @Override public PoolPlan pool(PoolDesc d) { return new CpuPool(this, d); }

    @Override public LrnPlan lrn(LrnDesc d) { return new CpuLrn(this, d); }

    @Override public BatchNormPlan batchNorm(BatchNormDesc d) { return new CpuBatchNorm(this, d); }

    @Override public ActivationPlan activation(Shape shape, Activation kind) { return new CpuActivation(this, shape, kind); }

    @Override public SoftmaxPlan softmax(Shape shape) { return new CpuSoftmax(this, shape); }

    @Override public ElementwisePlan elementwise(Shape shape) { return new CpuElementwise(this, shape); }

    @Override public ConcatPlan concat(List<Shape> parts) { return new CpuConcat(this, parts); }

    @Override public WindowPlan window(WindowDesc d) { return new CpuWindow(this, d); }

    @Override public DropoutPlan dropout(Shape shape, double keep) { return new CpuDropout(this, shape, keep); }

    @Override public LossPlan loss(Shape shape) { return new CpuLoss(this, shape); }

    @Override public SgdPlan sgd(Shape shape) { return new CpuSgd(this, shape); }

    // ---- time ----

    @Override public Timer timer() { return Timer.monotonic(); }

    @Override public void synchronize() {}

    @Override public void close() {
        par.close();
        synchronized (this) {
            pool.clear();
        }
    }

    // ---- helpers shared by the kernels ----

    /** Runs body over [0, n) in chunks of about n / (4 * threads), at least minChunk: body(from, to). */
    void chunks(int n, int minChunk, RangeBody body) {
        int chunk = par.chunk(n, 4, minChunk);
        par.forEach((n + chunk - 1) / chunk, (i, w) -> body.run(i * chunk, Math.min(n, (i + 1) * chunk)));
    }

    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /**
     * src's planes (each srcH x srcW) copied into zero planes of dstH x dstW at offset (top, left): bordered row R,
     * column C holds src's row R - top, column C - left where that lies inside src, else 0 (src's cells past the
     * bordered plane are cut). In parallel over the planes, into shared scratch that stays valid until the next call:
     * the zero-bordered source of Winograd's patches and of the padded image's product.
     */
    float[] border(float[] src, int planes, int srcH, int srcW, int top, int left, int dstH, int dstW) {
        return border(src, planes, srcH, srcW, top, left, dstH, dstW, 1, 0);
    }

    /**
     * As {@link #border}, with each bordered row (dstW a multiple of phases) stored as its columns of each phase in
     * turn: column C of a row at (C % phases) * (dstW / phases) + C / phases. Patches that step by `phases` columns
     * then read runs: F(2x2, 3x3)'s tiles (2 phases: columns 0 and 2, and 1 and 3, of the patches under a tile row),
     * a strided convolution's im2col (its stride: tap column j of consecutive outputs). Slack floats past the last
     * plane may be read (they hold anything).
     */
    float[] borderSplit(float[] src, int planes, int srcH, int srcW, int top, int left, int dstH, int dstW, int phases, int slack) {
        return border(src, planes, srcH, srcW, top, left, dstH, dstW, phases, slack);
    }

    private float[] border(float[] src, int planes, int srcH, int srcW, int top, int left, int dstH, int dstW, int phases, int slack) {
        int plane = dstH * dstW, pw = dstW / phases;
        float[] b = shared(SHARED_BORDERED, planes * plane + slack);
        int c0 = Math.max(0, left), c1 = Math.min(dstW, srcW + left); // bordered columns with src under them
        par.forEach(planes, (pl, wk) -> {
            int o = pl * plane, from = pl * srcH * srcW;
            for (int r = 0; r < dstH; r++) {
                int row = o + r * dstW, sr = r - top;
                if (sr < 0 || sr >= srcH || c1 <= c0) {
                    java.util.Arrays.fill(b, row, row + dstW, 0f);
                    continue;
                }
                int in = from + sr * srcW - left; // src's element under bordered column C is src[in + C]
                if (phases > 1) {
                    // phase ph's t-th column is ph + t * phases: zero below t0, src's from t0 to t1, zero from t1
                    for (int ph = 0; ph < phases; ph++) {
                        int to = row + ph * pw, t0 = Math.min(pw, Math.max(0, -Math.floorDiv(ph - c0, phases)));
                        int t1 = Math.max(t0, Math.min(pw, -Math.floorDiv(ph - c1, phases)));
                        for (int t = 0; t < t0; t++) b[to + t] = 0f;
                        for (int t = t0, at = in + ph + t0 * phases; t < t1; t++, at += phases) b[to + t] = src[at];
                        for (int t = t1; t < pw; t++) b[to + t] = 0f;
                    }
                    continue;
                }
                for (int t = 0; t < c0; t++) b[row + t] = 0f;
                System.arraycopy(src, in + c0, b, row + c0, c1 - c0);
                for (int t = c1; t < dstW; t++) b[row + t] = 0f;
            }
        });
        return b;
    }

    /*
     * The one way a CPU kernel writes a gradient (cuDNN's beta: 0 overwrites, 1 accumulates): it computes each
     * value, then hands it to a helper, and only the helpers read the flag. grad takes one value (a loop over
     * one index calling it keeps one body: LRN's dx, a scaled copy, the losses); store takes a run of values at
     * other offsets (a copied block, a tile of the matrix product); VectorReductions.store takes a vector
     * (relu's masked dy). A scatter (pooling's and the window's backward) clears its region when overwriting
     * and adds. With grad written as old + v or v (a choice per element), LRN's backward measured 5 to 40 %
     * slower on this machine; written as one sum (below) it measures as fast as a loop per case.
     */

    /**
     * The new value of a gradient element that held old: v (overwrite) or old + v (accumulate), as one sum,
     * (accumulate ? old : -0) + v (-0 + v is v exactly), which the JIT splits into a loop per case and vectorises.
     */
    static float grad(float old, float v, boolean accumulate) {
        return (accumulate ? old : -0f) + v;
    }

    /**
     * dst[dOff + i] = src[sOff + i] (overwrite) or += (accumulate), for i in [0, n): a copy, or the vector loop of
     * {@link Reductions#add} (a plain loop over two offsets measured 3x slower: the JIT does not vectorise it).
     */
    static void store(float[] dst, int dOff, float[] src, int sOff, int n, boolean accumulate) {
        if (accumulate) Reductions.BEST.add(dst, dOff, src, sOff, n);
        else System.arraycopy(src, sOff, dst, dOff, n);
    }
}
