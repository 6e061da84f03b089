package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnActivationBackward;
import static jcuda.jcudnn.JCudnn.cudnnActivationForward;
import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyActivationDescriptor;

/**
 * Relu (and identity) with cuDNN. Forward may run in place (y == x); backward computes relu' from the
 * output (y > 0 exactly where x > 0), passing y as cuDNN's x, and may run in place (dx == dy).
 */
final class CudaActivation implements ActivationPlan {
    private final CudaBackend be;
    private final Shape shape;
    private final Activation kind;
    private final String what;
    private final cudnnTensorDescriptor desc;
    private final cudnnActivationDescriptor act;
    private boolean closed;

    CudaActivation(CudaBackend be, Shape shape, Activation kind) {
        this.be = be;
        this.shape = shape;
        this.kind = kind;
        this.what = kind.name().toLowerCase(java.util.Locale.ROOT) + " " + shape;
        desc = Cuda.tensor(shape);
        if (kind == Activation.RELU) {
            act = Cuda.relu(what);
        } else {
            act = null;
        }
    }

    @Override public Shape shape() { return shape; }

    @Override public Activation kind() { return kind; }

    /** y = max(x, 0) (or y = x), overwritten; y may be x. */
    @Override public void forward(Tensor x, Tensor y) {
        Cuda.enter(be, closed, what);
        if (act != null) {
            Cuda.dnn(cudnnActivationForward(be.dnn(), act, Cuda.ONE, desc, be.ptr(x), Cuda.ZERO, desc, be.ptr(y)), "cudnnActivationForward", what);
        } else if (x.storage() != y.storage()) {
            be.mem().copyBytes(be.ptr(x), be.ptr(y), Cuda.bytes(shape.size()));
        }
    }

    /** dx = dy * [y > 0] (or dx = dy), overwritten or accumulated (beta); dx may be dy. */
    @Override public void backward(Tensor y, Tensor dy, Grad dx) {
        Cuda.enter(be, closed, what);
        Pointer yp = be.ptr(y), dyp = be.ptr(dy), dxp = be.ptr(dx.t());
        if (act != null) {
            Cuda.dnn(cudnnActivationBackward(be.dnn(), act, Cuda.ONE, desc, yp, desc, dyp, desc, yp, Cuda.beta(dx), desc, dxp),
                    "cudnnActivationBackward", what);
        } else if (dx.accumulate()) {
            Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, desc, dyp, Cuda.ONE, desc, dxp), "cudnnAddTensor", what);
        } else if (dy.storage() != dx.t().storage()) {
            be.mem().copyBytes(dyp, dxp, Cuda.bytes(shape.size()));
        }
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Cuda.destroy(desc);
        if (act != null) cudnnDestroyActivationDescriptor(act);
    }
}
