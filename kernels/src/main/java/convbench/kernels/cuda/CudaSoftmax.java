package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.SoftmaxPlan;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnSoftmaxBackward;
import static jcuda.jcudnn.JCudnn.cudnnSoftmaxForward;
import static jcuda.jcudnn.cudnnSoftmaxAlgorithm.CUDNN_SOFTMAX_ACCURATE;
import static jcuda.jcudnn.cudnnSoftmaxMode.CUDNN_SOFTMAX_MODE_CHANNEL;

/**
 * Softmax over channels with cuDNN (CUDNN_SOFTMAX_ACCURATE subtracts the maximum; MODE_CHANNEL
 * normalises over C for each n, h, w; an (N, C) tensor is described as (N, C, 1, 1)).
 */
final class CudaSoftmax implements SoftmaxPlan {
    private final CudaBackend be;
    private final Shape shape;
    private final String what;
    private final cudnnTensorDescriptor desc;
    private boolean closed;

    CudaSoftmax(CudaBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
        this.what = "softmax " + shape;
        desc = Cuda.tensor(shape);
    }

    @Override public Shape shape() { return shape; }

    /** y[c] = exp(x[c] - max) / sum exp(x - max), overwritten. */
    @Override public void forward(Tensor x, Tensor y) {
        Cuda.enter(be, closed, what);
        Cuda.dnn(cudnnSoftmaxForward(be.dnn(), CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, Cuda.ONE, desc, be.ptr(x), Cuda.ZERO, desc, be.ptr(y)),
                "cudnnSoftmaxForward", what);
    }

    /** dx[c] = y[c] (dy[c] - sum_c' dy[c'] y[c']), overwritten or accumulated (beta). */
    @Override public void backward(Tensor y, Tensor dy, Grad dx) {
        Cuda.enter(be, closed, what);
        Cuda.dnn(cudnnSoftmaxBackward(be.dnn(), CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, Cuda.ONE, desc, be.ptr(y), desc, be.ptr(dy),
                Cuda.beta(dx), desc, be.ptr(dx.t())), "cudnnSoftmaxBackward", what);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Cuda.destroy(desc);
    }
}
