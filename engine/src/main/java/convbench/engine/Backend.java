package convbench.engine;

import convbench.engine.plan.Activation;
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

import convbench.engine.init.Init;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where tensors live and kernels run. A backend owns memory (tensors come from its caching
 * allocator) and hands out a kernel plan per op family for a given descriptor; layers make
 * their plans once, when their input shape is first known, and reuse them every step.
 * The CPU and CUDA backends implement the same contract; a layer never knows which it has.
 * Plans take already-validated descriptors: the ops in convbench.engine.ops check arguments.
 */
public interface Backend extends AutoCloseable {
    /** "cpu" or "cuda:N". */
    String name();

    /** What a report should say about this backend: device, driver, library versions, threads. Ordered. */
    Map<String, String> environment();

    // ---- memory ----

    /** A tensor with undefined contents (kernels overwrite their outputs). */
    Tensor alloc(Shape shape);

    default Tensor zeros(Shape shape) {
        Tensor t = alloc(shape);
        fill(t, 0f);
        return t;
    }

    default Tensor of(Shape shape, float[] values) {
        return alloc(shape).set(values);
    }

    void upload(Tensor t, float[] src);

    void download(Tensor t, float[] dst);

    /** Uploads doubles: rounded to float on a float32 backend, exact on the reference backend. */
    default void uploadDoubles(Tensor t, double[] src) {
        float[] f = new float[src.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) src[i];
        upload(t, f);
    }

    /** Downloads as doubles: widened from float on a float32 backend, exact on the reference backend. */
    default void downloadDoubles(Tensor t, double[] dst) {
        float[] f = new float[dst.length];
        download(t, f);
        for (int i = 0; i < f.length; i++) dst[i] = f[i];
    }

    /**
     * Fills a new parameter from its initialiser. Values are drawn in float on the host, so every
     * backend (the reference included, which widens them once) starts a net from the same numbers.
     */
    default void initialize(Tensor t, Init init, SplittableRandom rng) {
        float[] v = new float[t.shape().intSize()];
        init.fill(v, t.shape(), rng);
        t.set(v);
    }

    void fill(Tensor t, float value);

    void copy(Tensor src, Tensor dst);

    /** Called by {@link Storage} when its last reference goes; returns the memory to the cache. */
    void free(Storage storage);

    MemoryStats memory();

    void resetPeakMemory();

    // ---- kernel plans ----

    ConvPlan conv(ConvDesc d);

    DensePlan dense(DenseDesc d);

    PoolPlan pool(PoolDesc d);

    LrnPlan lrn(LrnDesc d);

    BatchNormPlan batchNorm(BatchNormDesc d);

    ActivationPlan activation(Shape shape, Activation kind);

    SoftmaxPlan softmax(Shape shape);

    ElementwisePlan elementwise(Shape shape);

    ConcatPlan concat(List<Shape> parts);

    WindowPlan window(WindowDesc d);

    DropoutPlan dropout(Shape shape, double keep);

    LossPlan loss(Shape shape);

    SgdPlan sgd(Shape shape);

    // ---- time ----

    Timer timer();

    /** Waits until all submitted work has finished. */
    void synchronize();

    /** Peak arithmetic rate in GFLOP/s for a precision ("fp32", "tf32"), or 0 when not known. */
    default double peakGflops(String precision) { return 0; }

    /**
     * Starts the profiler's capture range (cudaProfilerStart, for
     * {@code nsys profile --capture-range=cudaProfilerApi}); a no-op where there is no profiler.
     */
    default void profilerStart() {}

    /** Stops the capture range started by {@link #profilerStart}. */
    default void profilerStop() {}

    @Override void close();
}
