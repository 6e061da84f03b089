package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;

/**
 * tf.nn.lrn(x, depth_radius, bias, alpha, beta) across channels:
 * sqr_sum[c] = sum_{c'=c-r}^{c+r} x[c']^2, y[c] = x[c] / (bias + alpha * sqr_sum[c])^beta.
 * Note TF's alpha multiplies the plain sum (cuDNN's divides by the window n = 2r + 1).
 * cuDNN limits: window 1..16 (radius 0..7), bias >= 1e-5, beta >= 0.01; refused here too, so a
 * net that runs on the CPU also runs on the GPU.
 */
public final class Lrn extends Layer {
    public static final int MAX_WINDOW = 16;

    private final int depthRadius;
    private final double bias, alpha, beta;
    private final PlanCache<Shape, LrnPlan> plan = planCache();

    public Lrn(String name, int depthRadius, double bias, double alpha, double beta) {
        super(name);
        int n = 2 * depthRadius + 1;
        if (depthRadius < 0 || n > MAX_WINDOW)
            throw new OpException("lrn", name, "depth_radius " + depthRadius + " gives a window of " + n
                    + " channels; cuDNN takes windows of 1 to " + MAX_WINDOW + " (depth_radius 0 to 7)");
        if (bias < 1e-5) throw new OpException("lrn", name, "bias " + bias + " is below cuDNN's minimum 1e-5");
        if (beta < 0.01) throw new OpException("lrn", name, "beta " + beta + " is below cuDNN's minimum 0.01");
        if (alpha < 0) throw new OpException("lrn", name, "alpha " + alpha + " must not be negative");
        this.depthRadius = depthRadius;
        this.bias = bias;
        this.alpha = alpha;
        this.beta = beta;
    }

    @Override public String describe() {
        return "lrn r=" + depthRadius + " bias=" + short4(bias) + " alpha=" + short4(alpha) + " beta=" + short4(beta);
    }

    /** Four significant digits, no exponent, no trailing zeros: 1.1111e-4 as 0.0001111, 1.0 as 1. */
    private static String short4(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        Geometry.requireRank4("lrn", name(), x.shape());
        LrnPlan p = plan.get(x.shape(), s -> ctx.backend().lrn(new LrnDesc(s, depthRadius, bias, alpha, beta)));
        Tensor y = ctx.alloc(x.shape());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /**
     * With s[c] = bias + alpha * sqr_sum[c]:
     * dx[c] = dy[c] * s[c]^-beta - 2 alpha beta x[c] * sum_{|c'-c| <= r} dy[c'] x[c'] s[c']^(-beta-1).
     */
    private void backward(Tape tape, LrnPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(x, y, tape.grad(y), dx);
    }

    /**
     * The reference arithmetic of LRN (float64 plain loops), TF's definition. x, y (N, C, H, W);
     * s[c] = bias + alpha * sum_{c'=c-r}^{c+r} x[c']^2 at each (n, h, w), channels outside [0, C) left out.
     */
    public static final class Reference {
        private Reference() {}

        /** s at channel c of the pixel whose channel-0 element is at base (stride hw between channels). */
        private static double s(LrnDesc d, double[] x, int base, int hw, int c) {
            double sum = 0;
            for (int cj = Math.max(0, c - d.depthRadius()); cj <= Math.min(d.x().c() - 1, c + d.depthRadius()); cj++)
                sum += x[base + cj * hw] * x[base + cj * hw];
            return d.bias() + d.alpha() * sum;
        }

        /** y[c] = x[c] * s[c]^-beta, overwriting y. */
        public static void forward(LrnDesc d, double[] x, double[] y) {
            int ch = d.x().c(), hw = d.x().h() * d.x().w();
            for (int img = 0; img < d.x().n(); img++)
                for (int pix = 0; pix < hw; pix++) {
                    int base = img * ch * hw + pix;
                    for (int c = 0; c < ch; c++) y[base + c * hw] = x[base + c * hw] * Math.pow(s(d, x, base, hw, c), -d.beta());
                }
        }

        /**
         * dx[c] += dy[c] * s[c]^-beta                                          (the direct term)
         *        - 2 alpha beta x[c] * sum_{|c'-c| <= r} dy[c'] x[c'] s[c']^(-beta-1)   (through the neighbours' s).
         * Accumulates into dx.
         */
        public static void backward(LrnDesc d, double[] x, double[] dy, double[] dx) {
            int ch = d.x().c(), hw = d.x().h() * d.x().w(), r = d.depthRadius();
            double beta = d.beta(), alpha = d.alpha();
            for (int img = 0; img < d.x().n(); img++)
                for (int pix = 0; pix < hw; pix++) {
                    int base = img * ch * hw + pix;
                    for (int c = 0; c < ch; c++) {
                        double direct = dy[base + c * hw] * Math.pow(s(d, x, base, hw, c), -beta);
                        double neighbours = 0;
                        for (int cj = Math.max(0, c - r); cj <= Math.min(ch - 1, c + r); cj++)
                            neighbours += dy[base + cj * hw] * x[base + cj * hw] * Math.pow(s(d, x, base, hw, cj), -beta - 1);
                        dx[base + c * hw] += direct - 2 * alpha * beta * x[base + c * hw] * neighbours;
                    }
                }
        }
    }
}
