package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.DensePlan;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcublas.JCublas2.cublasSgemm;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;
import static jcuda.jcudnn.JCudnn.cudnnActivationForward;
import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardBias;
import static jcuda.jcudnn.JCudnn.cudnnDestroyActivationDescriptor;

/**
 * A fully connected layer: three cuBLAS SGEMMs, bias and relu with cuDNN.
 *
 * <p>cuBLAS is column-major; a row-major (r x c) buffer is the column-major (c x r) matrix, its
 * transpose. So with X = x (N x in), W = w (out x in), Y = y (N x out), all row-major:
 * <pre>
 *   y  = x . w^T    ->  Y^T  (out x N)  = W (out x in) . X^T (in x N):  sgemm(T, N, out, N, in,  w, in,  x, in,  y, out)
 *   dx = dz . w     ->  dX^T (in x N)   = W^T . dZ^T:                    sgemm(N, N, in, N, out,  w, in,  dz, out, dx, in)
 *   dw = dz^T . x   ->  dW^T (in x out) = X^T . dZ:                      sgemm(N, T, in, out, N,  x, in,  dz, out, dw, in)
 * </pre>
 * beta is 0 (overwrite) or 1 (accumulate) per gradient. db = sum over N of dz with
 * cudnnConvolutionBackwardBias on dz viewed as (N, out, 1, 1). Precision follows the cuBLAS handle's
 * math mode (strict FP32 or TF32), set by the backend.
 */
final class CudaDense implements DensePlan {
    private final CudaBackend be;
    private final DenseDesc d;
    private final String what;
    private final cudnnTensorDescriptor yDesc, bDesc;
    private final cudnnActivationDescriptor relu;
    private boolean closed;

    CudaDense(CudaBackend be, DenseDesc d) {
        this.be = be;
        this.d = d;
        this.what = "dense " + d.x() + " -> " + d.y();
        yDesc = Cuda.tensor(d.n(), d.out(), 1, 1);
        bDesc = Cuda.tensor(1, d.out(), 1, 1);
        if (d.act() == Activation.RELU) {
            relu = Cuda.relu(what);
        } else {
            relu = null;
        }
    }

    @Override public DenseDesc desc() { return d; }

    /** y = relu?(x . w^T + b), overwritten. */
    @Override public void forward(Tensor xt, Tensor wt, Tensor bt, Tensor yt) {
        Cuda.enter(be, closed, what);
        int n = d.n(), in = d.in(), out = d.out();
        Pointer y = be.ptr(yt);
        Cuda.blas(cublasSgemm(be.blas(), CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, Cuda.ONE, be.ptr(wt), in, be.ptr(xt), in, Cuda.ZERO, y, out),
                "cublasSgemm", what);
        if (bt != null)
            Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, bDesc, be.ptr(bt), Cuda.ONE, yDesc, y), "cudnnAddTensor", what + " bias");
        if (relu != null)
            Cuda.dnn(cudnnActivationForward(be.dnn(), relu, Cuda.ONE, yDesc, y, Cuda.ZERO, yDesc, y), "cudnnActivationForward", what + " relu");
    }

    /** dx = dz . w, dw = dz^T . x, db = sum_n dz; each overwritten or accumulated by its Grad; nulls skipped. */
    @Override public void backward(Tensor xt, Tensor wt, Tensor dzt, Grad dx, Grad dw, Grad db) {
        Cuda.enter(be, closed, what);
        int n = d.n(), in = d.in(), out = d.out();
        Pointer dz = be.ptr(dzt);
        if (dx != null)
            Cuda.blas(cublasSgemm(be.blas(), CUBLAS_OP_N, CUBLAS_OP_N, in, n, out, Cuda.ONE, be.ptr(wt), in, dz, out,
                    Cuda.beta(dx), be.ptr(dx.t()), in), "cublasSgemm", what + " dx");
        if (dw != null)
            Cuda.blas(cublasSgemm(be.blas(), CUBLAS_OP_N, CUBLAS_OP_T, in, out, n, Cuda.ONE, be.ptr(xt), in, dz, out,
                    Cuda.beta(dw), be.ptr(dw.t()), in), "cublasSgemm", what + " dw");
        if (db != null)
            Cuda.dnn(cudnnConvolutionBackwardBias(be.dnn(), Cuda.ONE, yDesc, dz, Cuda.beta(db), bDesc, be.ptr(db.t())),
                    "cudnnConvolutionBackwardBias", what + " db");
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Cuda.destroy(yDesc, bDesc);
        if (relu != null) cudnnDestroyActivationDescriptor(relu);
    }
}
