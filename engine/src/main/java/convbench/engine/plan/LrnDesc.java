package convbench.engine.plan;

import convbench.engine.tensor.Shape;

/**
 * Cross-channel local response normalisation with TF's parameters (tf.nn.lrn); the arithmetic is
 * {@link convbench.engine.ops.Lrn.Reference}. cuDNN takes the window n = 2r + 1 and alpha_cudnn = alpha * n.
 */
public record LrnDesc(Shape x, int depthRadius, double bias, double alpha, double beta) {
    public int window() { return 2 * depthRadius + 1; }
}
