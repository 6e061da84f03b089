package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.Model;
import convbench.engine.OpException;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.BatchNormPlan;

/**
 * slim.batch_norm over NCHW activations, per channel, with an optional fused activation.
 * Training: mean and biased variance of the batch normalise x; the moving statistics are updated
 * m = decay * m + (1 - decay) * mean, v = decay * v + (1 - decay) * unbiased var (as cuDNN and TF's
 * fused kernel do). Inference: the moving statistics normalise x.
 * y = act(gamma * (x - mean) / sqrt(var + epsilon) + beta); without scale gamma is 1 and not a parameter.
 * Parameters: beta (trainable, 0), gamma (trainable, 1, only with scale), moving_mean (0) and
 * moving_variance (1), the last two not trainable.
 */
public final class BatchNorm extends Layer {
    private final int channels;
    private final boolean scale;
    private final double epsilon, decay;
    private final Activation act;
    private final Param beta, gamma, movingMean, movingVar; // each (C); gamma null without scale
    private final PlanCache<Shape, BatchNormPlan> plan = planCache();
    private final PlanCache<Shape, ActivationPlan> actPlan = planCache(); // act of the output, when there is one

    public BatchNorm(Model m, String name, int channels, boolean scale, double epsilon, double decay, Activation act) {
        super(name);
        if (channels <= 0) throw new OpException("batch_norm", name, "channels must be positive, got " + channels);
        if (epsilon <= 0) throw new OpException("batch_norm", name, "epsilon " + epsilon + " must be positive");
        if (decay < 0 || decay > 1) throw new OpException("batch_norm", name, "decay " + decay + " must be in [0, 1]");
        this.channels = channels;
        this.scale = scale;
        this.epsilon = epsilon;
        this.decay = decay;
        this.act = act;
        Shape c = Shape.of(channels);
        this.beta = addParam(m.param(name + "/beta", c, Init.zeros(), true));
        this.gamma = scale ? addParam(m.param(name + "/gamma", c, Init.constant(1f), true)) : null;
        this.movingMean = addParam(m.param(name + "/moving_mean", c, Init.zeros(), false));
        this.movingVar = addParam(m.param(name + "/moving_variance", c, Init.constant(1f), false));
    }

    public Param beta() { return beta; }

    public Param gamma() { return gamma; }

    public Param movingMean() { return movingMean; }

    public Param movingVariance() { return movingVar; }

    @Override public String describe() {
        return "batch norm" + (scale ? "" : " (no scale)") + (act == Activation.RELU ? " relu" : "");
    }

    private BatchNormPlan plan(Ctx ctx, Shape x) {
        return plan.get(x, s -> {
            Geometry.requireRank4("batch_norm", name(), s);
            if (s.c() != channels)
                throw new OpException("batch_norm", name(), "input has " + s.c() + " channels, parameters have " + channels + " (x " + s + ")");
            BatchNormPlan made = ctx.backend().batchNorm(new BatchNormDesc(s, epsilon, scale));
            if (act != Activation.NONE) actPlan.get(s, k -> ctx.backend().activation(k, act));
            return made;
        });
    }

    /** The activation after the norm, which the plan applies (in one sweep with the norm where it can), or null. */
    private ActivationPlan actPlan() { return act == Activation.NONE ? null : actPlan.current(); }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        BatchNormPlan p = plan(ctx, x.shape());
        Tensor y = ctx.alloc(x.shape());
        Tensor g = gamma == null ? null : gamma.value();
        if (ctx.training()) {
            if (x.shape().n() * x.shape().h() * x.shape().w() < 2)
                throw new OpException("batch_norm", name(), "training needs more than one value per channel, got x " + x.shape());
            Tensor mean = ctx.alloc(Shape.of(channels)), invStd = ctx.alloc(Shape.of(channels));
            p.forwardTraining(x, g, beta.value(), y, movingMean.value(), movingVar.value(), 1 - decay, mean, invStd, actPlan());
            return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y, mean, invStd), x);
        }
        p.forwardInference(x, g, beta.value(), movingMean.value(), movingVar.value(), y, actPlan());
        return ctx.end(this, y, () -> backwardInference(ctx.tape(), p, x, y), x);
    }

    /**
     * Training, with xhat = (x - mean) * invStd and M = N*H*W values per channel:
     * dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * invStd / M * (M dy - dbeta - xhat * dgamma)
     * (the batch statistics depend on x). dy is first multiplied by act' in place.
     */
    private void backward(Tape tape, BatchNormPlan p, Tensor x, Tensor y, Tensor mean, Tensor invStd) {
        p.backward(x, tape.grad(y), gamma == null ? null : gamma.value(), mean, invStd, actPlan(), y,
                tape.gradFor(x), gamma == null ? null : tape.gradFor(gamma.value()), tape.gradFor(beta.value()));
    }

    /** Inference (statistics constant): dx = dy * gamma / sqrt(v + eps), dgamma = sum dy * xhat, dbeta = sum dy. */
    private void backwardInference(Tape tape, BatchNormPlan p, Tensor x, Tensor y) {
        p.backwardInference(x, tape.grad(y), gamma == null ? null : gamma.value(), movingMean.value(), movingVar.value(), actPlan(), y,
                tape.gradFor(x), gamma == null ? null : tape.gradFor(gamma.value()), tape.gradFor(beta.value()));
    }

    /**
     * The reference arithmetic of batch norm (float64 plain loops). x, y, dx (N, C, H, W); every other
     * array has one value per channel (C); gamma null means no scale (gamma = 1). M = N * H * W values
     * per channel; x[n,c,h,w] is at (n * C + c) * HW + h * W + w.
     */
    public static final class Reference {
        private Reference() {}

        /**
         * Training: mean[c] = sum x / M, var[c] = sum (x - mean)^2 / M (biased), invStd = 1 / sqrt(var + eps),
         * y = gamma * (x - mean) * invStd + beta; moving statistics m = (1 - f) m + f mean and
         * v = (1 - f) v + f var * M / (M - 1) (the unbiased variance, as cuDNN and TF's fused kernel), f = 1 - decay.
         * y, saveMean and saveInvStd are overwritten; movingMean and movingVar updated.
         */
        public static void forwardTraining(BatchNormDesc d, double[] x, double[] gamma, double[] beta, double[] y,
                                           double[] movingMean, double[] movingVar, double f,
                                           double[] saveMean, double[] saveInvStd) {
            int n = d.x().n(), ch = d.x().c(), hw = d.x().h() * d.x().w();
            double m = (double) n * hw;
            for (int c = 0; c < ch; c++) {
                double sum = 0;
                for (int img = 0; img < n; img++)
                    for (int i = 0; i < hw; i++) sum += x[(img * ch + c) * hw + i];
                double mean = sum / m, sq = 0;
                for (int img = 0; img < n; img++)
                    for (int i = 0; i < hw; i++) sq += (x[(img * ch + c) * hw + i] - mean) * (x[(img * ch + c) * hw + i] - mean);
                double var = sq / m, invStd = 1 / Math.sqrt(var + d.epsilon()), g = gamma == null ? 1 : gamma[c];
                for (int img = 0; img < n; img++)
                    for (int i = 0; i < hw; i++) {
                        int at = (img * ch + c) * hw + i;
                        y[at] = g * (x[at] - mean) * invStd + beta[c];
                    }
                movingMean[c] = (1 - f) * movingMean[c] + f * mean;
                movingVar[c] = (1 - f) * movingVar[c] + f * var * m / (m - 1);
                saveMean[c] = mean;
                saveInvStd[c] = invStd;
            }
        }

        /** Inference: y = gamma * (x - movingMean) / sqrt(movingVar + eps) + beta, overwriting y. */
        public static void forwardInference(BatchNormDesc d, double[] x, double[] gamma, double[] beta,
                                            double[] movingMean, double[] movingVar, double[] y) {
            int n = d.x().n(), ch = d.x().c(), hw = d.x().h() * d.x().w();
            for (int c = 0; c < ch; c++) {
                double invStd = 1 / Math.sqrt(movingVar[c] + d.epsilon()), g = gamma == null ? 1 : gamma[c];
                for (int img = 0; img < n; img++)
                    for (int i = 0; i < hw; i++) {
                        int at = (img * ch + c) * hw + i;
                        y[at] = g * (x[at] - movingMean[c]) * invStd + beta[c];
                    }
            }
        }

        /**
         * Training backward (the batch statistics depend on x), with xhat = (x - mean) * invStd:
         * dbeta += sum dy, dgamma += sum dy * xhat,
         * dx += gamma * invStd / M * (M * dy - sum dy - xhat * sum dy * xhat).
         * Accumulates; any of dx, dgamma, dbeta may be null.
         */
        public static void backward(BatchNormDesc d, double[] x, double[] dy, double[] gamma,
                                    double[] saveMean, double[] saveInvStd, double[] dx, double[] dgamma, double[] dbeta) {
            int n = d.x().n(), ch = d.x().c(), hw = d.x().h() * d.x().w();
            double m = (double) n * hw;
            for (int c = 0; c < ch; c++) {
                double sumDy = 0, sumDyXhat = 0;
                for (int img = 0; img < n; img++)
                    for (int i = 0; i < hw; i++) {
                        int at = (img * ch + c) * hw + i;
                        sumDy += dy[at];
                        sumDyXhat += dy[at] * (x[at] - saveMean[c]) * saveInvStd[c];
                    }
                if (dbeta != null) dbeta[c] += sumDy;
                if (dgamma != null) dgamma[c] += sumDyXhat;
                if (dx == null) continue;
                double g = gamma == null ? 1 : gamma[c];
                for (int img = 0; img < n; img++)
                    for (int i = 0; i < hw; i++) {
                        int at = (img * ch + c) * hw + i;
                        double xhat = (x[at] - saveMean[c]) * saveInvStd[c];
                        dx[at] += g * saveInvStd[c] / m * (m * dy[at] - sumDy - xhat * sumDyXhat);
                    }
            }
        }

        /**
         * Inference backward (the moving statistics are constants), with invStd = 1 / sqrt(movingVar + eps):
         * dx += dy * gamma * invStd, dgamma += sum dy * (x - movingMean) * invStd, dbeta += sum dy. Accumulates.
         */
        public static void backwardInference(BatchNormDesc d, double[] x, double[] dy, double[] gamma,
                                             double[] movingMean, double[] movingVar,
                                             double[] dx, double[] dgamma, double[] dbeta) {
            int n = d.x().n(), ch = d.x().c(), hw = d.x().h() * d.x().w();
            for (int c = 0; c < ch; c++) {
                double invStd = 1 / Math.sqrt(movingVar[c] + d.epsilon()), g = gamma == null ? 1 : gamma[c];
                for (int img = 0; img < n; img++)
                    for (int i = 0; i < hw; i++) {
                        int at = (img * ch + c) * hw + i;
                        if (dx != null) dx[at] += dy[at] * g * invStd;
                        if (dgamma != null) dgamma[c] += dy[at] * (x[at] - movingMean[c]) * invStd;
                        if (dbeta != null) dbeta[c] += dy[at];
                    }
            }
        }
    }
}
