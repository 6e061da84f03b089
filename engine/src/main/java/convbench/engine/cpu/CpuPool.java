package convbench.engine.cpu;

import convbench.engine.Grad;
import convbench.engine.Tensor;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;

/** Max and average pooling on the CPU, parallel over (n, c) planes. */
final class CpuPool implements PoolPlan {
    private final CpuBackend be;
    private final PoolDesc d;
    private final int planes, h, w, oh, ow;

    CpuPool(CpuBackend be, PoolDesc d) {
        this.be = be;
        this.d = d;
        planes = d.x().n() * d.x().c();
        h = d.x().h();
        w = d.x().w();
        oh = d.outH();
        ow = d.outW();
    }

    @Override public PoolDesc desc() { return d; }

    @Override public void forward(Tensor xt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        boolean max = d.mode() == PoolDesc.Mode.MAX;
        be.par().forEach(planes, (pl, wk) -> {
            int xo = pl * h * w, yo = pl * oh * ow;
            for (int i = 0; i < oh; i++) {
                int h0 = i * d.strideH() - d.padTop(), h1 = Math.min(h0 + d.kh(), h);
                h0 = Math.max(h0, 0);
                for (int j = 0; j < ow; j++) {
                    int w0 = j * d.strideW() - d.padLeft(), w1 = Math.min(w0 + d.kw(), w);
                    w0 = Math.max(w0, 0);
                    float v;
                    if (max) {
                        v = Float.NEGATIVE_INFINITY;
                        for (int a = h0; a < h1; a++)
                            for (int b = w0; b < w1; b++) v = Math.max(v, x[xo + a * w + b]);
                    } else {
                        float s = 0f;
                        for (int a = h0; a < h1; a++)
                            for (int b = w0; b < w1; b++) s += x[xo + a * w + b];
                        v = s / ((h1 - h0) * (w1 - w0));
                    }
                    y[yo + i * ow + j] = v;
                }
            }
        });
    }

    @Override public void backward(Tensor xt, Tensor yt, Tensor dyt, Grad dx) {
        float[] x = CpuBackend.data(xt), dy = CpuBackend.data(dyt), g = CpuBackend.data(dx.t());
        boolean max = d.mode() == PoolDesc.Mode.MAX;
        boolean acc = dx.accumulate();
        be.par().forEach(planes, (pl, wk) -> {
            int xo = pl * h * w, yo = pl * oh * ow;
            if (!acc) java.util.Arrays.fill(g, xo, xo + h * w, 0f);
            for (int i = 0; i < oh; i++) {
                int h0 = i * d.strideH() - d.padTop(), h1 = Math.min(h0 + d.kh(), h);
                h0 = Math.max(h0, 0);
                for (int j = 0; j < ow; j++) {
                    int w0 = j * d.strideW() - d.padLeft(), w1 = Math.min(w0 + d.kw(), w);
                    w0 = Math.max(w0, 0);
                    float gy = dy[yo + i * ow + j];
                    if (max) {
                        int arg = -1;
                        float v = Float.NEGATIVE_INFINITY;
                        for (int a = h0; a < h1; a++)
                            for (int b = w0; b < w1; b++) {
                                float xv = x[xo + a * w + b];
                                if (arg < 0 || xv > v) {
                                    v = xv;
                                    arg = a * w + b;
                                }
                            }
                        g[xo + arg] += gy;
                    } else {
                        float share = gy / ((h1 - h0) * (w1 - w0));
                        for (int a = h0; a < h1; a++)
                            for (int b = w0; b < w1; b++) g[xo + a * w + b] += share;
                    }
                }
            }
        });
    }
}
