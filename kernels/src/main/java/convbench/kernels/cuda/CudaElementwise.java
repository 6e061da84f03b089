package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.ElementwisePlan;
import jcuda.jcudnn.cudnnOpTensorDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.jcudnn.JCudnn.cudnnCreateOpTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyOpTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnOpTensor;
import static jcuda.jcudnn.JCudnn.cudnnScaleTensor;
import static jcuda.jcudnn.JCudnn.cudnnSetOpTensorDescriptor;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN;
import static jcuda.jcudnn.cudnnOpTensorOp.CUDNN_OP_TENSOR_ADD;

/**
 * Elementwise sums with cuDNN: y = a + b with cudnnOpTensor (ADD, beta 0), or cudnnAddTensor onto the
 * operand y already is; dst (=|+=) alpha src with cudnnAddTensor (C = alpha A + beta C, beta 0 or 1).
 */
final class CudaElementwise implements ElementwisePlan {
    private final CudaBackend be;
    private final Shape shape;
    private final String what;
    private final cudnnTensorDescriptor desc;
    private final cudnnOpTensorDescriptor add = new cudnnOpTensorDescriptor();
    private boolean closed;

    CudaElementwise(CudaBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
        this.what = "add " + shape;
        desc = Cuda.tensor(shape);
        Cuda.dnn(cudnnCreateOpTensorDescriptor(add), "cudnnCreateOpTensorDescriptor", what);
        Cuda.dnn(cudnnSetOpTensorDescriptor(add, CUDNN_OP_TENSOR_ADD, CUDNN_DATA_FLOAT, CUDNN_NOT_PROPAGATE_NAN), "cudnnSetOpTensorDescriptor", what);
    }

    @Override public Shape shape() { return shape; }

    /** y = a + b, overwritten; y may be a or b. */
    @Override public void add(Tensor a, Tensor b, Tensor y) {
        Cuda.enter(be, closed, what);
        if (y.storage() == a.storage() && a.storage() != b.storage())
            Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, desc, be.ptr(b), Cuda.ONE, desc, be.ptr(y)), "cudnnAddTensor", what);
        else if (y.storage() == b.storage() && a.storage() != b.storage())
            Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, desc, be.ptr(a), Cuda.ONE, desc, be.ptr(y)), "cudnnAddTensor", what);
        else if (y.storage() == a.storage()) // y = a = b: y = 2 y
            Cuda.dnn(cudnnScaleTensor(be.dnn(), desc, be.ptr(y), Cuda.scalar(2f)), "cudnnScaleTensor", what);
        else
            Cuda.dnn(cudnnOpTensor(be.dnn(), add, Cuda.ONE, desc, be.ptr(a), Cuda.ONE, desc, be.ptr(b), Cuda.ZERO, desc, be.ptr(y)),
                    "cudnnOpTensor", what);
    }

    /** dst = alpha src, or dst += alpha src when dst accumulates. */
    @Override public void scaleInto(float alpha, Tensor src, Grad dst) {
        Cuda.enter(be, closed, what);
        if (src.storage() == dst.t().storage()) { // in place: dst = alpha dst or dst += alpha dst
            float f = dst.accumulate() ? 1f + alpha : alpha;
            if (f != 1f) Cuda.dnn(cudnnScaleTensor(be.dnn(), desc, be.ptr(src), Cuda.scalar(f)), "cudnnScaleTensor", what);
            return;
        }
        if (!dst.accumulate() && alpha == 1f) {
            be.mem().copyBytes(be.ptr(src), be.ptr(dst.t()), Cuda.bytes(shape.size()));
            return;
        }
        Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.scalar(alpha), desc, be.ptr(src), Cuda.beta(dst), desc, be.ptr(dst.t())), "cudnnAddTensor", what);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Cuda.destroy(desc);
        cudnnDestroyOpTensorDescriptor(add);
    }
}
