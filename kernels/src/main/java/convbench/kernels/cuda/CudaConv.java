package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.ConvPlan;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnActivationForward;
import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardBias;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardData;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardFilter;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBiasActivationForward;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionForward;
import static jcuda.jcudnn.JCudnn.cudnnCreateConvolutionDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyActivationDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyConvolutionDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolution2dForwardOutputDim;
import static jcuda.jcudnn.JCudnn.cudnnSetConvolution2dDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSetConvolutionMathType;
import static jcuda.jcudnn.cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
import static jcuda.jcudnn.cudnnConvolutionMode.CUDNN_CROSS_CORRELATION;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnMathType.CUDNN_DEFAULT_MATH;
import static jcuda.jcudnn.cudnnMathType.CUDNN_FMA_MATH;

/**
 * Convolution with cuDNN: forward, backward data, backward filter, backward bias.
 *
 * <p>Plan creation (once): tensor, filter and convolution descriptors (cross-correlation, FP32 compute,
 * math type CUDNN_FMA_MATH for strict FP32 or CUDNN_DEFAULT_MATH for TF32, kept for every call: JCudnn
 * 11.7 does not report the perf results' mathType for forward and backward data, so the descriptor's
 * math type is never taken from them); one algorithm per direction from cuDNN's heuristics
 * (cudnnGetConvolution*Algorithm_v7, the first that succeeds and whose workspace can be allocated, the next
 * one if the first call refuses it as not supported: {@link CudaConvAlgorithms}) or,
 * with convAlgo "find", from cudnnFindConvolution*AlgorithmEx run once on scratch buffers; the shared
 * workspace grown to the largest of the three.
 *
 * <p>Asymmetric padding (TF SAME with an odd total, explicit pads): cuDNN takes one pad per axis, so the
 * plan convolves with the smaller pad of each axis and pads the remainder explicitly: x is copied into
 * the interior of a buffer whose extra border is zero (zeroed once; only the interior is written per
 * step). Backward data writes the padded-size gradient into a second buffer and crops its interior
 * into dx.
 *
 * <p>Bias and relu: fused with cudnnConvolutionBiasActivationForward when the forward algorithm is
 * IMPLICIT_PRECOMP_GEMM (the one cuDNN documents for the fused call), with z = y and alpha2 = 0 (z is
 * then not read, as XLA relies on); otherwise, or if the fused call reports it cannot run, convolution,
 * cudnnAddTensor (bias) and cudnnActivationForward (in place).
 */
final class CudaConv implements ConvPlan {
    private final CudaBackend be;
    private final ConvDesc d;
    private final String what;
    private final cudnnTensorDescriptor xDesc, xInDesc, yDesc, bDesc;
    private final cudnnFilterDescriptor wDesc;
    private final cudnnConvolutionDescriptor conv;
    private final Descriptors descs; // owns the descriptors above
    private final cudnnActivationDescriptor relu;
    private final CudaConvAlgorithms.Choice fwdAlgo, bwdDataAlgo, bwdFilterAlgo;
    private final StridedCopy pad; // x -> interior of xPad (null when cuDNN's symmetric pads suffice)
    private final DeviceAllocator.Block xPad, dxPad;
    private boolean fused, closed;

    CudaConv(CudaBackend be, ConvDesc d) {
        this.be = be;
        this.d = d;
        Shape x = d.x(), y = d.y();
        this.what = "conv " + d.kh() + "x" + d.kw() + "/" + d.strideH() + "x" + d.strideW() + " " + x + " -> " + y;
        try { // a failure part-way (no algorithm, out of memory) frees what was made
            int n = x.n(), c = x.c(), h = x.h(), w = x.w();
            descs = new Descriptors(d, be.tf32(), what);
            Cuda.Pads p = descs.pads;
            boolean explicit = p.explicit();
            int extraT = p.extraT(), extraL = p.extraL();
            int hp = p.paddedH(h), wp = p.paddedW(w);
            xDesc = descs.x;
            xInDesc = descs.xIn;
            yDesc = descs.y;
            bDesc = descs.b;
            wDesc = descs.w;
            conv = descs.conv;

            if (explicit) {
                pad = new StridedCopy(n, c, h, w, hp, wp, 1, 1, extraT, extraL, what + " (explicit pad)");
                xPad = be.mem().buffer(Cuda.bytes((long) n * c * hp * wp));
                dxPad = be.mem().buffer(Cuda.bytes((long) n * c * hp * wp));
                be.mem().memsetZero(xPad.ptr(), Cuda.bytes((long) n * c * hp * wp)); // the border stays zero for good
            } else {
                pad = null;
                xPad = dxPad = null;
            }

            if (d.act() == Activation.RELU) {
                relu = Cuda.relu(what);
            } else {
                relu = null;
            }

            CudaConvAlgorithms algos = new CudaConvAlgorithms(be, descs, what, explicit ? (long) n * c * hp * wp : x.size(), d);
            fwdAlgo = algos.forward;
            bwdDataAlgo = algos.backwardData;
            bwdFilterAlgo = algos.backwardFilter;
            fused = d.bias() && relu != null;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override public ConvDesc desc() { return d; }

    /** The algorithms chosen (forward, backward data, backward filter) and whether bias + relu are fused. */
    String algorithms() {
        return "fwd " + fwdAlgo.algo() + ", bwd data " + bwdDataAlgo.algo() + ", bwd filter " + bwdFilterAlgo.algo() + (fusedNow() ? ", fused bias+relu" : "");
    }

    /** Bias and relu fused into the convolution: only with IMPLICIT_PRECOMP_GEMM, the algorithm cuDNN documents for it. */
    private boolean fusedNow() { return fused && fwdAlgo.algo() == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM; }

    // ---- forward ----

    /**
     * z = conv(x, w) (+ b), y = relu(z) or z; y overwritten (beta 0).
     * Fused: y = relu(1 * conv(x, w) + 0 * z + b) in one call.
     */
    @Override public void forward(Tensor xt, Tensor wt, Tensor bt, Tensor yt) {
        Cuda.enter(be, closed, what);
        Pointer x = xIn(xt), w = be.ptr(wt), y = be.ptr(yt);
        if (fusedNow()) {
            int status = cudnnConvolutionBiasActivationForward(be.dnn(), Cuda.ONE, xInDesc, x, wDesc, w, conv, fwdAlgo.algo(),
                    be.mem().workspace(), be.mem().workspaceSize(), Cuda.ZERO, yDesc, y, bDesc, be.ptr(bt), relu, yDesc, y);
            if (status == 0) return;
            // cuDNN refuses this combination here: fall back for good, and say so once (a refusal other than
            // "not supported" points at a misuse that the unfused calls may then report)
            fused = false;
            be.warnOnce("fused conv", "cudnnConvolutionBiasActivationForward refused " + what + " ("
                    + jcuda.jcudnn.JCudnn.cudnnGetErrorString(status) + "): convolution, bias and relu run as separate calls"
                    + (Cuda.notSupported(status) ? "" : "; this status is not \"not supported\", so report it"));
        }
        run(fwdAlgo, "cudnnConvolutionForward", algo -> cudnnConvolutionForward(be.dnn(), Cuda.ONE, xInDesc, x, wDesc, w, conv, algo,
                be.mem().workspace(), be.mem().workspaceSize(), Cuda.ZERO, yDesc, y));
        if (bt != null) // y = 1 * b (broadcast over N, H, W) + 1 * y
            Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, bDesc, be.ptr(bt), Cuda.ONE, yDesc, y), "cudnnAddTensor", what + " bias");
        if (relu != null) // in place
            Cuda.dnn(cudnnActivationForward(be.dnn(), relu, Cuda.ONE, yDesc, y, Cuda.ZERO, yDesc, y), "cudnnActivationForward", what + " relu");
    }

    /** x itself, or x copied into the interior of the zero-bordered pad buffer. */
    private Pointer xIn(Tensor xt) {
        if (pad == null) return be.ptr(xt);
        pad.forward(be, be.ptr(xt), xPad.ptr(), false);
        return xPad.ptr();
    }

    // ---- backward ----

    /**
     * From dz (before the activation), {@link convbench.engine.ops.Conv2d.Reference#backward} as three cuDNN calls:
     * db by cudnnConvolutionBackwardBias, dw by BackwardFilter, dx by BackwardData, each with its Grad's beta
     * (with explicit padding BackwardData overwrites the padded-size buffer and its interior is cropped into dx with dx's beta).
     */
    @Override public void backward(Tensor xt, Tensor wt, Tensor dzt, Grad dx, Grad dw, Grad db) {
        Cuda.enter(be, closed, what);
        Pointer dz = be.ptr(dzt);
        if (db != null)
            Cuda.dnn(cudnnConvolutionBackwardBias(be.dnn(), Cuda.ONE, yDesc, dz, Cuda.beta(db), bDesc(), be.ptr(db.t())),
                    "cudnnConvolutionBackwardBias", what);
        if (dw != null) {
            Pointer x = xIn(xt), dwPtr = be.ptr(dw.t());
            run(bwdFilterAlgo, "cudnnConvolutionBackwardFilter", algo -> cudnnConvolutionBackwardFilter(be.dnn(), Cuda.ONE, xInDesc, x, yDesc,
                    dz, conv, algo, be.mem().workspace(), be.mem().workspaceSize(), Cuda.beta(dw), wDesc, dwPtr));
        }
        if (dx != null) {
            // with explicit padding: the padded-size gradient is overwritten, then its interior cropped into dx
            Pointer out = pad == null ? be.ptr(dx.t()) : dxPad.ptr();
            Pointer beta = pad == null ? Cuda.beta(dx) : Cuda.ZERO;
            Pointer w = be.ptr(wt);
            run(bwdDataAlgo, "cudnnConvolutionBackwardData", algo -> cudnnConvolutionBackwardData(be.dnn(), Cuda.ONE, wDesc, w, yDesc, dz,
                    conv, algo, be.mem().workspace(), be.mem().workspaceSize(), beta, xInDesc, out));
            if (pad != null) pad.backward(be, dxPad.ptr(), be.ptr(dx.t()), dx.accumulate()); // dx (=|+=) interior of dxPad
        }
    }

    /** One cuDNN call with the direction's algorithm, repeated with the next candidate while the choice says so. */
    private void run(CudaConvAlgorithms.Choice choice, String call, java.util.function.IntUnaryOperator withAlgo) {
        int status;
        do {
            status = withAlgo.applyAsInt(choice.algo());
        } while (choice.retry(status));
        Cuda.dnn(status, call, what + " with algorithm " + choice.algo() + choice.refused());
    }

    private cudnnTensorDescriptor bDesc() {
        if (bDesc == null) throw new IllegalArgumentException(what + " has no bias, so it has no bias gradient");
        return bDesc;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (pad != null) pad.close();
        be.mem().release(xPad);
        be.mem().release(dxPad);
        if (descs != null) descs.close();
        if (relu != null) cudnnDestroyActivationDescriptor(relu);
    }

    /**
     * The descriptors of a plan as cuDNN sees them, made without a handle or device memory: x, x as convolved
     * (the padded buffer's shape when the pads are asymmetric), y, the bias, the filter, and the convolution
     * (the smaller pad of each axis, stride, cross-correlation, FP32 compute, math type CUDNN_FMA_MATH for
     * strict FP32 or CUDNN_DEFAULT_MATH for TF32), checked against the engine's y through cuDNN's
     * cudnnGetConvolution2dForwardOutputDim. A failure part-way destroys what was made. The real-library
     * tier builds these for every convolution of every net against the real cuDNN.
     */
    static final class Descriptors implements AutoCloseable {
        final Cuda.Pads pads;
        final cudnnTensorDescriptor x, xIn, y, b;
        final cudnnFilterDescriptor w;
        final cudnnConvolutionDescriptor conv = new cudnnConvolutionDescriptor();
        /** cuDNN's output dimensions (n, c, h, w) for xIn, w and conv. */
        final int[] outputDim;
        private boolean convMade;
        private cudnnTensorDescriptor xMade, xInMade, yMade, bMade;
        private cudnnFilterDescriptor wMade;

        Descriptors(ConvDesc d, boolean tf32, String what) {
            try {
                Shape xs = d.x(), ys = d.y();
                pads = Cuda.Pads.of(d.padTop(), d.padBottom(), d.padLeft(), d.padRight());
                x = xMade = Cuda.tensor(xs);
                xIn = pads.explicit() ? (xInMade = Cuda.tensor(xs.n(), xs.c(), pads.paddedH(xs.h()), pads.paddedW(xs.w()))) : x;
                y = yMade = Cuda.tensor(ys);
                b = d.bias() ? (bMade = Cuda.tensor(1, d.filters(), 1, 1)) : null;
                w = wMade = Cuda.filter(d.filters(), xs.c(), d.kh(), d.kw());
                Cuda.dnn(cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor", what);
                convMade = true;
                Cuda.dnn(cudnnSetConvolution2dDescriptor(conv, pads.padH(), pads.padW(), d.strideH(), d.strideW(), 1, 1,
                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "cudnnSetConvolution2dDescriptor", what);
                Cuda.dnn(cudnnSetConvolutionMathType(conv, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType", what);
                int[] on = {0}, oc = {0}, oh = {0}, ow = {0};
                Cuda.dnn(cudnnGetConvolution2dForwardOutputDim(conv, xIn, w, on, oc, oh, ow), "cudnnGetConvolution2dForwardOutputDim", what);
                outputDim = Cuda.checkedOutputDim(what, ys, on[0], oc[0], oh[0], ow[0]);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override public void close() {
            Cuda.destroy(xMade, xInMade, yMade, bMade);
            Cuda.destroy(wMade);
            if (convMade) cudnnDestroyConvolutionDescriptor(conv);
            xMade = xInMade = yMade = bMade = null;
            wMade = null;
            convMade = false;
        }
    }
}
