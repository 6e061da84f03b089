package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.LossPlan;

/** Losses on the CPU, sums in double. */
final class CpuLoss implements LossPlan {
    private final CpuBackend be;
    private final Shape shape;
    private final int size;

    CpuLoss(CpuBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
        this.size = shape.intSize();
    }

    @Override public Shape shape() { return shape; }

    @Override public void l2(Tensor xt, Tensor loss) {
        float[] x = CpuBackend.data(xt);
        int chunk = be.par().chunk(size, 4, 1 << 14);
        int parts = (size + chunk - 1) / chunk;
        double[] partial = new double[parts];
        be.par().forEach(parts, (i, wk) -> {
            double s = 0;
            for (int j = i * chunk, end = Math.min(size, j + chunk); j < end; j++) s += (double) x[j] * x[j];
            partial[i] = s;
        });
        double s = 0;
        for (double v : partial) s += v;
        CpuBackend.data(loss)[0] = (float) (0.5 * s);
    }

    @Override public void l2Backward(Tensor xt, float dloss, Grad dx) {
        float[] x = CpuBackend.data(xt), g = CpuBackend.data(dx.t());
        boolean acc = dx.accumulate();
        be.chunks(size, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) g[i] = CpuBackend.grad(g[i], dloss * x[i], acc);
        });
    }

    @Override public void softmaxCrossEntropy(Tensor logitsT, Tensor labelsT, Tensor probsT, Tensor loss) {
        float[] x = CpuBackend.data(logitsT), lab = CpuBackend.data(labelsT), p = CpuBackend.data(probsT);
        int n = shape.dim(0), c = shape.dim(1);
        double total = 0;
        for (int r = 0; r < n; r++) {
            int o = r * c;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) max = Math.max(max, x[o + j]);
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.exp(x[o + j] - max);
            double logSum = Math.log(sum);
            for (int j = 0; j < c; j++) {
                double logp = x[o + j] - max - logSum;
                p[o + j] = (float) Math.exp(logp);
                total -= lab[o + j] * logp;
            }
        }
        CpuBackend.data(loss)[0] = (float) (total / n);
    }

    @Override public void softmaxCrossEntropyBackward(Tensor probsT, Tensor labelsT, float dloss, Grad dlogits) {
        float[] p = CpuBackend.data(probsT), lab = CpuBackend.data(labelsT), g = CpuBackend.data(dlogits.t());
        int n = shape.dim(0);
        float s = dloss / n;
        boolean acc = dlogits.accumulate();
        for (int i = 0; i < size; i++) {
            float v = s * (p[i] - lab[i]);
            g[i] = CpuBackend.grad(g[i], v, acc);
        }
    }
}
