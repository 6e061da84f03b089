package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

public interface PoolPlan extends Plan {
    PoolDesc desc();

    void forward(Tensor x, Tensor y);

    /** Max: dy goes to the (first) maximum of each window; average: dy / count spread over the window's real cells. */
    void backward(Tensor x, Tensor y, Tensor dy, Grad dx);
}
