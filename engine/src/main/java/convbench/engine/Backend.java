package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Memory;
import convbench.engine.tensor.Tensor;

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
public interface Backend extends Memory, AutoCloseable {
    /** "cpu", "cuda:N" or "reference". */
    @Override String name();

    /** What a report should say about this backend: device, driver, library versions, threads. Ordered. */
    Map<String, String> environment();

    // ---- memory (alloc, zeros, of, upload, download, fill, copy, free: see Memory) ----

    /**
     * Fills a new parameter from its initialiser. Values are drawn in float on the host, so every
     * backend (the reference included, which widens them once) starts a net from the same numbers.
     */
    default void initialize(Tensor t, Init init, SplittableRandom rng) {
        float[] v = new float[t.shape().intSize()];
        init.fill(v, t.shape(), rng);
        t.set(v);
    }

    MemoryStats memory();

    /**
     * True when this backend's tensors have shapes and no values (MetaBackend, the shape-only pass):
     * nothing is computed on it, so there is nothing to learn about a step's activations from it.
     */
    default boolean shapesOnly() { return false; }

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
