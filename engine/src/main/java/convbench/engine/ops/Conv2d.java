package convbench.engine.ops;

import convbench.engine.Backend;
import convbench.engine.Model;
import convbench.engine.OpException;
import convbench.engine.Padding;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.ConvPlan;

/**
 * 2-D convolution with optional bias and fused activation, TF semantics:
 * z[n,k,i,j] = b[k] + sum_{c,p,q} x[n, c, i*sh + p - padTop, j*sw + q - padLeft] * w[k,c,p,q], y = act(z).
 * Any kernel height x width (1x7, 7x1, 11x11), SAME (asymmetric when the total pad is odd), VALID or explicit pads.
 *
 * <p>Forward and backward are {@link WeightedOp}'s, on the plan {@link #makePlan} makes. Forward: y (N, K, OH, OW)
 * = act(z), overwritten. Backward: with y = act(z), dz = dy * act'(z), computed in place in dy (its only reader is
 * this op); dx = conv_transpose(dz, w) (full correlation with the flipped kernel, strides inserting zeros),
 * dw[k,c,p,q] = sum_{n,i,j} dz[n,k,i,j] * x[n, c, i*sh + p - pt, j*sw + q - pl], db[k] = sum_{n,i,j} dz[n,k,i,j].
 * dx accumulates when x already has a gradient from another reader; dw and db overwrite on the first use of the step.
 */
public final class Conv2d extends WeightedOp<ConvPlan> {
    private final int inChannels, filters, kh, kw, sh, sw;
    private final Padding padding;
    private final Param w; // (K, C, kh, kw)
    private final Param b; // (K) or null

    public Conv2d(Model m, String name, int inChannels, int filters, int kh, int kw, int sh, int sw,
                  Padding padding, boolean bias, Activation act, Init wInit, Init bInit) {
        super(name, act);
        if (inChannels <= 0 || filters <= 0)
            throw new OpException("conv2d", name, "channels must be positive, got " + inChannels + " -> " + filters);
        if (kh <= 0 || kw <= 0) throw new OpException("conv2d", name, "kernel " + kh + "x" + kw + " must be positive");
        if (sh <= 0 || sw <= 0) throw new OpException("conv2d", name, "stride " + sh + "x" + sw + " must be positive");
        this.inChannels = inChannels;
        this.filters = filters;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.padding = padding;
        this.w = addParam(m.param(name + "/weights", Shape.nchw(filters, inChannels, kh, kw), wInit, true));
        this.b = bias ? addParam(m.param(name + "/biases", Shape.of(filters), bInit, true)) : null;
    }

    public Param weights() { return w; }

    public Param biases() { return b; }

    @Override public String describe() {
        return "conv " + Geometry.window(kh, kw, sh, sw) + " " + padding + (b != null ? " +b" : "")
                + (act == Activation.RELU ? " relu" : "");
    }

    /** The plan for an input x (N, C, H, W): the pads its padding gives, after checking x's channels against w. */
    @Override ConvPlan makePlan(Backend be, Shape x) {
        int[] p = Geometry.pads("conv2d", name(), x, kh, kw, sh, sw, padding);
        if (x.c() != inChannels)
            throw new OpException("conv2d", name(), "input has " + x.c() + " channels, weights " + w.shape() + " expect " + inChannels);
        return be.conv(new ConvDesc(x, filters, kh, kw, sh, sw, p[0], p[1], p[2], p[3], b != null, act));
    }

    /**
     * The reference arithmetic of conv2d: plain float64 loops that the reference backend runs and
     * every fast kernel (CPU, CUDA) is tested against. Cross-correlation, as TF and cuDNN compute it;
     * pads may differ before and after (TF SAME with an odd total pads one more after).
     */
    public static final class Reference {
        private Reference() {}

        /**
         * y[n,k,i,j] = b[k] + sum_{c,p,q} x[n, c, i*sh + p - pt, j*sw + q - pl] * w[k,c,p,q], reading 0 outside x.
         * x (N, C, H, W), w (K, C, kh, kw), b (K) or null, y (N, K, OH, OW), overwritten. The fused
         * activation is applied after, by {@link Relu.Reference#forward}.
         */
        public static void forward(ConvDesc d, double[] x, double[] w, double[] b, double[] y) {
            int n = d.x().n(), c = d.x().c(), h = d.x().h(), wd = d.x().w();
            int k = d.filters(), oh = d.outH(), ow = d.outW();
            for (int img = 0; img < n; img++)
                for (int f = 0; f < k; f++) {
                    int yo = (img * k + f) * oh * ow;
                    java.util.Arrays.fill(y, yo, yo + oh * ow, b == null ? 0 : b[f]);
                    for (int ci = 0; ci < c; ci++)
                        for (int p = 0; p < d.kh(); p++)
                            for (int q = 0; q < d.kw(); q++) {
                                double wv = w[((f * c + ci) * d.kh() + p) * d.kw() + q];
                                for (int i = 0; i < oh; i++) {
                                    int ih = i * d.strideH() + p - d.padTop();
                                    if (ih < 0 || ih >= h) continue;
                                    int xo = ((img * c + ci) * h + ih) * wd;
                                    for (int j = 0; j < ow; j++) {
                                        int iw = j * d.strideW() + q - d.padLeft();
                                        if (iw >= 0 && iw < wd) y[yo + i * ow + j] += wv * x[xo + iw];
                                    }
                                }
                            }
                }
        }

        /**
         * From dz (N, K, OH, OW), the gradient at the convolution's output before the activation:
         * dx[n, c, i*sh + p - pt, j*sw + q - pl] += w[k,c,p,q] * dz[n,k,i,j]   (the transposed convolution),
         * dw[k,c,p,q] += sum_{n,i,j} dz[n,k,i,j] * x[n, c, i*sh + p - pt, j*sw + q - pl],
         * db[k] += sum_{n,i,j} dz[n,k,i,j].
         * Accumulates into dx (N, C, H, W), dw (K, C, kh, kw) and db (K); any may be null (not wanted).
         */
        public static void backward(ConvDesc d, double[] x, double[] w, double[] dz, double[] dx, double[] dw, double[] db) {
            int n = d.x().n(), c = d.x().c(), h = d.x().h(), wd = d.x().w();
            int k = d.filters(), oh = d.outH(), ow = d.outW();
            for (int img = 0; img < n; img++)
                for (int f = 0; f < k; f++) {
                    int zo = (img * k + f) * oh * ow;
                    if (db != null) for (int o = 0; o < oh * ow; o++) db[f] += dz[zo + o];
                    for (int ci = 0; ci < c; ci++)
                        for (int p = 0; p < d.kh(); p++)
                            for (int q = 0; q < d.kw(); q++) {
                                int wi = ((f * c + ci) * d.kh() + p) * d.kw() + q;
                                double wv = w[wi], dwSum = 0;
                                for (int i = 0; i < oh; i++) {
                                    int ih = i * d.strideH() + p - d.padTop();
                                    if (ih < 0 || ih >= h) continue;
                                    int xo = ((img * c + ci) * h + ih) * wd;
                                    for (int j = 0; j < ow; j++) {
                                        int iw = j * d.strideW() + q - d.padLeft();
                                        if (iw < 0 || iw >= wd) continue;
                                        double g = dz[zo + i * ow + j];
                                        if (dx != null) dx[xo + iw] += wv * g;
                                        dwSum += g * x[xo + iw];
                                    }
                                }
                                if (dw != null) dw[wi] += dwSum;
                            }
                }
        }
    }
}
