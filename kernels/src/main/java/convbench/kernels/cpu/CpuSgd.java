package convbench.kernels.cpu;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.SgdPlan;

final class CpuSgd implements SgdPlan {
    private final CpuBackend be;
    private final Shape shape;

    CpuSgd(CpuBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
    }

    @Override public Shape shape() { return shape; }

    @Override public void update(Tensor wt, Tensor dwt, Tensor vt, float lr, float momentum) {
        float[] w = CpuBackend.data(wt), dw = CpuBackend.data(dwt), v = CpuBackend.data(vt);
        be.chunks(shape.intSize(), 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                v[i] = momentum * v[i] + dw[i];
                w[i] -= lr * v[i];
            }
        });
    }
}
