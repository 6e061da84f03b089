package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/** Elementwise arithmetic over tensors of one shape. */
public interface ElementwisePlan extends Plan {
    Shape shape();

    /** y = a + b, the residual join ({@link convbench.engine.ops.Add.Reference#forward}). */
    void add(Tensor a, Tensor b, Tensor y);

    /** dst (=|+=) alpha * src ({@link convbench.engine.ops.Add.Reference#scaleInto}). */
    void scaleInto(float alpha, Tensor src, Grad dst);
}
