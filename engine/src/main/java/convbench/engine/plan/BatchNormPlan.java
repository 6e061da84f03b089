package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

/**
 * Batch norm kernels. gamma is null when the desc has no scale. Tensors of shape (C):
 * gamma, beta, moving mean / variance, saved mean and saved inverse standard deviation.
 */
public interface BatchNormPlan extends Plan {
    BatchNormDesc desc();

    /**
     * Training forward with the batch statistics; updates the moving statistics (f = averageFactor =
     * 1 - decay) and keeps saveMean and saveInvStd for backward. The arithmetic:
     * {@link convbench.engine.ops.BatchNorm.Reference#forwardTraining}.
     */
    void forwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
                         Tensor movingMean, Tensor movingVar, double averageFactor,
                         Tensor saveMean, Tensor saveInvStd);

    /** Inference forward on the moving statistics: {@link convbench.engine.ops.BatchNorm.Reference#forwardInference}. */
    void forwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor movingMean, Tensor movingVar, Tensor y);

    /**
     * Training backward (the batch statistics depend on x): {@link convbench.engine.ops.BatchNorm.Reference#backward}.
     * Each gradient overwrites or accumulates as its Grad says; any may be null (dgamma is, without scale).
     */
    void backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                  Grad dx, Grad dgamma, Grad dbeta);

    /** Inference backward (the statistics are constants): {@link convbench.engine.ops.BatchNorm.Reference#backwardInference}. */
    void backwardInference(Tensor x, Tensor dy, Tensor gamma, Tensor movingMean, Tensor movingVar,
                           Grad dx, Grad dgamma, Grad dbeta);
}
