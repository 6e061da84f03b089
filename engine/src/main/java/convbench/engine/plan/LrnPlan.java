package convbench.engine.plan;

import convbench.engine.Grad;
import convbench.engine.Tensor;

public interface LrnPlan extends AutoCloseable {
    LrnDesc desc();

    void forward(Tensor x, Tensor y);

    /**
     * With s = bias + alpha * sqr_sum: dx[c] = dy[c] * s[c]^-beta
     *   - 2 * alpha * beta * x[c] * sum_{c' : |c - c'| <= r} dy[c'] * x[c'] * s[c']^(-beta - 1).
     */
    void backward(Tensor x, Tensor y, Tensor dy, Grad dx);

    @Override default void close() {}
}
