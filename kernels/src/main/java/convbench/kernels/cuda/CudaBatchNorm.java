package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.BatchNormPlan;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnOpTensorDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.jcudnn.JCudnn.cudnnBatchNormalizationBackward;
import static jcuda.jcudnn.JCudnn.cudnnBatchNormalizationForwardInference;
import static jcuda.jcudnn.JCudnn.cudnnBatchNormalizationForwardTraining;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardBias;
import static jcuda.jcudnn.JCudnn.cudnnCreateOpTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnCreateTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDeriveBNTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyOpTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnOpTensor;
import static jcuda.jcudnn.JCudnn.cudnnSetOpTensorDescriptor;
import static jcuda.jcudnn.cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN;
import static jcuda.jcudnn.cudnnOpTensorOp.CUDNN_OP_TENSOR_MUL;

/**
 * Spatial batch norm with cuDNN (CUDNN_BATCHNORM_SPATIAL: statistics per channel over N, H, W).
 *
 * <ul>
 *   <li>Training forward: cudnnBatchNormalizationForwardTraining with exponentialAverageFactor = the
 *       caller's averageFactor (1 - decay); cuDNN updates the moving variance with the unbiased batch
 *       variance and saves the mean and 1 / sqrt(var + eps), as the CPU backend does.</li>
 *   <li>Inference forward: cudnnBatchNormalizationForwardInference on the moving statistics.</li>
 *   <li>Training backward: cudnnBatchNormalizationBackward with the saved statistics. cuDNN writes dx,
 *       dscale and dbias together, with one beta for dx and one shared by dscale and dbias; missing
 *       outputs (no scale, no dx wanted) and differing accumulate flags go through scratch buffers.</li>
 *   <li>Inference backward (statistics constant), composed from cuDNN calls:
 *       dx = dy * gamma / sqrt(var + eps) is an inference forward applied to dy with mean 0, bias 0;
 *       dbeta = sum dy is cudnnConvolutionBackwardBias; dgamma = sum dy * xhat with
 *       xhat = (x - mean) / sqrt(var + eps) (an inference forward with scale 1, bias 0),
 *       the product by cudnnOpTensor and the sum by cudnnConvolutionBackwardBias.</li>
 * </ul>
 * Without scale (Inception v3) gamma is a constant ones tensor and dgamma is discarded.
 */
final class CudaBatchNorm implements BatchNormPlan {
    private final CudaBackend be;
    private final BatchNormDesc d;
    private final String what;
    private final double eps;
    private final cudnnTensorDescriptor xDesc, pDesc = new cudnnTensorDescriptor();
    private final DeviceAllocator.Block ones, zeros;
    private final long xBytes, pBytes;
    private DeviceAllocator.Block dxScratch, dgScratch, dbScratch, xhat, prod; // made on first need
    private cudnnOpTensorDescriptor mul;
    private boolean closed;

    CudaBatchNorm(CudaBackend be, BatchNormDesc d) {
        this.be = be;
        this.d = d;
        this.what = "batch norm " + d.x();
        this.eps = d.epsilon();
        if (!(eps > 0)) throw new IllegalArgumentException(what + ": epsilon must be positive for cuDNN, got " + eps);
        xDesc = Cuda.tensor(d.x());
        deriveParams(pDesc, xDesc, what);
        xBytes = Cuda.bytes(d.x().size());
        pBytes = Cuda.bytes(d.channels());
        ones = be.mem().buffer(pBytes);
        zeros = be.mem().buffer(pBytes);
        be.setTensor(pDesc, ones.ptr(), 1f);
        be.mem().memsetZero(zeros.ptr(), pBytes);
    }

    /** Creates pDesc as cuDNN's (1, C, 1, 1) parameter descriptor for x in SPATIAL mode; no handle needed. */
    static void deriveParams(cudnnTensorDescriptor pDesc, cudnnTensorDescriptor xDesc, String what) {
        Cuda.dnn(cudnnCreateTensorDescriptor(pDesc), "cudnnCreateTensorDescriptor", what);
        Cuda.dnn(cudnnDeriveBNTensorDescriptor(pDesc, xDesc, CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor", what); // (1, C, 1, 1)
    }

    @Override public BatchNormDesc desc() { return d; }

    private Pointer scale(Tensor gamma) { return gamma == null ? ones.ptr() : be.ptr(gamma); }

    /** {@link convbench.engine.ops.BatchNorm.Reference#forwardTraining}: y overwritten, the moving statistics updated, saveMean and saveInvStd written. */
    @Override
    public void forwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor movingMean, Tensor movingVar,
                                double averageFactor, Tensor saveMean, Tensor saveInvStd) {
        Cuda.enter(be, closed, what);
        Cuda.dnn(cudnnBatchNormalizationForwardTraining(be.dnn(), CUDNN_BATCHNORM_SPATIAL, Cuda.ONE, Cuda.ZERO, xDesc, be.ptr(x),
                xDesc, be.ptr(y), pDesc, scale(gamma), be.ptr(beta), averageFactor, be.ptr(movingMean), be.ptr(movingVar), eps,
                be.ptr(saveMean), be.ptr(saveInvStd)), "cudnnBatchNormalizationForwardTraining", what);
    }

    /** y = gamma (x - movingMean) / sqrt(movingVar + eps) + beta, overwritten. */
    @Override public void forwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor movingMean, Tensor movingVar, Tensor y) {
        Cuda.enter(be, closed, what);
        inference(Cuda.ZERO, be.ptr(x), be.ptr(y), scale(gamma), be.ptr(beta), be.ptr(movingMean), be.ptr(movingVar));
    }

    /** out = s (in - mean) / sqrt(var + eps) + b, blended into out with beta. */
    private void inference(Pointer beta, Pointer in, Pointer out, Pointer s, Pointer b, Pointer mean, Pointer var) {
        Cuda.dnn(cudnnBatchNormalizationForwardInference(be.dnn(), CUDNN_BATCHNORM_SPATIAL, Cuda.ONE, beta, xDesc, in, xDesc, out,
                pDesc, s, b, mean, var, eps), "cudnnBatchNormalizationForwardInference", what);
    }

    /** {@link convbench.engine.ops.BatchNorm.Reference#backward}; each output overwritten or accumulated per its Grad. */
    @Override
    public void backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Grad dx, Grad dgamma, Grad dbeta) {
        Cuda.enter(be, closed, what);
        Pointer dxPtr;
        Pointer dxBeta;
        if (dx != null) {
            dxPtr = be.ptr(dx.t());
            dxBeta = Cuda.beta(dx);
        } else {
            dxScratch = scratch(dxScratch, xBytes);
            dxPtr = dxScratch.ptr();
            dxBeta = Cuda.ZERO;
        }
        // cuDNN's dscale and dbias share one beta: write them directly when both are wanted and agree on it,
        // or when neither accumulates; otherwise both go to scratch with beta 0 and are stored per their Grad
        // (a lone accumulating output must not make cuDNN add into an uninitialised scratch for the other).
        boolean gAcc = dgamma != null && dgamma.accumulate(), bAcc = dbeta != null && dbeta.accumulate();
        boolean direct = dgamma != null && dbeta != null ? gAcc == bAcc : !(gAcc || bAcc);
        boolean paramAcc = direct && (gAcc || bAcc);
        Pointer dg, db;
        if (direct && dgamma != null) dg = be.ptr(dgamma.t());
        else dg = (dgScratch = scratch(dgScratch, pBytes)).ptr();
        if (direct && dbeta != null) db = be.ptr(dbeta.t());
        else db = (dbScratch = scratch(dbScratch, pBytes)).ptr();
        Cuda.dnn(cudnnBatchNormalizationBackward(be.dnn(), CUDNN_BATCHNORM_SPATIAL, Cuda.ONE, dxBeta, Cuda.ONE, paramAcc ? Cuda.ONE : Cuda.ZERO,
                xDesc, be.ptr(x), xDesc, be.ptr(dy), xDesc, dxPtr, pDesc, scale(gamma), dg, db, eps, be.ptr(saveMean), be.ptr(saveInvStd)),
                "cudnnBatchNormalizationBackward", what);
        if (!direct) {
            if (dgamma != null) store(dgScratch.ptr(), dgamma);
            if (dbeta != null) store(dbScratch.ptr(), dbeta);
        }
    }

    /** dst (=|+=) a per-channel scratch result. */
    private void store(Pointer src, Grad dst) {
        if (dst.accumulate())
            Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, pDesc, src, Cuda.ONE, pDesc, be.ptr(dst.t())), "cudnnAddTensor", what);
        else
            be.mem().copyBytes(src, be.ptr(dst.t()), pBytes);
    }

    /** {@link convbench.engine.ops.BatchNorm.Reference#backwardInference}; each output overwritten or accumulated per its Grad. */
    @Override
    public void backwardInference(Tensor x, Tensor dy, Tensor gamma, Tensor movingMean, Tensor movingVar, Grad dx, Grad dgamma, Grad dbeta) {
        Cuda.enter(be, closed, what);
        if (dbeta != null)
            Cuda.dnn(cudnnConvolutionBackwardBias(be.dnn(), Cuda.ONE, xDesc, be.ptr(dy), Cuda.beta(dbeta), pDesc, be.ptr(dbeta.t())),
                    "cudnnConvolutionBackwardBias", what + " dbeta");
        if (dgamma != null) {
            xhat = scratch(xhat, xBytes);
            prod = scratch(prod, xBytes);
            if (mul == null) {
                mul = new cudnnOpTensorDescriptor();
                Cuda.dnn(cudnnCreateOpTensorDescriptor(mul), "cudnnCreateOpTensorDescriptor", what);
                Cuda.dnn(cudnnSetOpTensorDescriptor(mul, CUDNN_OP_TENSOR_MUL, CUDNN_DATA_FLOAT, CUDNN_NOT_PROPAGATE_NAN), "cudnnSetOpTensorDescriptor", what);
            }
            inference(Cuda.ZERO, be.ptr(x), xhat.ptr(), ones.ptr(), zeros.ptr(), be.ptr(movingMean), be.ptr(movingVar));
            Cuda.dnn(cudnnOpTensor(be.dnn(), mul, Cuda.ONE, xDesc, be.ptr(dy), Cuda.ONE, xDesc, xhat.ptr(), Cuda.ZERO, xDesc, prod.ptr()),
                    "cudnnOpTensor", what + " dy * xhat");
            Cuda.dnn(cudnnConvolutionBackwardBias(be.dnn(), Cuda.ONE, xDesc, prod.ptr(), Cuda.beta(dgamma), pDesc, be.ptr(dgamma.t())),
                    "cudnnConvolutionBackwardBias", what + " dgamma");
        }
        if (dx != null) // dx = gamma (dy - 0) / sqrt(var + eps) + 0, blended with dx's beta
            inference(Cuda.beta(dx), be.ptr(dy), be.ptr(dx.t()), scale(gamma), zeros.ptr(), zeros.ptr(), be.ptr(movingVar));
    }

    private DeviceAllocator.Block scratch(DeviceAllocator.Block b, long bytes) { return b != null ? b : be.mem().buffer(bytes); }

    @Override public void close() {
        if (closed) return;
        closed = true;
        for (DeviceAllocator.Block b : new DeviceAllocator.Block[] {ones, zeros, dxScratch, dgScratch, dbScratch, xhat, prod}) be.mem().release(b);
        Cuda.destroy(xDesc, pDesc);
        if (mul != null) cudnnDestroyOpTensorDescriptor(mul);
    }
}
