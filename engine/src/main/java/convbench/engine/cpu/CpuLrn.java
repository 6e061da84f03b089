package convbench.engine.cpu;

import convbench.engine.Grad;
import convbench.engine.Tensor;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;

/**
 * Cross-channel LRN on the CPU (TF's definition). Work is split by (image, block of pixels);
 * each task sweeps all channels of its pixels so the channel window is local.
 */
final class CpuLrn implements LrnPlan {
    private static final int BLOCK = 256;
    private final CpuBackend be;
    private final LrnDesc d;
    private final int n, c, hw, blocks, r;
    private final float bias, alpha, beta;

    CpuLrn(CpuBackend be, LrnDesc d) {
        this.be = be;
        this.d = d;
        n = d.x().n();
        c = d.x().c();
        hw = d.x().h() * d.x().w();
        blocks = (hw + BLOCK - 1) / BLOCK;
        r = d.depthRadius();
        bias = (float) d.bias();
        alpha = (float) d.alpha();
        beta = (float) d.beta();
    }

    @Override public LrnDesc desc() { return d; }

    /** s^-beta, with beta = 0.75 (both seeds) done as two square roots. */
    private float powNegBeta(float s) {
        if (beta == 0.75f) return (float) (1.0 / Math.sqrt(s * Math.sqrt(s)));
        if (beta == 0.5f) return (float) (1.0 / Math.sqrt(s));
        return (float) Math.exp(-beta * Math.log(s));
    }

    /** scale[ci][q] = bias + alpha * sum over the window of x^2, for the block's pixels. */
    private void scales(float[] x, int base, int q0, int qn, float[] scale) {
        for (int ci = 0; ci < c; ci++) {
            int so = ci * BLOCK;
            for (int q = 0; q < qn; q++) scale[so + q] = 0f;
            int lo = Math.max(0, ci - r), hi = Math.min(c - 1, ci + r);
            for (int cj = lo; cj <= hi; cj++) {
                int xo = base + cj * hw + q0;
                for (int q = 0; q < qn; q++) {
                    float v = x[xo + q];
                    scale[so + q] += v * v;
                }
            }
            for (int q = 0; q < qn; q++) scale[so + q] = bias + alpha * scale[so + q];
        }
    }

    @Override public void forward(Tensor xt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        be.par().forEach(n * blocks, (task, wk) -> {
            int img = task / blocks, q0 = (task % blocks) * BLOCK, qn = Math.min(BLOCK, hw - q0);
            int base = img * c * hw;
            float[] scale = be.scratch(wk, 0, c * BLOCK);
            scales(x, base, q0, qn, scale);
            for (int ci = 0; ci < c; ci++) {
                int o = base + ci * hw + q0, so = ci * BLOCK;
                for (int q = 0; q < qn; q++) y[o + q] = x[o + q] * powNegBeta(scale[so + q]);
            }
        });
    }

    @Override public void backward(Tensor xt, Tensor yt, Tensor dyt, Grad dx) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt), dy = CpuBackend.data(dyt), g = CpuBackend.data(dx.t());
        boolean acc = dx.accumulate();
        float k2ab = 2f * alpha * beta;
        be.par().forEach(n * blocks, (task, wk) -> {
            int img = task / blocks, q0 = (task % blocks) * BLOCK, qn = Math.min(BLOCK, hw - q0);
            int base = img * c * hw;
            float[] scale = be.scratch(wk, 0, c * BLOCK);
            float[] t = be.scratch(wk, 1, c * BLOCK);
            scales(x, base, q0, qn, scale);
            // t[c'] = dy[c'] * x[c'] * s[c']^(-beta-1) = dy[c'] * y[c'] / s[c']
            for (int ci = 0; ci < c; ci++) {
                int o = base + ci * hw + q0, so = ci * BLOCK;
                for (int q = 0; q < qn; q++) t[so + q] = dy[o + q] * y[o + q] / scale[so + q];
            }
            for (int ci = 0; ci < c; ci++) {
                int o = base + ci * hw + q0, so = ci * BLOCK;
                int lo = Math.max(0, ci - r), hi = Math.min(c - 1, ci + r);
                for (int q = 0; q < qn; q++) {
                    float sum = 0f;
                    for (int cj = lo; cj <= hi; cj++) sum += t[cj * BLOCK + q];
                    float v = dy[o + q] * powNegBeta(scale[so + q]) - k2ab * x[o + q] * sum;
                    g[o + q] = acc ? g[o + q] + v : v;
                }
            }
        });
    }
}
