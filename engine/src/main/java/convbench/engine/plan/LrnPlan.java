package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

public interface LrnPlan extends Plan {
    LrnDesc desc();

    /** {@link convbench.engine.ops.Lrn.Reference#forward}. */
    void forward(Tensor x, Tensor y);

    /** {@link convbench.engine.ops.Lrn.Reference#backward}; dx overwrites or accumulates as its Grad says. */
    void backward(Tensor x, Tensor y, Tensor dy, Grad dx);
}
