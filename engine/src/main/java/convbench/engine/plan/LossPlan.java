package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Shape;
import convbench.engine.Tensor;

/** Losses reduce to a tensor of shape (1,) that stays on the device until read. */
public interface LossPlan extends AutoCloseable {
    Shape shape();

    /** tf.nn.l2_loss: loss = 0.5 * sum x^2. */
    void l2(Tensor x, Tensor loss);

    /** d(0.5 sum x^2)/dx = x, times the incoming scalar gradient dloss (1 when the loss is the objective). */
    void l2Backward(Tensor x, float dloss, Grad dx);

    /**
     * Softmax cross-entropy over channels of (N, C) logits against (N, C) label distributions,
     * averaged over the batch: loss = -(1/N) sum_n sum_c labels * log softmax(logits). probs receives softmax(logits).
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss);

    /** dlogits = dloss * (probs - labels) / N. */
    void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float dloss, Grad dlogits);

    @Override default void close() {}
}
