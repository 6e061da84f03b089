package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

/**
 * What {@link ConvPlan} and {@link DensePlan} share: y = act(x (*) w + b) forward, and from dz, the
 * gradient before the activation, dx, dw and db backward ({@link convbench.engine.ops.WeightedOp} runs them).
 */
public interface WeightedPlan extends Plan {
    WeightedDesc desc();

    /** y = act(x (*) w + b), overwriting y; b is null without bias. */
    void forward(Tensor x, Tensor w, Tensor b, Tensor y);

    /**
     * From dz, the gradient at the output before the activation: dx, dw, db. Each overwrites or accumulates
     * as its Grad says, and may be null (not wanted).
     */
    void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db);
}
