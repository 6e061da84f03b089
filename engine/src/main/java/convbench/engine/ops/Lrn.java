package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.Tensor;
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
    private LrnPlan plan;

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
        if (plan == null || !plan.desc().x().equals(x.shape())) {
            closePlans();
            plan = ctx.backend().lrn(new LrnDesc(x.shape(), depthRadius, bias, alpha, beta));
        }
        LrnPlan p = plan;
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

    @Override public void closePlans() {
        if (plan != null) plan.close();
        plan = null;
    }
}
