package convbench.engine.plan;

import convbench.engine.Shape;

/**
 * Cross-channel local response normalisation with TF's parameters (tf.nn.lrn):
 * sqr_sum[c] = sum_{c' = c - r .. c + r} x[c']^2, y = x / (bias + alpha * sqr_sum)^beta.
 * cuDNN takes the window n = 2r + 1 and alpha_cudnn = alpha * n.
 */
public record LrnDesc(Shape x, int depthRadius, double bias, double alpha, double beta) {
    public int window() { return 2 * depthRadius + 1; }
}
