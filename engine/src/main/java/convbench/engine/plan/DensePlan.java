package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

/** A fully connected layer's matrix products (cuBLAS sgemm on the GPU). */
public interface DensePlan extends WeightedPlan {
    DenseDesc desc();

    /** y = act(x . w^T + b), overwriting y ({@link convbench.engine.ops.Dense.Reference#forward}); b may be null. */
    void forward(Tensor x, Tensor w, Tensor b, Tensor y);

    /** From dz, the gradient before the activation: {@link convbench.engine.ops.Dense.Reference#backward}. Nulls are skipped. */
    void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db);
}
