package convbench.kernels.cuda;

import convbench.engine.DeviceMemoryException;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.runtime.JCuda;

import static jcuda.jcudnn.JCudnn.cudnnCreateActivationDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnCreateFilterDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnCreateTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyFilterDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnGetErrorString;
import static jcuda.jcudnn.JCudnn.cudnnSetActivationDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSetFilter4dDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSetTensor4dDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSetTensor4dDescriptorEx;
import static jcuda.jcudnn.cudnnActivationMode.CUDNN_ACTIVATION_RELU;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN;
import static jcuda.jcudnn.cudnnTensorFormat.CUDNN_TENSOR_NCHW;
import static jcuda.jcublas.cublasStatus.CUBLAS_STATUS_ALLOC_FAILED;
import static jcuda.runtime.cudaError.cudaErrorMemoryAllocation;

/**
 * Status checks and descriptor helpers shared by the CUDA plans.
 *
 * <p>Status checks never use JCuda's own exception mode: JCudnn 11.7's Java names for cuDNN statuses
 * are those of cuDNN 8, and cuDNN 9 renumbered them (BAD_PARAM 3 -> 2000, NOT_SUPPORTED 9 -> 3000).
 * The text always comes from the loaded library (cudnnGetErrorString, cublasGetStatusString,
 * cudaGetErrorString), so it is right for the installed version.
 */
final class Cuda {
    private Cuda() {}

    /** alpha / beta scaling factors (host memory, float for float tensors). Never written. */
    static final Pointer ONE = Pointer.to(new float[] {1f});
    static final Pointer ZERO = Pointer.to(new float[] {0f});

    static Pointer scalar(float v) {
        return v == 1f ? ONE : v == 0f ? ZERO : Pointer.to(new float[] {v});
    }

    /**
     * The coef of a plain relu's activation descriptor. cuDNN documents coef as the upper bound for
     * CUDNN_ACTIVATION_RELU too, so it is the largest double (as PyTorch passes), not 0.
     */
    static final double RELU_CEILING = Double.MAX_VALUE;

    /** cuDNN's beta for a gradient: 0 overwrites, 1 accumulates. */
    static Pointer beta(Grad g) { return g.accumulate() ? ONE : ZERO; }

    /**
     * Every plan's entry point: refuses a closed plan (its descriptors and buffers are gone, and cuDNN
     * would read freed memory instead of failing), then binds the backend's device to this thread.
     */
    static void enter(CudaBackend be, boolean closed, String plan) {
        if (closed) throw new IllegalStateException(plan + ": the plan was used after close()");
        be.enter();
    }

    // ---- status checks: one sentence, the library's own words ----

    static void dnn(int status, String call, String what) {
        if (status == 0) return;
        String text = cudnnGetErrorString(status);
        // cuDNN 9: CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED; cuDNN 8: CUDNN_STATUS_ALLOC_FAILED (its cudaMalloc failed)
        if (text != null && (text.contains("DEVICE_ALLOCATION_FAILED") || text.equals("CUDNN_STATUS_ALLOC_FAILED")))
            throw outOfMemory(call + " for " + what);
        throw new CudaException(call + " for " + what + " failed: " + text, status);
    }

    /** cuDNN's "not supported" statuses: 3000-3999 in cuDNN 9 (NOT_SUPPORTED and its sub-codes), 9 in cuDNN 8 (for messages). */
    static boolean notSupported(int status) {
        return (status >= 3000 && status < 4000) || status == 9;
    }

    static void blas(int status, String call, String what) {
        if (status == 0) return;
        if (status == CUBLAS_STATUS_ALLOC_FAILED) throw outOfMemory(call + " for " + what);
        throw new CudaException(call + " for " + what + " failed: " + JCublas2.cublasGetStatusString(status), status);
    }

    static void rt(int status, String call, String what) {
        if (status == 0) return;
        if (status == cudaErrorMemoryAllocation) {
            JCuda.cudaGetLastError(); // not sticky: clear it
            throw outOfMemory(call + " for " + what);
        }
        throw new CudaException(call + " for " + what + " failed: " + JCuda.cudaGetErrorString(status)
                + " (" + JCuda.cudaGetErrorName(status) + ")", status);
    }

    /**
     * A library ran out of device memory for its own buffers: the engine's out-of-memory exception (which
     * bench turns into the batch that fits), with what is free now and the calling thread's backend's tensors.
     */
    static DeviceMemoryException outOfMemory(String call) {
        long[] free = {0}, total = {0};
        JCuda.cudaMemGetInfo(free, total);
        CudaBackend be = CudaBackend.bound();
        return new DeviceMemoryException(be == null ? "the GPU" : be.name(), call, free[0], be == null ? 0 : be.memory().inUse());
    }

    static void drv(int status, String call, String what) {
        if (status != 0) {
            String[] s = new String[1];
            jcuda.driver.JCudaDriver.cuGetErrorString(status, s);
            throw new CudaException(call + " for " + what + " failed: " + (s[0] != null ? s[0] : "CUresult " + status), status);
        }
    }

    // ---- descriptors ----

    /**
     * Pads as cuDNN's convolution and pooling descriptors take them: one symmetric pad per axis (the smaller
     * side of each), and what the other side needs beyond it as an explicit border of a padded copy of x.
     */
    record Pads(int padH, int padW, int extraT, int extraB, int extraL, int extraR) {
        static Pads of(int top, int bottom, int left, int right) {
            int h = Math.min(top, bottom), w = Math.min(left, right);
            return new Pads(h, w, top - h, bottom - h, left - w, right - w);
        }

        /** True when the pads are asymmetric on some axis, so x goes through a padded buffer. */
        boolean explicit() { return extraT + extraB + extraL + extraR > 0; }

        int paddedH(int h) { return h + extraT + extraB; }

        int paddedW(int w) { return w + extraL + extraR; }
    }

    /** A shape as NCHW: rank 4 as is, (N, F) as (N, F, 1, 1), (n) as (1, n, 1, 1), rank 3 as (a, b, c, 1). */
    static int[] dims4(Shape s) {
        return switch (s.rank()) {
            case 0 -> new int[] {1, 1, 1, 1};
            case 1 -> new int[] {1, s.dim(0), 1, 1};
            case 2 -> new int[] {s.dim(0), s.dim(1), 1, 1};
            case 3 -> new int[] {s.dim(0), s.dim(1), s.dim(2), 1};
            case 4 -> s.dims();
            default -> throw new IllegalArgumentException("the CUDA backend takes tensors of rank 1 to 4, not " + s);
        };
    }

    /** A packed NCHW float tensor descriptor of the shape's 4-d form. */
    static cudnnTensorDescriptor tensor(Shape s) {
        int[] d = dims4(s);
        return tensor(d[0], d[1], d[2], d[3]);
    }

    static cudnnTensorDescriptor tensor(int n, int c, int h, int w) {
        cudnnTensorDescriptor t = new cudnnTensorDescriptor();
        dnn(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor", "a tensor");
        dnn(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w),
                "cudnnSetTensor4dDescriptor", "(" + n + ", " + c + ", " + h + ", " + w + ")");
        return t;
    }

    /** A view with explicit strides (in elements): a channel slice, a padded interior, a strided subsample. */
    static cudnnTensorDescriptor strided(int n, int c, int h, int w, int ns, int cs, int hs, int ws) {
        cudnnTensorDescriptor t = new cudnnTensorDescriptor();
        dnn(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor", "a tensor view");
        dnn(cudnnSetTensor4dDescriptorEx(t, CUDNN_DATA_FLOAT, n, c, h, w, ns, cs, hs, ws),
                "cudnnSetTensor4dDescriptorEx", "(" + n + ", " + c + ", " + h + ", " + w + ") with strides ("
                        + ns + ", " + cs + ", " + hs + ", " + ws + ")");
        return t;
    }

    static cudnnFilterDescriptor filter(int k, int c, int h, int w) {
        cudnnFilterDescriptor f = new cudnnFilterDescriptor();
        dnn(cudnnCreateFilterDescriptor(f), "cudnnCreateFilterDescriptor", "a filter");
        dnn(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, h, w),
                "cudnnSetFilter4dDescriptor", "(" + k + ", " + c + ", " + h + ", " + w + ")");
        return f;
    }

    /** A plain relu's activation descriptor (coef {@link #RELU_CEILING}, NaN not propagated). */
    static cudnnActivationDescriptor relu(String what) {
        cudnnActivationDescriptor a = new cudnnActivationDescriptor();
        dnn(cudnnCreateActivationDescriptor(a), "cudnnCreateActivationDescriptor", what);
        dnn(cudnnSetActivationDescriptor(a, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, RELU_CEILING), "cudnnSetActivationDescriptor", what);
        return a;
    }

    static void destroy(cudnnTensorDescriptor... ds) {
        for (cudnnTensorDescriptor d : ds) if (d != null) cudnnDestroyTensorDescriptor(d);
    }

    static void destroy(cudnnFilterDescriptor f) {
        if (f != null) cudnnDestroyFilterDescriptor(f);
    }

    /** Bytes of a float tensor of this many elements. */
    static long bytes(long elements) { return 4L * elements; }

    /** The output shape cuDNN's own shape call gave (n, c, h, w), refused unless it is the engine's ys. */
    static int[] checkedOutputDim(String what, Shape ys, int n, int c, int h, int w) {
        if (n != ys.n() || c != ys.c() || h != ys.h() || w != ys.w())
            throw new IllegalStateException(what + ": cuDNN computes an output of (" + n + ", " + c + ", " + h + ", " + w + "), the engine " + ys);
        return new int[] {n, c, h, w};
    }
}
