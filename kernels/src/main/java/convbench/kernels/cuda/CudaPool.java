package convbench.kernels.cuda;

import convbench.engine.spec.PoolMode;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnOpTensorDescriptor;
import jcuda.jcudnn.cudnnPoolingDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnCreateOpTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnCreatePoolingDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyOpTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyPoolingDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnGetPooling2dForwardOutputDim;
import static jcuda.jcudnn.JCudnn.cudnnOpTensor;
import static jcuda.jcudnn.JCudnn.cudnnPoolingBackward;
import static jcuda.jcudnn.JCudnn.cudnnPoolingForward;
import static jcuda.jcudnn.JCudnn.cudnnSetOpTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSetPooling2dDescriptor;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN;
import static jcuda.jcudnn.cudnnOpTensorOp.CUDNN_OP_TENSOR_MUL;
import static jcuda.jcudnn.cudnnPoolingMode.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
import static jcuda.jcudnn.cudnnPoolingMode.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
import static jcuda.jcudnn.cudnnPoolingMode.CUDNN_POOLING_MAX;

/**
 * Max and average pooling with cuDNN (TF semantics: max pooling ignores padding, average pooling
 * leaves padded cells out of the divisor).
 *
 * <p>Symmetric pads go to cuDNN directly (CUDNN_POOLING_MAX, CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING).
 * Asymmetric pads (TF SAME with an odd total, e.g. ResNet's 3x3/2 max pool on 112: 0 before, 1 after):
 * cuDNN pads min(before, after) itself and the remainder is an explicit border of a buffer x is copied
 * into each step (the border is written once):
 * <ul>
 *   <li>max: the border is -infinity, so it never wins; backward runs cudnnPoolingBackward on the padded
 *       buffer and crops the interior of the gradient into dx;</li>
 *   <li>average: the border is 0 and cuDNN averages with COUNT_INCLUDE_PADDING, giving sum(real) / (kh kw);
 *       y is then multiplied by r[i, j] = kh kw / count[i, j] (count = real cells of window (i, j),
 *       precomputed, broadcast over N and C with cudnnOpTensor). Backward: dy * r, then
 *       cudnnPoolingBackward (which spreads (dy r) / (kh kw) = dy / count over each window), then the crop.</li>
 * </ul>
 */
final class CudaPool implements PoolPlan {
    private final CudaBackend be;
    private final PoolDesc d;
    private final String what;
    private final boolean max, explicit;
    private final cudnnPoolingDescriptor pool;
    private final Descriptors descs; // owns the descriptors above
    private final cudnnTensorDescriptor xDesc, xInDesc, yDesc, rDesc;
    private final cudnnOpTensorDescriptor mul;
    private final StridedCopy pad;
    private final DeviceAllocator.Block xPad, dxPad, r, tmp;
    private boolean closed;

    CudaPool(CudaBackend be, PoolDesc d) {
        this.be = be;
        this.d = d;
        Shape x = d.x(), y = d.y();
        this.what = (d.mode() == PoolMode.MAX ? "max pool " : "avg pool ") + d.kh() + "x" + d.kw() + "/" + d.strideH() + "x" + d.strideW()
                + " " + x + " -> " + y;
        max = d.mode() == PoolMode.MAX;
        int n = x.n(), c = x.c(), h = x.h(), w = x.w();
        descs = new Descriptors(d, what);
        Cuda.Pads p = descs.pads;
        explicit = p.explicit();
        int extraT = p.extraT(), extraL = p.extraL();
        int hp = p.paddedH(h), wp = p.paddedW(w);
        xDesc = descs.x;
        yDesc = descs.y;
        xInDesc = descs.xIn;
        pool = descs.pool;

        if (!explicit) {
            pad = null;
            xPad = dxPad = r = tmp = null;
            rDesc = null;
            mul = null;
            return;
        }
        long padded = (long) n * c * hp * wp;
        pad = new StridedCopy(n, c, h, w, hp, wp, 1, 1, extraT, extraL, what + " (explicit pad)");
        xPad = be.mem().buffer(Cuda.bytes(padded));
        dxPad = be.mem().buffer(Cuda.bytes(padded));
        if (max) {
            be.setTensor(xInDesc, xPad.ptr(), Float.NEGATIVE_INFINITY); // the border never wins
            r = tmp = null;
            rDesc = null;
            mul = null;
        } else {
            be.mem().memsetZero(xPad.ptr(), Cuda.bytes(padded));
            int oh1 = y.h(), ow1 = y.w();
            float[] ratio = new float[oh1 * ow1];
            for (int i = 0; i < oh1; i++) {
                int h0 = i * d.strideH() - d.padTop(), h1 = Math.min(h0 + d.kh(), h);
                int rows = h1 - Math.max(h0, 0);
                for (int j = 0; j < ow1; j++) {
                    int w0 = j * d.strideW() - d.padLeft(), w1 = Math.min(w0 + d.kw(), w);
                    int cols = w1 - Math.max(w0, 0);
                    ratio[i * ow1 + j] = (float) (d.kh() * d.kw()) / Math.max(1, rows * cols);
                }
            }
            r = be.mem().buffer(Cuda.bytes(ratio.length));
            be.mem().uploadFloats(ratio, r.ptr());
            rDesc = Cuda.tensor(1, 1, oh1, ow1);
            tmp = be.mem().buffer(Cuda.bytes(y.size()));
            mul = new cudnnOpTensorDescriptor();
            Cuda.dnn(cudnnCreateOpTensorDescriptor(mul), "cudnnCreateOpTensorDescriptor", what);
            Cuda.dnn(cudnnSetOpTensorDescriptor(mul, CUDNN_OP_TENSOR_MUL, CUDNN_DATA_FLOAT, CUDNN_NOT_PROPAGATE_NAN), "cudnnSetOpTensorDescriptor", what);
        }
    }

    @Override public PoolDesc desc() { return d; }

    /** x itself, or x copied into the interior of the pad buffer. */
    private Pointer xIn(Tensor xt) {
        if (!explicit) return be.ptr(xt);
        pad.forward(be, be.ptr(xt), xPad.ptr(), false);
        return xPad.ptr();
    }

    /** y = pool(x), overwritten. */
    @Override public void forward(Tensor xt, Tensor yt) {
        Cuda.enter(be, closed, what);
        Pointer x = xIn(xt), y = be.ptr(yt);
        if (explicit && !max) {
            // tmp = sum(window) / (kh kw); y = tmp * r
            Cuda.dnn(cudnnPoolingForward(be.dnn(), pool, Cuda.ONE, xInDesc, x, Cuda.ZERO, yDesc, tmp.ptr()), "cudnnPoolingForward", what);
            Cuda.dnn(cudnnOpTensor(be.dnn(), mul, Cuda.ONE, yDesc, tmp.ptr(), Cuda.ONE, rDesc, r.ptr(), Cuda.ZERO, yDesc, y),
                    "cudnnOpTensor", what + " divisor");
            return;
        }
        Cuda.dnn(cudnnPoolingForward(be.dnn(), pool, Cuda.ONE, xInDesc, x, Cuda.ZERO, yDesc, y), "cudnnPoolingForward", what);
    }

    /**
     * Max: dx[argmax of each window] += dy; average: dx[cell] += dy / count for each window holding the cell.
     * dx overwritten or accumulated per its Grad (cuDNN's beta; with explicit padding the padded gradient
     * is overwritten and its interior cropped into dx with dx's beta).
     */
    @Override public void backward(Tensor xt, Tensor yt, Tensor dyt, Grad dx) {
        Cuda.enter(be, closed, what);
        Pointer y = be.ptr(yt), dy = be.ptr(dyt);
        if (!explicit) {
            Cuda.dnn(cudnnPoolingBackward(be.dnn(), pool, Cuda.ONE, yDesc, y, yDesc, dy, xDesc, be.ptr(xt), Cuda.beta(dx), xDesc, be.ptr(dx.t())),
                    "cudnnPoolingBackward", what);
            return;
        }
        Pointer x = xIn(xt);
        if (max) {
            Cuda.dnn(cudnnPoolingBackward(be.dnn(), pool, Cuda.ONE, yDesc, y, yDesc, dy, xInDesc, x, Cuda.ZERO, xInDesc, dxPad.ptr()),
                    "cudnnPoolingBackward", what);
        } else {
            // tmp = dy * r; average pooling's backward reads only its gradient input (y is passed as tmp too)
            Cuda.dnn(cudnnOpTensor(be.dnn(), mul, Cuda.ONE, yDesc, dy, Cuda.ONE, rDesc, r.ptr(), Cuda.ZERO, yDesc, tmp.ptr()),
                    "cudnnOpTensor", what + " divisor");
            Cuda.dnn(cudnnPoolingBackward(be.dnn(), pool, Cuda.ONE, yDesc, tmp.ptr(), yDesc, tmp.ptr(), xInDesc, x, Cuda.ZERO, xInDesc, dxPad.ptr()),
                    "cudnnPoolingBackward", what);
        }
        pad.backward(be, dxPad.ptr(), be.ptr(dx.t()), dx.accumulate());
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (pad != null) pad.close();
        be.mem().release(xPad);
        be.mem().release(dxPad);
        be.mem().release(r);
        be.mem().release(tmp);
        Cuda.destroy(rDesc);
        if (mul != null) cudnnDestroyOpTensorDescriptor(mul);
        descs.close();
    }

    /**
     * The descriptors of a plan as cuDNN sees them, made without a handle or device memory: x, x as pooled
     * (the padded buffer's shape when the pads are asymmetric), y, and the pooling descriptor (MAX;
     * AVERAGE_COUNT_EXCLUDE_PADDING, or INCLUDE_PADDING over the zero border of the padded buffer; the
     * smaller pad of each axis), checked against the engine's y through cuDNN's
     * cudnnGetPooling2dForwardOutputDim. A failure part-way destroys what was made. The real-library tier
     * builds these for every pooling layer of every net against the real cuDNN.
     */
    static final class Descriptors implements AutoCloseable {
        final Cuda.Pads pads;
        final cudnnTensorDescriptor x, xIn, y;
        final cudnnPoolingDescriptor pool = new cudnnPoolingDescriptor();
        final int mode;
        /** cuDNN's output dimensions (n, c, h, w) for xIn and pool. */
        final int[] outputDim;
        private boolean poolMade;
        private cudnnTensorDescriptor xMade, xInMade, yMade;

        Descriptors(PoolDesc d, String what) {
            Shape xs = d.x(), ys = d.y();
            pads = Cuda.Pads.of(d.padTop(), d.padBottom(), d.padLeft(), d.padRight());
            if (pads.padH() >= d.kh() || pads.padW() >= d.kw())
                throw new IllegalArgumentException(what + ": cuDNN needs pads smaller than the window, got pads "
                        + d.padTop() + "," + d.padBottom() + "," + d.padLeft() + "," + d.padRight());
            boolean max = d.mode() == PoolMode.MAX;
            mode = max ? CUDNN_POOLING_MAX : pads.explicit() ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
            try {
                x = xMade = Cuda.tensor(xs);
                y = yMade = Cuda.tensor(ys);
                xIn = pads.explicit() ? (xInMade = Cuda.tensor(xs.n(), xs.c(), pads.paddedH(xs.h()), pads.paddedW(xs.w()))) : x;
                Cuda.dnn(cudnnCreatePoolingDescriptor(pool), "cudnnCreatePoolingDescriptor", what);
                poolMade = true;
                Cuda.dnn(cudnnSetPooling2dDescriptor(pool, mode, CUDNN_NOT_PROPAGATE_NAN, d.kh(), d.kw(), pads.padH(), pads.padW(),
                        d.strideH(), d.strideW()), "cudnnSetPooling2dDescriptor", what);
                int[] on = {0}, oc = {0}, oh = {0}, ow = {0};
                Cuda.dnn(cudnnGetPooling2dForwardOutputDim(pool, xIn, on, oc, oh, ow), "cudnnGetPooling2dForwardOutputDim", what);
                outputDim = Cuda.checkedOutputDim(what, ys, on[0], oc[0], oh[0], ow[0]);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override public void close() {
            Cuda.destroy(xMade, xInMade, yMade);
            if (poolMade) cudnnDestroyPoolingDescriptor(pool);
            xMade = xInMade = yMade = null;
            poolMade = false;
        }
    }
}
