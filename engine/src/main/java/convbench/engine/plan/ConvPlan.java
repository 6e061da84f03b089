package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

/** A convolution made for one {@link ConvDesc}: descriptors and algorithms chosen once, reused every step. */
public interface ConvPlan extends WeightedPlan {
    ConvDesc desc();

    /** y = act(conv(x, w) + b), overwriting y ({@link convbench.engine.ops.Conv2d.Reference#forward}); b is null without bias. */
    void forward(Tensor x, Tensor w, Tensor b, Tensor y);

    /**
     * From dz, the gradient at the convolution's output before the activation:
     * {@link convbench.engine.ops.Conv2d.Reference#backward}. Each of dx, dw, db overwrites or accumulates
     * as its Grad says, and may be null (not wanted).
     */
    void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db);
}
