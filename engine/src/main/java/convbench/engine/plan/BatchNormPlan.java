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

    // With the activation that follows the norm (act, of the norm's shape; null for none). Each default is the
    // plain call and act's; a backend may override them to do both in one sweep (the CPU's forwards write
    // max(0, .) as they write y, instead of a second pass over the whole tensor).

    /** {@link #forwardTraining}, then y = act(y). */
    default void forwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor movingMean, Tensor movingVar,
                                 double averageFactor, Tensor saveMean, Tensor saveInvStd, ActivationPlan act) {
        forwardTraining(x, gamma, beta, y, movingMean, movingVar, averageFactor, saveMean, saveInvStd);
        if (act != null) act.forward(y, y);
    }

    /** {@link #forwardInference}, then y = act(y). */
    default void forwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor movingMean, Tensor movingVar, Tensor y, ActivationPlan act) {
        forwardInference(x, gamma, beta, movingMean, movingVar, y);
        if (act != null) act.forward(y, y);
    }

    /**
     * {@link #backward} from dy, the gradient at act's output y: first dy = dy * act'(y), overwriting dy (which
     * has no other reader), then the norm's backward on it.
     */
    default void backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, ActivationPlan act, Tensor y,
                          Grad dx, Grad dgamma, Grad dbeta) {
        if (act != null) act.backward(y, dy, new Grad(dy, false));
        backward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    /** {@link #backwardInference} from dy, the gradient at act's output y, overwriting dy as {@link #backward} does. */
    default void backwardInference(Tensor x, Tensor dy, Tensor gamma, Tensor movingMean, Tensor movingVar, ActivationPlan act, Tensor y,
                                   Grad dx, Grad dgamma, Grad dbeta) {
        if (act != null) act.backward(y, dy, new Grad(dy, false));
        backwardInference(x, dy, gamma, movingMean, movingVar, dx, dgamma, dbeta);
    }
}
