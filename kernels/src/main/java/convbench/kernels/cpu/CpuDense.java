package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.DensePlan;

/** Fully connected layer on the CPU: three matrix products split across the threads. */
final class CpuDense implements DensePlan {
    private final CpuBackend be;
    private final DenseDesc d;

    CpuDense(CpuBackend be, DenseDesc d) {
        this.be = be;
        this.d = d;
    }

    @Override public DenseDesc desc() { return d; }

    @Override public void forward(Tensor xt, Tensor wt, Tensor bt, Tensor yt) {
        int n = d.n(), in = d.in(), out = d.out();
        float[] x = CpuBackend.data(xt), w = CpuBackend.data(wt), y = CpuBackend.data(yt);
        // y (n x out) = x (n x in) . w^T (in x out)
        Sgemm.parallel(be.par(), be.gemmBuffers(), false, true, n, out, in, x, 0, in, w, 0, in, false, y, 0, out);
        float[] b = bt == null ? null : CpuBackend.data(bt);
        boolean relu = d.act() == Activation.RELU;
        if (b == null && !relu) return;
        be.par().forEach(n, (r, wk) -> {
            int o = r * out;
            for (int j = 0; j < out; j++) {
                float v = y[o + j] + (b == null ? 0f : b[j]);
                y[o + j] = relu ? Math.max(v, 0f) : v;
            }
        });
    }

    @Override public void backward(Tensor xt, Tensor wt, Tensor dzt, Grad dx, Grad dw, Grad db) {
        int n = d.n(), in = d.in(), out = d.out();
        float[] x = CpuBackend.data(xt), w = CpuBackend.data(wt), dz = CpuBackend.data(dzt);
        if (dx != null) // dx (n x in) = dz (n x out) . w (out x in)
            Sgemm.parallel(be.par(), be.gemmBuffers(), false, false, n, in, out, dz, 0, out, w, 0, in,
                    dx.accumulate(), CpuBackend.data(dx.t()), 0, in);
        if (dw != null) // dw (out x in) = dz^T (out x n) . x (n x in)
            Sgemm.parallel(be.par(), be.gemmBuffers(), true, false, out, in, n, dz, 0, out, x, 0, in,
                    dw.accumulate(), CpuBackend.data(dw.t()), 0, in);
        if (db != null) {
            float[] g = CpuBackend.data(db.t());
            boolean acc = db.accumulate();
            be.chunks(out, 256, (from, to) -> {
                for (int j = from; j < to; j++) {
                    float s = 0f;
                    for (int r = 0; r < n; r++) s += dz[r * out + j];
                    g[j] = CpuBackend.grad(g[j], s, acc);
                }
            });
        }
    }
}
