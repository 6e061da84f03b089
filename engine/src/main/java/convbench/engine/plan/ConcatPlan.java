package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Shape;
import convbench.engine.Tensor;

import java.util.List;

/** Concatenation along channels of NCHW tensors that agree in N, H, W, and its inverse, split. */
public interface ConcatPlan extends AutoCloseable {
    List<Shape> parts();

    Shape y();

    /** y[:, offset_i : offset_i + C_i] = xs[i]. */
    void concat(List<Tensor> xs, Tensor y);

    /** dxs[i] (=|+=) dy[:, offset_i : offset_i + C_i]; null entries are skipped. */
    void split(Tensor dy, List<Grad> dxs);

    @Override default void close() {}
}
