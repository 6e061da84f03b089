package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Shape;
import convbench.engine.Tensor;

/** Softmax over the channel dimension (per item of (N, C), per pixel of (N, C, H, W)). */
public interface SoftmaxPlan extends AutoCloseable {
    Shape shape();

    /** {@link convbench.engine.ops.Softmax.Reference#forward}. */
    void forward(Tensor x, Tensor y);

    /** From the output y: {@link convbench.engine.ops.Softmax.Reference#backward}. */
    void backward(Tensor y, Tensor dy, Grad dx);

    @Override default void close() {}
}
