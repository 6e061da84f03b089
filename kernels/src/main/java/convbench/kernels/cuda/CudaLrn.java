package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;
import jcuda.jcudnn.cudnnLRNDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnCreateLRNDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyLRNDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnLRNCrossChannelBackward;
import static jcuda.jcudnn.JCudnn.cudnnLRNCrossChannelForward;
import static jcuda.jcudnn.JCudnn.cudnnSetLRNDescriptor;
import static jcuda.jcudnn.cudnnLRNMode.CUDNN_LRN_CROSS_CHANNEL_DIM1;

/**
 * Cross-channel LRN with cuDNN. TF's y = x / (bias + alpha * sum_{|c'-c| <= r} x[c']^2)^beta becomes
 * cuDNN's y = x / (k + (alpha_cudnn / n) * sum over a window of n channels x^2)^beta with
 * n = 2r + 1, alpha_cudnn = alpha * n, k = bias. cuDNN takes n in 1..16, k >= 1e-5, beta >= 0.01.
 */
final class CudaLrn implements LrnPlan {
    private final CudaBackend be;
    private final LrnDesc d;
    private final String what;
    private final cudnnLRNDescriptor lrn = new cudnnLRNDescriptor();
    private final cudnnTensorDescriptor xDesc;
    private boolean closed;

    CudaLrn(CudaBackend be, LrnDesc d) {
        this.be = be;
        this.d = d;
        this.what = "lrn r=" + d.depthRadius() + " " + d.x();
        xDesc = Cuda.tensor(d.x());
        try {
            set(lrn, d, what);
        } catch (RuntimeException e) {
            Cuda.destroy(xDesc);
            throw e;
        }
    }

    /**
     * Creates and sets the LRN descriptor of d (TF's parameters mapped to cuDNN's: n = 2r + 1, alpha * n,
     * beta, k = bias), after checking them against cuDNN's limits; no handle needed (the real-library tier
     * sets the LRN layers of every net against the real cuDNN this way). Fails with one sentence.
     */
    static void set(cudnnLRNDescriptor lrn, LrnDesc d, String what) {
        int n = d.window();
        if (n < 1 || n > 16)
            throw new IllegalArgumentException(what + ": cuDNN's LRN window is 1 to 16 channels and depth radius "
                    + d.depthRadius() + " needs " + n + ": use the CPU backend for this layer's geometry");
        if (d.bias() < 1e-5 || d.beta() < 0.01)
            throw new IllegalArgumentException(what + ": cuDNN's LRN needs bias >= 1e-5 and beta >= 0.01, got bias "
                    + d.bias() + " and beta " + d.beta());
        Cuda.dnn(cudnnCreateLRNDescriptor(lrn), "cudnnCreateLRNDescriptor", what);
        Cuda.dnn(cudnnSetLRNDescriptor(lrn, n, d.alpha() * n, d.beta(), d.bias()), "cudnnSetLRNDescriptor", what);
    }

    @Override public LrnDesc desc() { return d; }

    /** y = lrn(x), overwritten. */
    @Override public void forward(Tensor x, Tensor y) {
        Cuda.enter(be, closed, what);
        Cuda.dnn(cudnnLRNCrossChannelForward(be.dnn(), lrn, CUDNN_LRN_CROSS_CHANNEL_DIM1, Cuda.ONE, xDesc, be.ptr(x), Cuda.ZERO, xDesc, be.ptr(y)),
                "cudnnLRNCrossChannelForward", what);
    }

    /** {@link convbench.engine.ops.Lrn.Reference#backward}, overwritten or accumulated (cuDNN's beta). */
    @Override public void backward(Tensor x, Tensor y, Tensor dy, Grad dx) {
        Cuda.enter(be, closed, what);
        Cuda.dnn(cudnnLRNCrossChannelBackward(be.dnn(), lrn, CUDNN_LRN_CROSS_CHANNEL_DIM1, Cuda.ONE, xDesc, be.ptr(y), xDesc, be.ptr(dy),
                xDesc, be.ptr(x), Cuda.beta(dx), xDesc, be.ptr(dx.t())), "cudnnLRNCrossChannelBackward", what);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Cuda.destroy(xDesc);
        cudnnDestroyLRNDescriptor(lrn);
    }
}
