package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;

/** Relu (and identity) on the CPU, parallel over chunks. */
final class CpuActivation implements ActivationPlan {
    private final CpuBackend be;
    private final Shape shape;
    private final Activation kind;
    private final int size;

    CpuActivation(CpuBackend be, Shape shape, Activation kind) {
        this.be = be;
        this.shape = shape;
        this.kind = kind;
        this.size = shape.intSize();
    }

    @Override public Shape shape() { return shape; }

    @Override public Activation kind() { return kind; }

    @Override public void forward(Tensor xt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        boolean relu = kind == Activation.RELU;
        be.chunks(size, 1 << 14, (from, to) -> {
            if (relu) for (int i = from; i < to; i++) y[i] = Math.max(x[i], 0f);
            else if (x != y) System.arraycopy(x, from, y, from, to - from);
        });
    }

    @Override public void backward(Tensor yt, Tensor dyt, Grad dx) {
        float[] y = CpuBackend.data(yt), dy = CpuBackend.data(dyt), g = CpuBackend.data(dx.t());
        boolean relu = kind == Activation.RELU, acc = dx.accumulate();
        be.chunks(size, 1 << 14, (from, to) -> {
            if (relu) {
                Reductions.BEST.reluBackward(y, dy, g, from, to, acc);
            } else if (acc || g != dy) {
                CpuBackend.store(g, from, dy, from, to - from, acc);
            }
        });
    }
}
