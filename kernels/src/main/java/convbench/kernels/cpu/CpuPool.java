package convbench.kernels.cpu;

import convbench.engine.spec.PoolMode;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;

/**
 * Max and average pooling on the CPU, parallel over (n, c) planes. Each output's window, clipped
 * to the input (padding is -infinity for max, left out of the count for average), is worked out
 * once when the plan is made.
 */
final class CpuPool implements PoolPlan {
    private final CpuBackend be;
    private final PoolDesc d;
    private final int planes, h, w, oh, ow;
    private final int[] r0, r1, c0, c1; // window rows [r0[i], r1[i]) and columns [c0[j], c1[j]) inside x
    private final float[] inverseCount;  // 1 / cells of each output's clipped window (average)

    CpuPool(CpuBackend be, PoolDesc d) {
        this.be = be;
        this.d = d;
        planes = d.x().n() * d.x().c();
        h = d.x().h();
        w = d.x().w();
        oh = d.outH();
        ow = d.outW();
        r0 = new int[oh];
        r1 = new int[oh];
        c0 = new int[ow];
        c1 = new int[ow];
        for (int i = 0; i < oh; i++) {
            int a = i * d.strideH() - d.padTop();
            r0[i] = Math.max(a, 0);
            r1[i] = Math.min(a + d.kh(), h);
        }
        for (int j = 0; j < ow; j++) {
            int b = j * d.strideW() - d.padLeft();
            c0[j] = Math.max(b, 0);
            c1[j] = Math.min(b + d.kw(), w);
        }
        inverseCount = new float[oh * ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) inverseCount[i * ow + j] = 1f / ((r1[i] - r0[i]) * (c1[j] - c0[j]));
    }

    @Override public PoolDesc desc() { return d; }

    /**
     * Separably: for each output row, the window's rows are first reduced column by column into a row
     * of w values (a vector-wide loop), then each output takes the max (or sum) of its columns of that row:
     * kh + kw steps per output instead of kh * kw. Max is exact whatever the order; the average's sum is
     * taken by columns, then across them.
     */
    @Override public void forward(Tensor xt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        boolean max = d.mode() == PoolMode.MAX;
        be.par().forEach(planes, (pl, wk) -> {
            float[] col = be.scratch(wk, 0, w);
            int xo = pl * h * w, yo = pl * oh * ow;
            for (int i = 0; i < oh; i++) {
                int ra = r0[i], rb = r1[i], yr = yo + i * ow;
                // col[b] = max (or sum) over the window's rows of x[row][b]
                System.arraycopy(x, xo + ra * w, col, 0, w);
                for (int a = ra + 1; a < rb; a++) {
                    int row = xo + a * w;
                    if (max) for (int b = 0; b < w; b++) col[b] = Math.max(col[b], x[row + b]);
                    else for (int b = 0; b < w; b++) col[b] += x[row + b];
                }
                for (int j = 0; j < ow; j++) {
                    int ca = c0[j], cb = c1[j];
                    float v = col[ca];
                    if (max) for (int b = ca + 1; b < cb; b++) v = Math.max(v, col[b]);
                    else {
                        for (int b = ca + 1; b < cb; b++) v += col[b];
                        v *= inverseCount[i * ow + j];
                    }
                    y[yr + j] = v;
                }
            }
        });
    }

    @Override public void backward(Tensor xt, Tensor yt, Tensor dyt, Grad dx) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt), dy = CpuBackend.data(dyt), g = CpuBackend.data(dx.t());
        boolean max = d.mode() == PoolMode.MAX;
        boolean acc = dx.accumulate();
        be.par().forEach(planes, (pl, wk) -> {
            int xo = pl * h * w, yo = pl * oh * ow;
            if (!acc) java.util.Arrays.fill(g, xo, xo + h * w, 0f);
            for (int i = 0; i < oh; i++) {
                int ra = r0[i], rb = r1[i], yr = yo + i * ow;
                for (int j = 0; j < ow; j++) {
                    int ca = c0[j], cb = c1[j];
                    float gy = dy[yr + j];
                    if (max) {
                        // the first cell (row-major) holding the window's maximum, which forward wrote to y
                        float m = y[yr + j];
                        int arg = -1;
                        for (int a = ra; a < rb && arg < 0; a++) {
                            int row = xo + a * w;
                            for (int b = ca; b < cb; b++) {
                                if (x[row + b] == m) {
                                    arg = row + b;
                                    break;
                                }
                            }
                        }
                        g[arg < 0 ? xo + ra * w + ca : arg] += gy; // no match only when the window holds NaN
                    } else {
                        float share = gy * inverseCount[i * ow + j];
                        for (int a = ra; a < rb; a++) {
                            int row = xo + a * w;
                            for (int b = ca; b < cb; b++) g[row + b] += share;
                        }
                    }
                }
            }
        });
    }
}
