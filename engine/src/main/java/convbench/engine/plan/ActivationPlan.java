package convbench.engine.plan;

import convbench.engine.spec.Activation;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/** An elementwise activation over tensors of one shape. */
public interface ActivationPlan extends Plan {
    Shape shape();

    Activation kind();

    /** y = f(x); y may be x (in place). */
    void forward(Tensor x, Tensor y);

    /**
     * dx = dy * f'(x), computed from the output: for relu f'(x) = [y > 0].
     * dx.t() may be dy itself (in place, overwriting), which the engine does when dy has no other reader.
     */
    void backward(Tensor y, Tensor dy, Grad dx);
}
