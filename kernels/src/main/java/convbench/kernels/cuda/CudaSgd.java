package convbench.kernels.cuda;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.SgdPlan;

import static convbench.kernels.cuda.CudaKernels.BLOCK;
import static convbench.kernels.cuda.CudaKernels.arg;
import static convbench.kernels.cuda.CudaKernels.grid;
import static convbench.kernels.cuda.CudaKernels.ptr;

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
        be.kernels().launch(update(be.ptr(w), be.ptr(dw), be.ptr(v), shape.size(), lr, momentum));
    }

    /** The launch, on device pointers (KernelsOnHostTest runs it on the host). */
    static CudaKernels.Launch update(Object w, Object dw, Object v, long n, float lr, float momentum) {
        return new CudaKernels.Launch("sgd_momentum", grid(n), BLOCK, ptr(w), ptr(dw), ptr(v), arg(n), arg(lr), arg(momentum));
    }
}
