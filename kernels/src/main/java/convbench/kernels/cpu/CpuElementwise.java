package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.ElementwisePlan;

final class CpuElementwise implements ElementwisePlan {
    private final CpuBackend be;
    private final Shape shape;
    private final int size;

    CpuElementwise(CpuBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
        this.size = shape.intSize();
    }

    @Override public Shape shape() { return shape; }

    @Override public void add(Tensor at, Tensor bt, Tensor yt) {
        float[] a = CpuBackend.data(at), b = CpuBackend.data(bt), y = CpuBackend.data(yt);
        be.chunks(size, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) y[i] = a[i] + b[i];
        });
    }

    @Override public void scaleInto(float alpha, Tensor src, Grad dst) {
        float[] s = CpuBackend.data(src), d = CpuBackend.data(dst.t());
        boolean acc = dst.accumulate();
        be.chunks(size, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) d[i] = CpuBackend.grad(d[i], alpha * s[i], acc);
        });
    }
}
