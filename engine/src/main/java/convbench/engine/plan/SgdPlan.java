package convbench.engine.plan;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/** SGD with momentum, as TF's MomentumOptimizer: {@link convbench.engine.ops.SgdMomentum.Reference#update}. */
public interface SgdPlan extends Plan {
    Shape shape();

    void update(Tensor w, Tensor dw, Tensor v, float lr, float momentum);
}
