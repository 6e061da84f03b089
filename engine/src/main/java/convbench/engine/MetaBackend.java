package convbench.engine;

import convbench.engine.tensor.DType;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Storage;
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

import java.util.LinkedHashMap;
import convbench.engine.init.Init;

import java.util.List;
import java.util.SplittableRandom;
import java.util.Map;

/**
 * A backend that holds no data and computes nothing: running a net on it checks every op's
 * arguments and yields every shape, parameter count and MAC count (the summary tables, the
 * smallest input a net takes) without allocating a byte. It still counts the bytes a real
 * backend would hold, so it also predicts memory.
 */
public final class MetaBackend implements Backend {
    private long inUse, peak;

    private final class MetaStorage extends Storage {
        MetaStorage(long bytes) { super(MetaBackend.this, bytes); }
    }

    @Override public String name() { return "meta"; }

    @Override public boolean shapesOnly() { return true; }

    @Override public Map<String, String> environment() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("device", "none (shapes only)");
        return m;
    }

    @Override public synchronized Tensor alloc(Shape shape) {
        long bytes = 4L * shape.size();
        inUse += bytes;
        peak = Math.max(peak, inUse);
        return new Tensor(shape, DType.FP32, new MetaStorage(bytes));
    }

    @Override public synchronized void free(Storage storage) { inUse -= storage.bytes(); }

    @Override public synchronized MemoryStats memory() { return new MemoryStats(inUse, peak, inUse, peak); }

    @Override public synchronized void resetPeakMemory() { peak = inUse; }

    @Override public void upload(Tensor t, float[] src) {}

    @Override public void initialize(Tensor t, Init init, SplittableRandom rng) {}

    @Override public void download(Tensor t, float[] dst) {}

    @Override public void fill(Tensor t, float value) {}

    @Override public void copy(Tensor src, Tensor dst) {}

    @Override public ConvPlan conv(ConvDesc d) {
        return new ConvPlan() {
            @Override public ConvDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {}

            @Override public void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db) {}
        };
    }

    @Override public DensePlan dense(DenseDesc d) {
        return new DensePlan() {
            @Override public DenseDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {}

            @Override public void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db) {}
        };
    }

    @Override public PoolPlan pool(PoolDesc d) {
        return new PoolPlan() {
            @Override public PoolDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor y) {}

            @Override public void backward(Tensor x, Tensor y, Tensor dy, Grad dx) {}
        };
    }

    @Override public LrnPlan lrn(LrnDesc d) {
        return new LrnPlan() {
            @Override public LrnDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor y) {}

            @Override public void backward(Tensor x, Tensor y, Tensor dy, Grad dx) {}
        };
    }

    @Override public BatchNormPlan batchNorm(BatchNormDesc d) {
        return new BatchNormPlan() {
            @Override public BatchNormDesc desc() { return d; }

            @Override public void forwardTraining(Tensor x, Tensor g, Tensor b, Tensor y, Tensor mm, Tensor mv,
                                                  double f, Tensor sm, Tensor si) {}

            @Override public void forwardInference(Tensor x, Tensor g, Tensor b, Tensor mm, Tensor mv, Tensor y) {}

            @Override public void backward(Tensor x, Tensor dy, Tensor g, Tensor sm, Tensor si, Grad dx, Grad dg, Grad db) {}

            @Override public void backwardInference(Tensor x, Tensor dy, Tensor g, Tensor mm, Tensor mv,
                                                    Grad dx, Grad dg, Grad db) {}
        };
    }

    @Override public ActivationPlan activation(Shape shape, Activation kind) {
        return new ActivationPlan() {
            @Override public Shape shape() { return shape; }

            @Override public Activation kind() { return kind; }

            @Override public void forward(Tensor x, Tensor y) {}

            @Override public void backward(Tensor y, Tensor dy, Grad dx) {}
        };
    }

    @Override public SoftmaxPlan softmax(Shape shape) {
        return new SoftmaxPlan() {
            @Override public Shape shape() { return shape; }

            @Override public void forward(Tensor x, Tensor y) {}

            @Override public void backward(Tensor y, Tensor dy, Grad dx) {}
        };
    }

    @Override public ElementwisePlan elementwise(Shape shape) {
        return new ElementwisePlan() {
            @Override public Shape shape() { return shape; }

            @Override public void add(Tensor a, Tensor b, Tensor y) {}

            @Override public void scaleInto(float alpha, Tensor src, Grad dst) {}
        };
    }

    @Override public ConcatPlan concat(List<Shape> parts) {
        return new ConcatPlan() {
            @Override public List<Shape> parts() { return parts; }

            @Override public void concat(List<Tensor> xs, Tensor out) {}

            @Override public void split(Tensor dy, List<Grad> dxs) {}
        };
    }

    @Override public WindowPlan window(WindowDesc d) {
        return new WindowPlan() {
            @Override public WindowDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor y) {}

            @Override public void backward(Tensor dy, Grad dx) {}
        };
    }

    @Override public DropoutPlan dropout(Shape shape, double keep) {
        return new DropoutPlan() {
            @Override public Shape shape() { return shape; }

            @Override public double keep() { return keep; }

            @Override public Shape reserveShape() { return shape; }

            @Override public void forward(Tensor x, Tensor y, Tensor reserve, long seed) {}

            @Override public void backward(Tensor dy, Tensor reserve, Grad dx) {}
        };
    }

    @Override public LossPlan loss(Shape shape) {
        return new LossPlan() {
            @Override public Shape shape() { return shape; }

            @Override public void l2(Tensor x, Tensor loss) {}

            @Override public void l2Backward(Tensor x, float dloss, Grad dx) {}

            @Override public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {}

            @Override public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float dloss, Grad dlogits) {}
        };
    }

    @Override public SgdPlan sgd(Shape shape) {
        return new SgdPlan() {
            @Override public Shape shape() { return shape; }

            @Override public void update(Tensor w, Tensor dw, Tensor v, float lr, float momentum) {}
        };
    }

    @Override public Timer timer() {
        return new Timer() {
            @Override public void start() {}

            @Override public void stop() {}

            @Override public double elapsedMillis() { return 0; }
        };
    }

    @Override public void synchronize() {}

    @Override public void close() {}
}
