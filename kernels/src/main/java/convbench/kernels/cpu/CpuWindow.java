package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;

/** Pad, crop, strided subsample on the CPU, parallel over (n, c) planes. */
final class CpuWindow implements WindowPlan {
    private final CpuBackend be;
    private final WindowDesc d;
    private final int planes, h, w, oh, ow;

    CpuWindow(CpuBackend be, WindowDesc d) {
        this.be = be;
        this.d = d;
        planes = d.x().n() * d.x().c();
        h = d.x().h();
        w = d.x().w();
        oh = d.outH();
        ow = d.outW();
    }

    @Override public WindowDesc desc() { return d; }

    @Override public void forward(Tensor xt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        be.par().forEach(planes, (pl, wk) -> {
            int xo = pl * h * w, yo = pl * oh * ow;
            for (int i = 0; i < oh; i++) {
                int ih = i * d.strideH() - d.padTop();
                int row = yo + i * ow;
                if (ih < 0 || ih >= h) {
                    java.util.Arrays.fill(y, row, row + ow, 0f);
                    continue;
                }
                for (int j = 0; j < ow; j++) {
                    int iw = j * d.strideW() - d.padLeft();
                    y[row + j] = iw >= 0 && iw < w ? x[xo + ih * w + iw] : 0f;
                }
            }
        });
    }

    @Override public void backward(Tensor dyt, Grad dx) {
        float[] dy = CpuBackend.data(dyt), g = CpuBackend.data(dx.t());
        boolean acc = dx.accumulate();
        be.par().forEach(planes, (pl, wk) -> {
            int xo = pl * h * w, yo = pl * oh * ow;
            if (!acc) java.util.Arrays.fill(g, xo, xo + h * w, 0f);
            for (int i = 0; i < oh; i++) {
                int ih = i * d.strideH() - d.padTop();
                if (ih < 0 || ih >= h) continue;
                for (int j = 0; j < ow; j++) {
                    int iw = j * d.strideW() - d.padLeft();
                    if (iw >= 0 && iw < w) g[xo + ih * w + iw] += dy[yo + i * ow + j];
                }
            }
        });
    }
}
