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
    /** No cell lies in two windows (stride at least the window); and every cell lies in one. */
    private final boolean disjoint, covered;

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
        disjoint = d.strideH() >= d.kh() && d.strideW() >= d.kw();
        int cells = 0;
        for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) cells += (r1[i] - r0[i]) * (c1[j] - c0[j]);
        covered = disjoint && cells == h * w;
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
            if (max && disjoint && !acc) {
                // Each cell lies in at most one window: every window's cells are written once, dy on the
                // maximum and 0 elsewhere (no clearing pass, no read of dx); only cells outside every window
                // are cleared first.
                if (!covered) java.util.Arrays.fill(g, xo, xo + h * w, 0f);
                for (int i = 0; i < oh; i++) {
                    int ra = r0[i], rb = r1[i], yr = yo + i * ow;
                    for (int j = 0; j < ow; j++) {
                        int ca = c0[j], cb = c1[j];
                        float gy = dy[yr + j], m = y[yr + j];
                        if (rb - ra == 2 && cb - ca == 2) {
                            // a whole 2x2 window without branches on the data (a searching loop mispredicts about
                            // once per window: 4.5x slower on vgg16's pool1): e_k = cell k is the first maximum, as
                            // argMax finds it; each cell gets dy or +0 through a bit mask (a float select branched: 2.2x slower)
                            int p = xo + ra * w + ca;
                            boolean e1 = x[p + 1] == m & x[p] != m, e2 = x[p + w] == m & !e1 & x[p] != m;
                            boolean e3 = x[p + w + 1] == m & !(e1 | e2) & x[p] != m, e0 = !(e1 | e2 | e3);
                            int bits = Float.floatToRawIntBits(gy);
                            g[p] = Float.intBitsToFloat(bits & -(e0 ? 1 : 0));
                            g[p + 1] = Float.intBitsToFloat(bits & -(e1 ? 1 : 0));
                            g[p + w] = Float.intBitsToFloat(bits & -(e2 ? 1 : 0));
                            g[p + w + 1] = Float.intBitsToFloat(bits & -(e3 ? 1 : 0));
                            continue;
                        }
                        int arg = argMax(x, xo, ra, rb, ca, cb, m);
                        for (int a = ra; a < rb; a++) {
                            int row = xo + a * w;
                            for (int b = ca; b < cb; b++) g[row + b] = row + b == arg ? gy : 0f;
                        }
                    }
                }
                return;
            }
            if (!acc) java.util.Arrays.fill(g, xo, xo + h * w, 0f);
            if (!max) {
                averageBackward(dy, yo, g, xo, be.scratch(wk, 0, w), be.scratch(wk, 1, ow));
                return;
            }
            for (int i = 0; i < oh; i++) {
                int yr = yo + i * ow;
                for (int j = 0; j < ow; j++)
                    g[argMax(x, xo, r0[i], r1[i], c0[j], c1[j], y[yr + j])] += dy[yr + j];
            }
        });
    }

    /**
     * The average's backward, separably as its forward: for each output row i, the shares dy * (1 / count) are
     * first spread over the columns of their windows into one row (share[b] = sum over the windows j holding
     * column b), then that row is added to each of the window's rows of dx (a vector-wide loop): kw + kh steps
     * per output instead of kh * kw scattered adds. Adds into g (the caller cleared it for an overwrite).
     * Inception's 3x3/1 SAME pools (n8), one thread, CPU time: 35x35 c192 14.7 -> 5.2 ms, 17x17 c768
     * 13.3 -> 5.8, 8x8 c1280 4.9 -> 2.8 (the vector-wide spread only from 16 columns: 8x8 ran slower so;
     * bench/results/cpu-kernels-2026-12-01.txt, §22).
     */
    private void averageBackward(float[] dy, int yo, float[] g, int xo, float[] share, float[] v) {
        for (int i = 0; i < oh; i++) {
            int yr = yo + i * ow;
            java.util.Arrays.fill(share, 0, w, 0f);
            if (d.strideW() == 1 && ow >= 16) {
                // stride 1, rows of 16+: window tap t of output j is column j - padLeft + t; kw vector-wide passes
                for (int j = 0, q = i * ow; j < ow; j++) v[j] = dy[yr + j] * inverseCount[q + j];
                for (int t = 0; t < d.kw(); t++) {
                    int off = t - d.padLeft(), from = Math.max(0, -off), to = Math.min(ow, w - off);
                    for (int j = from; j < to; j++) share[j + off] += v[j];
                }
            } else {
                for (int j = 0; j < ow; j++) {
                    float vj = dy[yr + j] * inverseCount[i * ow + j];
                    for (int b = c0[j], cb = c1[j]; b < cb; b++) share[b] += vj;
                }
            }
            for (int a = r0[i]; a < r1[i]; a++) {
                int row = xo + a * w;
                for (int b = 0; b < w; b++) g[row + b] += share[b];
            }
        }
    }

    /**
     * The first cell (row-major) of the window rows [ra, rb) x columns [ca, cb) of the plane at xo that holds m,
     * the window's maximum which forward wrote to y; the window's first cell when none does (only when it holds NaN).
     */
    private int argMax(float[] x, int xo, int ra, int rb, int ca, int cb, float m) {
        for (int a = ra; a < rb; a++) {
            int row = xo + a * w;
            for (int b = ca; b < cb; b++) if (x[row + b] == m) return row + b;
        }
        return xo + ra * w + ca;
    }
}
