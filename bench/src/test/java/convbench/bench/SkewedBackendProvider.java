package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendProvider;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cpu.CpuBackend;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;

/**
 * A test device, "skewed": the CPU backend with one wrong kernel, LRN's backward writing 1.01 * dx.
 * `bench verify` must catch it and name the LRN layer.
 */
public final class SkewedBackendProvider implements BackendProvider {
    @Override public String kind() { return "skewed"; }

    @Override public Backend open(int index, BackendOptions options) {
        CpuBackend cpu = new CpuBackend(options.threads());
        return new CappedBackendProvider.Capped(cpu, Long.MAX_VALUE) {
            @Override public String name() { return "skewed"; }

            @Override public LrnPlan lrn(LrnDesc d) {
                LrnPlan real = cpu.lrn(d);
                return new LrnPlan() {
                    @Override public LrnDesc desc() { return d; }

                    @Override public void forward(Tensor x, Tensor y) { real.forward(x, y); }

                    @Override public void backward(Tensor x, Tensor y, Tensor dy, Grad dx) {
                        try (Tensor tmp = cpu.alloc(x.shape())) {
                            real.backward(x, y, dy, new Grad(tmp, false));
                            cpu.elementwise(x.shape()).scaleInto(1.01f, tmp, dx);
                        }
                    }
                };
            }
        };
    }
}
