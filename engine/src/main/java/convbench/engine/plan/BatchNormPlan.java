package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Tensor;

/**
 * Batch norm kernels. gamma is null when the desc has no scale. Tensors of shape (C):
 * gamma, beta, moving mean / variance, saved mean and saved inverse standard deviation.
 */
public interface BatchNormPlan extends AutoCloseable {
    BatchNormDesc desc();

    /**
     * Training: mean and biased variance over (N, H, W); y = gamma * (x - mean) / sqrt(var + eps) + beta.
     * Moving statistics: m = (1 - f) * m + f * mean, v = (1 - f) * v + f * var * M / (M - 1) with
     * M = N * H * W (the unbiased variance, as cuDNN and TF's fused batch norm do), f = averageFactor
     * = 1 - decay. saveMean and saveInvStd (1 / sqrt(var + eps)) are kept for backward.
     */
    void forwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
                         Tensor movingMean, Tensor movingVar, double averageFactor,
                         Tensor saveMean, Tensor saveInvStd);

    /** Inference: y = gamma * (x - movingMean) / sqrt(movingVar + eps) + beta. */
    void forwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor movingMean, Tensor movingVar, Tensor y);

    /**
     * Training backward, with xhat = (x - mean) * invStd and M = N * H * W:
     * dbeta = sum dy, dgamma = sum dy * xhat,
     * dx = gamma * invStd / M * (M * dy - dbeta - xhat * dgamma).
     * dgamma is null without scale.
     */
    void backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                  Grad dx, Grad dgamma, Grad dbeta);

    /**
     * Inference backward (statistics are constants): dx = dy * gamma / sqrt(var + eps),
     * dgamma = sum dy * (x - mean) / sqrt(var + eps), dbeta = sum dy.
     */
    void backwardInference(Tensor x, Tensor dy, Tensor gamma, Tensor movingMean, Tensor movingVar,
                           Grad dx, Grad dgamma, Grad dbeta);

    @Override default void close() {}
}
