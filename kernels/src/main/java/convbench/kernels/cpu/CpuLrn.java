package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
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

    /** out[q] = s[q]^-beta for q < n, with beta = 0.75 (both seeds) and 0.5 done with square roots. */
    private void powNegBeta(float[] sArr, int sOff, float[] out, int oOff, int n) {
        // (float) Math.sqrt(float) compiles to a single-precision square root, which the JIT vectorises.
        if (beta == 0.75f) {
            for (int q = 0; q < n; q++) {
                float v = sArr[sOff + q];
                out[oOff + q] = 1f / (float) Math.sqrt(v * (float) Math.sqrt(v));
            }
        } else if (beta == 0.5f) {
            for (int q = 0; q < n; q++) out[oOff + q] = 1f / (float) Math.sqrt(sArr[sOff + q]);
        } else {
            for (int q = 0; q < n; q++) out[oOff + q] = (float) Math.exp(-beta * Math.log(sArr[sOff + q]));
        }
    }

    /**
     * scale[ci][q] = bias + alpha * sum over the window of x^2 for the block's pixels, from the squares
     * sq[ci][q] = x^2 computed once (every loop runs along q, contiguous, so the JIT vectorises it).
     */
    private void scales(float[] x, int base, int q0, int qn, float[] sq, float[] scale) {
        for (int ci = 0; ci < c; ci++) {
            int xo = base + ci * hw + q0, so = ci * BLOCK;
            for (int q = 0; q < qn; q++) {
                float v = x[xo + q];
                sq[so + q] = v * v;
            }
        }
        windowSum(sq, scale, qn);
        for (int ci = 0; ci < c; ci++) {
            int so = ci * BLOCK;
            for (int q = 0; q < qn; q++) scale[so + q] = bias + alpha * scale[so + q];
        }
    }

    /** out[ci][q] = sum of in[cj][q] over cj in [ci - r, ci + r] inside [0, c). */
    private void windowSum(float[] in, float[] out, int qn) {
        for (int ci = 0; ci < c; ci++) {
            int so = ci * BLOCK;
            java.util.Arrays.fill(out, so, so + qn, 0f);
            for (int cj = Math.max(0, ci - r), hi = Math.min(c - 1, ci + r); cj <= hi; cj++) {
                int io = cj * BLOCK;
                for (int q = 0; q < qn; q++) out[so + q] += in[io + q];
            }
        }
    }

    @Override public void forward(Tensor xt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        be.par().forEach(n * blocks, (task, wk) -> {
            int img = task / blocks, q0 = (task % blocks) * BLOCK, qn = Math.min(BLOCK, hw - q0);
            int base = img * c * hw;
            float[] scale = be.scratch(wk, 0, c * BLOCK), sq = be.scratch(wk, 1, c * BLOCK);
            scales(x, base, q0, qn, sq, scale);
            for (int ci = 0; ci < c; ci++) {
                int o = base + ci * hw + q0, so = ci * BLOCK;
                powNegBeta(scale, so, sq, so, qn); // sq now holds s^-beta
                for (int q = 0; q < qn; q++) y[o + q] = x[o + q] * sq[so + q];
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
            float[] scale = be.scratch(wk, 0, c * BLOCK), t = be.scratch(wk, 1, c * BLOCK), sum = be.scratch(wk, 2, c * BLOCK);
            scales(x, base, q0, qn, t, scale);
            // t[c'] = dy[c'] * x[c'] * s[c']^(-beta-1) = dy[c'] * y[c'] / s[c']
            for (int ci = 0; ci < c; ci++) {
                int o = base + ci * hw + q0, so = ci * BLOCK;
                for (int q = 0; q < qn; q++) t[so + q] = dy[o + q] * y[o + q] / scale[so + q];
            }
            windowSum(t, sum, qn);
            for (int ci = 0; ci < c; ci++) {
                int o = base + ci * hw + q0, so = ci * BLOCK;
                powNegBeta(scale, so, t, so, qn); // t now holds s^-beta
                // dx = dy * s^-beta - 2 alpha beta x * sum, written or added
                for (int q = 0; q < qn; q++) g[o + q] = CpuBackend.grad(g[o + q], dy[o + q] * t[so + q] - k2ab * x[o + q] * sum[so + q], acc);
            }
        });
    }
}
