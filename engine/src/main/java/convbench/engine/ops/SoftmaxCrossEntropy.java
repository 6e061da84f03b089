package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.LossPlan;

/**
 * Softmax cross-entropy of (N, C) logits against (N, C) label distributions (one-hot or soft),
 * averaged over the batch: loss = -(1/N) sum_n sum_c labels[n,c] * log softmax(logits)[n,c].
 */
public final class SoftmaxCrossEntropy extends Layer {
    private final PlanCache<Shape, LossPlan> plan = planCache();

    public SoftmaxCrossEntropy(String name) { super(name); }

    @Override public String describe() { return "softmax cross-entropy"; }

    public Tensor forward(Ctx ctx, Tensor logits, Tensor labels) {
        ctx.begin(this);
        if (logits.shape().rank() != 2)
            throw new OpException("softmax_cross_entropy", name(), "expects (N, C) logits, got " + logits.shape());
        if (!labels.shape().equals(logits.shape()))
            throw new OpException("softmax_cross_entropy", name(), "labels " + labels.shape() + " do not match logits " + logits.shape());
        LossPlan p = plan.get(logits.shape(), ctx.backend()::loss);
        Tensor probs = ctx.alloc(logits.shape());
        Tensor loss = ctx.alloc(Shape.of(1));
        p.softmaxCrossEntropy(logits, labels, probs, loss);
        return ctx.end(this, loss, () -> backward(ctx.tape(), p, logits, labels, probs, loss), logits);
    }

    /** dlogits = dloss * (softmax(logits) - labels) / N. Labels get no gradient. */
    private void backward(Tape tape, LossPlan p, Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        var dx = tape.gradFor(logits);
        if (dx != null) p.softmaxCrossEntropyBackward(probs, labels, Losses.dloss(tape, loss), dx);
    }

    /** The reference arithmetic of softmax cross-entropy (float64 plain loops); logits, labels, probs (N, C). */
    public static final class Reference {
        private Reference() {}

        /**
         * probs = softmax(logits) per row (overwritten);
         * loss = -(1/N) sum_n sum_c labels[n,c] * log probs[n,c], with log probs = x - max - log sum exp(x - max).
         */
        public static double forward(int n, int c, double[] logits, double[] labels, double[] probs) {
            double total = 0;
            for (int r = 0; r < n; r++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < c; j++) max = Math.max(max, logits[r * c + j]);
                for (int j = 0; j < c; j++) sum += Math.exp(logits[r * c + j] - max);
                for (int j = 0; j < c; j++) {
                    double logp = logits[r * c + j] - max - Math.log(sum);
                    probs[r * c + j] = Math.exp(logp);
                    total -= labels[r * c + j] * logp;
                }
            }
            return total / n;
        }

        /** dlogits += dloss * (probs - labels) / N. Accumulates. */
        public static void backward(int n, int c, double[] probs, double[] labels, double dloss, double[] dlogits) {
            for (int i = 0; i < n * c; i++) dlogits[i] += dloss * (probs[i] - labels[i]) / n;
        }
    }
}
