package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;

/**
 * Pad, crop and strided subsample: y[n, c, i, j] = x[n, c, i sh - pt, j sw - pl], 0 outside x, as one
 * cudnnTransformTensor between strided views ({@link StridedCopy}) plus a cudaMemsetAsync of y when
 * some of it has no source.
 */
final class CudaWindow implements WindowPlan {
    private final CudaBackend be;
    private final WindowDesc d;
    private final StridedCopy copy;
    private boolean closed;

    CudaWindow(CudaBackend be, WindowDesc d) {
        this.be = be;
        this.d = d;
        copy = new StridedCopy(d.x().n(), d.x().c(), d.x().h(), d.x().w(), d.outH(), d.outW(), d.strideH(), d.strideW(),
                d.padTop(), d.padLeft(), "window " + d.x() + " -> " + d.y());
    }

    @Override public WindowDesc desc() { return d; }

    /** y = window(x), overwritten (cells without a source set to 0). */
    @Override public void forward(Tensor x, Tensor y) {
        Cuda.enter(be, closed, "window " + d);
        copy.forward(be, be.ptr(x), be.ptr(y), true);
    }

    /** dx[i sh - pt, j sw - pl] (=|+=) dy[i, j]; the rest of dx 0 when overwriting, untouched when accumulating. */
    @Override public void backward(Tensor dy, Grad dx) {
        Cuda.enter(be, closed, "window " + d);
        copy.backward(be, be.ptr(dy), be.ptr(dx.t()), dx.accumulate());
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        copy.close();
    }
}
