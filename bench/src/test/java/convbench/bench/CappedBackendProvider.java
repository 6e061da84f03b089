package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendProvider;
import convbench.engine.DeviceMemoryException;
import convbench.engine.MemoryStats;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Storage;
import convbench.engine.tensor.Tensor;
import convbench.engine.Timer;
import convbench.kernels.cpu.CpuBackend;
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

import java.util.List;
import java.util.Map;

/**
 * A test device, "capped:MiB": the CPU backend with a memory limit, throwing DeviceMemoryException
 * like the CUDA backend does when a device is full. Lets the out-of-memory path be tested anywhere.
 */
public final class CappedBackendProvider implements BackendProvider {
    @Override public String kind() { return "capped"; }

    @Override public Backend open(int mib, BackendOptions options) { return new Capped(new CpuBackend(options.threads()), mib * 1048576L); }

    static class Capped implements Backend {
        private final CpuBackend cpu;
        private final long cap;

        Capped(CpuBackend cpu, long cap) {
            this.cpu = cpu;
            this.cap = cap;
        }

        @Override public String name() { return "capped"; }

        @Override public Map<String, String> environment() { return Map.of("device", "capped CPU (" + cap / 1048576 + " MiB)"); }

        @Override public Tensor alloc(Shape shape) {
            long inUse = cpu.memory().inUse(), want = 4L * shape.size();
            if (inUse + want > cap) throw new DeviceMemoryException("capped", want, cap - inUse, inUse);
            return cpu.alloc(shape);
        }

        @Override public void upload(Tensor t, float[] src) { cpu.upload(t, src); }

        @Override public void download(Tensor t, float[] dst) { cpu.download(t, dst); }

        @Override public void fill(Tensor t, float value) { cpu.fill(t, value); }

        @Override public void copy(Tensor src, Tensor dst) { cpu.copy(src, dst); }

        @Override public void free(Storage storage) { cpu.free(storage); }

        @Override public MemoryStats memory() { return cpu.memory(); }

        @Override public void resetPeakMemory() { cpu.resetPeakMemory(); }

        @Override public ConvPlan conv(ConvDesc d) { return cpu.conv(d); }

        @Override public DensePlan dense(DenseDesc d) { return cpu.dense(d); }

        @Override public PoolPlan pool(PoolDesc d) { return cpu.pool(d); }

        @Override public LrnPlan lrn(LrnDesc d) { return cpu.lrn(d); }

        @Override public BatchNormPlan batchNorm(BatchNormDesc d) { return cpu.batchNorm(d); }

        @Override public ActivationPlan activation(Shape shape, Activation kind) { return cpu.activation(shape, kind); }

        @Override public SoftmaxPlan softmax(Shape shape) { return cpu.softmax(shape); }

        @Override public ElementwisePlan elementwise(Shape shape) { return cpu.elementwise(shape); }

        @Override public ConcatPlan concat(List<Shape> parts) { return cpu.concat(parts); }

        @Override public WindowPlan window(WindowDesc d) { return cpu.window(d); }

        @Override public DropoutPlan dropout(Shape shape, double keep) { return cpu.dropout(shape, keep); }

        @Override public LossPlan loss(Shape shape) { return cpu.loss(shape); }

        @Override public SgdPlan sgd(Shape shape) { return cpu.sgd(shape); }

        @Override public Timer timer() { return cpu.timer(); }

        @Override public void synchronize() { cpu.synchronize(); }

        @Override public void close() { cpu.close(); }
    }
}
