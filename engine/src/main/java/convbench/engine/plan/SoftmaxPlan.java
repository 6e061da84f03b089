package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/** Softmax over the channel dimension (per item of (N, C), per pixel of (N, C, H, W)). */
public interface SoftmaxPlan extends Plan {
    Shape shape();

    /** {@link convbench.engine.ops.Softmax.Reference#forward}. */
    void forward(Tensor x, Tensor y);

    /** From the output y: {@link convbench.engine.ops.Softmax.Reference#backward}. */
    void backward(Tensor y, Tensor dy, Grad dx);
}
