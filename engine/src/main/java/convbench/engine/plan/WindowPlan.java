package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

/** Pad, crop and strided subsample: see {@link WindowDesc}. */
public interface WindowPlan extends Plan {
    WindowDesc desc();

    void forward(Tensor x, Tensor y);

    /** {@link convbench.engine.ops.Pad.Reference#backward}; overwriting sets every other cell of dx to 0. */
    void backward(Tensor dy, Grad dx);
}
