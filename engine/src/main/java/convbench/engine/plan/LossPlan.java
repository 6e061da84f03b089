package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/** Losses reduce to a tensor of shape (1,) that stays on the device until read. */
public interface LossPlan extends Plan {
    Shape shape();

    /** tf.nn.l2_loss: {@link convbench.engine.ops.L2Loss.Reference#forward}. */
    void l2(Tensor x, Tensor loss);

    /** {@link convbench.engine.ops.L2Loss.Reference#backward}; dloss is 1 when the loss is the objective. */
    void l2Backward(Tensor x, float dloss, Grad dx);

    /**
     * Softmax cross-entropy of (N, C) logits against (N, C) label distributions, averaged over the batch;
     * probs receives softmax(logits): {@link convbench.engine.ops.SoftmaxCrossEntropy.Reference#forward}.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss);

    /** {@link convbench.engine.ops.SoftmaxCrossEntropy.Reference#backward}. */
    void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float dloss, Grad dlogits);
}
