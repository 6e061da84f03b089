package convbench.kernels;

import convbench.engine.Shape;
import convbench.engine.Tensor;
import convbench.engine.plan.SgdPlan;

import static convbench.kernels.CudaKernels.BLOCK;
import static convbench.kernels.CudaKernels.arg;
import static convbench.kernels.CudaKernels.grid;

/** TF's MomentumOptimizer step in one pass of convbench's sgd_momentum kernel: v = momentum v + dw; w -= lr v. */
final class CudaSgd implements SgdPlan {
    private final CudaBackend be;
    private final Shape shape;

    CudaSgd(CudaBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
        be.kernels().require("SGD on " + shape);
        be.kernels().prepare("sgd_momentum");
    }

    @Override public Shape shape() { return shape; }

    @Override public void update(Tensor w, Tensor dw, Tensor v, float lr, float momentum) {
        be.enter();
        long n = shape.size();
        be.kernels().launch("sgd_momentum", grid(n), BLOCK, arg(be.ptr(w)), arg(be.ptr(dw)), arg(be.ptr(v)), arg(n), arg(lr), arg(momentum));
    }
}
