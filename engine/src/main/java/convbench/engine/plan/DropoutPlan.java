package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/** Inverted dropout: each element kept with probability keep and scaled by 1 / keep, else 0. */
public interface DropoutPlan extends Plan {
    Shape shape();

    double keep();

    /** The reserve tensor forward fills (the mask, or cuDNN's reserve space) for backward to read. */
    Shape reserveShape();

    /** y = x * mask with the mask drawn from seed ({@link convbench.engine.ops.Dropout.Reference}); the mask goes into reserve. */
    void forward(Tensor x, Tensor y, Tensor reserve, long seed);

    /** {@link convbench.engine.ops.Dropout.Reference#backward}. */
    void backward(Tensor dy, Tensor reserve, Grad dx);
}
