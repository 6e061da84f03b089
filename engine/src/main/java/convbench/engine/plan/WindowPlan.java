package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Tensor;

/** Pad, crop and strided subsample: see {@link WindowDesc}. */
public interface WindowPlan extends AutoCloseable {
    WindowDesc desc();

    void forward(Tensor x, Tensor y);

    /** dx[n, c, i * sh - pt, j * sw - pl] (=|+=) dy[n, c, i, j]; every other cell of dx gets 0 (or is left as is when accumulating). */
    void backward(Tensor dy, Grad dx);

    @Override default void close() {}
}
