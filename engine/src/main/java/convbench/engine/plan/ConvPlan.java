package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Tensor;

/** A convolution made for one {@link ConvDesc}: descriptors and algorithms chosen once, reused every step. */
public interface ConvPlan extends AutoCloseable {
    ConvDesc desc();

    /** y = act(conv(x, w) + b), overwriting y. b is null when the desc has no bias. */
    void forward(Tensor x, Tensor w, Tensor b, Tensor y);

    /**
     * Given dz, the gradient at the convolution's output before the activation:
     * dx = conv_transpose(dz, w), dw = corr(x, dz), db = sum of dz over n, i, j.
     * Any of dx, dw, db may be null (not wanted).
     */
    void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db);

    @Override default void close() {}
}
