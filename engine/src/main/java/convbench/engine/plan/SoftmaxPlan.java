package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Shape;
import convbench.engine.Tensor;

/** Softmax over the channel dimension (per item of (N, C), per pixel of (N, C, H, W)). */
public interface SoftmaxPlan extends AutoCloseable {
    Shape shape();

    /** y[c] = exp(x[c] - max) / sum_c' exp(x[c'] - max). */
    void forward(Tensor x, Tensor y);

    /** dx[c] = y[c] * (dy[c] - sum_c' dy[c'] * y[c']). */
    void backward(Tensor y, Tensor dy, Grad dx);

    @Override default void close() {}
}
