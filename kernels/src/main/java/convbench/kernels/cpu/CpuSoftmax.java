package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.SoftmaxPlan;

/** Softmax over channels on the CPU: one task per image, channels strided by H*W. */
final class CpuSoftmax implements SoftmaxPlan {
    private final CpuBackend be;
    private final Shape shape;
    private final int n, c, hw;

    CpuSoftmax(CpuBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
        n = shape.n();
        c = shape.c();
        hw = shape.h() * shape.w();
    }

    @Override public Shape shape() { return shape; }

    @Override public void forward(Tensor xt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        be.par().forEach(n, (img, wk) -> {
            int base = img * c * hw;
            for (int q = 0; q < hw; q++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int ch = 0; ch < c; ch++) max = Math.max(max, x[base + ch * hw + q]);
                double sum = 0;
                for (int ch = 0; ch < c; ch++) {
                    float e = (float) Math.exp(x[base + ch * hw + q] - max);
                    y[base + ch * hw + q] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                for (int ch = 0; ch < c; ch++) y[base + ch * hw + q] *= inv;
            }
        });
    }

    @Override public void backward(Tensor yt, Tensor dyt, Grad dx) {
        float[] y = CpuBackend.data(yt), dy = CpuBackend.data(dyt), g = CpuBackend.data(dx.t());
        boolean acc = dx.accumulate();
        be.par().forEach(n, (img, wk) -> {
            int base = img * c * hw;
            for (int q = 0; q < hw; q++) {
                double dot = 0;
                for (int ch = 0; ch < c; ch++) dot += dy[base + ch * hw + q] * y[base + ch * hw + q];
                for (int ch = 0; ch < c; ch++) {
                    int i = base + ch * hw + q;
                    float v = (float) (y[i] * (dy[i] - dot));
                    g[i] = CpuBackend.grad(g[i], v, acc);
                }
            }
        });
    }
}
