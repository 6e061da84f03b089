package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.OpException;
import convbench.engine.Shape;
import convbench.engine.Tape;
import convbench.engine.Tensor;
import convbench.engine.plan.LossPlan;

/**
 * Softmax cross-entropy of (N, C) logits against (N, C) label distributions (one-hot or soft),
 * averaged over the batch: loss = -(1/N) sum_n sum_c labels[n,c] * log softmax(logits)[n,c].
 */
public final class SoftmaxCrossEntropy extends Layer {
    private LossPlan plan;

    public SoftmaxCrossEntropy(String name) { super(name); }

    @Override public String describe() { return "softmax cross-entropy"; }

    public Tensor forward(Ctx ctx, Tensor logits, Tensor labels) {
        ctx.begin(this);
        if (logits.shape().rank() != 2)
            throw new OpException("softmax_cross_entropy", name(), "expects (N, C) logits, got " + logits.shape());
        if (!labels.shape().equals(logits.shape()))
            throw new OpException("softmax_cross_entropy", name(), "labels " + labels.shape() + " do not match logits " + logits.shape());
        if (plan == null || !plan.shape().equals(logits.shape())) {
            closePlans();
            plan = ctx.backend().loss(logits.shape());
        }
        LossPlan p = plan;
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

    @Override public void closePlans() {
        if (plan != null) plan.close();
        plan = null;
    }
}
