package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Shape;
import convbench.engine.Tensor;

/** Elementwise arithmetic over tensors of one shape. */
public interface ElementwisePlan extends AutoCloseable {
    Shape shape();

    /** y = a + b (the residual join). */
    void add(Tensor a, Tensor b, Tensor y);

    /** dst = alpha * src, or dst += alpha * src when dst accumulates. */
    void scaleInto(float alpha, Tensor src, Grad dst);

    @Override default void close() {}
}
