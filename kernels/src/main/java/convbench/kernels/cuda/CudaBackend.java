package convbench.kernels.cuda;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.MemoryStats;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Storage;
import convbench.engine.tensor.Tensor;
import convbench.engine.Timer;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.BatchNormPlan;
import convbench.engine.plan.ConcatPlan;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.ConvPlan;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.DensePlan;
import convbench.engine.plan.DropoutPlan;
import convbench.engine.plan.ElementwisePlan;
import convbench.engine.plan.LossPlan;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;
import convbench.engine.plan.SgdPlan;
import convbench.engine.plan.SoftmaxPlan;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.jcublas.cublasHandle;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.runtime.cudaStream_t;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.jcublas.JCublas2.cublasCreate;
import static jcuda.jcublas.JCublas2.cublasDestroy;
import static jcuda.jcublas.JCublas2.cublasSetMathMode;
import static jcuda.jcublas.JCublas2.cublasSetStream;
import static jcuda.jcublas.cublasMath.CUBLAS_DEFAULT_MATH;
import static jcuda.jcublas.cublasMath.CUBLAS_TF32_TENSOR_OP_MATH;
import static jcuda.jcudnn.JCudnn.cudnnCreate;
import static jcuda.jcudnn.JCudnn.cudnnDestroy;
import static jcuda.jcudnn.JCudnn.cudnnSetStream;
import static jcuda.jcudnn.JCudnn.cudnnSetTensor;
import static jcuda.runtime.JCuda.cudaFree;
import static jcuda.runtime.JCuda.cudaSetDevice;
import static jcuda.runtime.JCuda.cudaStreamCreateWithFlags;
import static jcuda.runtime.JCuda.cudaStreamDestroy;
import static jcuda.runtime.JCuda.cudaStreamSynchronize;

/**
 * The CUDA backend: cuDNN and cuBLAS through JCuda, plus convbench's own kernels where those libraries
 * have no call (losses, SGD).
 *
 * <ul>
 *   <li>One cuDNN handle and one cuBLAS handle, both on one non-blocking stream that every call of this
 *       backend uses; nothing synchronises inside a step except {@link Timer#elapsedMillis} (uploads and
 *       downloads synchronise, and happen only outside the timed steps).</li>
 *   <li>Memory from a caching allocator ({@link CudaMemory}, {@link DeviceAllocator}); plans make their descriptors, choose
 *       their algorithms and reserve the shared workspace when they are created, never in a step.</li>
 *   <li>Precision: "fp32" is strict FP32 (cuDNN CUDNN_FMA_MATH, cuBLAS CUBLAS_DEFAULT_MATH, which never
 *       uses TF32 for FP32 data); "tf32" lets both use TF32 tensor cores (CUDNN_DEFAULT_MATH,
 *       CUBLAS_TF32_TENSOR_OP_MATH).</li>
 * </ul>
 * Open it through {@link CudaProvider} (ServiceLoader kind "cuda"), which loads the native libraries first.
 */
public final class CudaBackend implements Backend {
    /** The backend whose device and context this thread last bound (see {@link #enter()}). */
    private static final ThreadLocal<CudaBackend> BOUND = new ThreadLocal<>();

    private final int index;
    private final BackendOptions options;
    private final CudaDevice gpu;
    private final CUcontext context = new CUcontext();
    private final CUdevice device = new CUdevice();
    private final cudaStream_t stream = new cudaStream_t();
    private final cudnnHandle dnn = new cudnnHandle();
    private final cublasHandle blas = new cublasHandle();
    private final CudaMemory mem;
    private final CudaKernels kernels;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private boolean closed;

    /** The backend the calling thread last bound, or null (for messages about library calls). */
    static CudaBackend bound() { return BOUND.get(); }

    /** Opens device index; the native libraries must be loaded (CudaProvider does that). */
    CudaBackend(int index, BackendOptions options) {
        this.index = index;
        this.options = options;
        String where = "cuda:" + index;
        Cuda.rt(cudaSetDevice(index), "cudaSetDevice", where);
        Cuda.rt(cudaFree(new Pointer()), "cudaFree(0) (creating the context)", where);
        gpu = CudaDevice.query(index);

        // The driver API (own kernels) runs in the runtime's primary context.
        Cuda.drv(cuInit(0), "cuInit", where);
        Cuda.drv(cuDeviceGet(device, index), "cuDeviceGet", where);
        Cuda.drv(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain", where);
        int made = 0; // what exists so far: 1 the context retained, 2 the stream, 3 cuDNN, 4 cuBLAS
        try {
            made = 1;
            Cuda.drv(cuCtxSetCurrent(context), "cuCtxSetCurrent", where);
            BOUND.set(this);
            Cuda.rt(cudaStreamCreateWithFlags(stream, jcuda.runtime.JCuda.cudaStreamNonBlocking), "cudaStreamCreateWithFlags", where);
            made = 2;
            Cuda.dnn(cudnnCreate(dnn), "cudnnCreate", where);
            made = 3;
            Cuda.dnn(cudnnSetStream(dnn, stream), "cudnnSetStream", where);
            Cuda.blas(cublasCreate(blas), "cublasCreate", where);
            made = 4;
            Cuda.blas(cublasSetStream(blas, stream), "cublasSetStream", where);
            Cuda.blas(cublasSetMathMode(blas, tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode", where);
            mem = new CudaMemory(this, where);
            kernels = new CudaKernels(this);
        } catch (RuntimeException | Error e) {
            // undo what was made, so a failed open leaves no handle, stream or context reference behind
            if (made >= 4) cublasDestroy(blas);
            if (made >= 3) cudnnDestroy(dnn);
            if (made >= 2) cudaStreamDestroy(stream);
            cuDevicePrimaryCtxRelease(device);
            if (BOUND.get() == this) BOUND.remove();
            throw e;
        }
        environment.putAll(CudaEnvironment.describe(this, gpu, blas, kernels));
    }

    // ---- what the plans use ----

    cudaStream_t stream() { return stream; }

    cudnnHandle dnn() { return dnn; }

    cublasHandle blas() { return blas; }

    CudaKernels kernels() { return kernels; }

    String deviceName() { return gpu.name(); }

    boolean tf32() { return options.precision().equals("tf32"); }

    boolean find() { return options.convAlgo().equals("find"); }

    /**
     * Binds this backend's device and context to the calling thread, once per thread (the runtime's
     * current device and the driver's current context are per thread). Every entry point calls it.
     */
    void enter() {
        if (closed) throw new IllegalStateException("the CUDA backend cuda:" + index + " is closed");
        if (BOUND.get() != this) {
            Cuda.rt(cudaSetDevice(index), "cudaSetDevice", "cuda:" + index);
            Cuda.drv(cuCtxSetCurrent(context), "cuCtxSetCurrent", "cuda:" + index);
            BOUND.set(this);
        }
    }

    /**
     * A fallback the backend took (a fused call cuDNN refused, ...): printed on stderr the first time for
     * each key, and kept in the environment, so a run's report shows it.
     */
    void warnOnce(String key, String message) {
        synchronized (environment) {
            if (environment.containsKey("fallback: " + key)) return;
            environment.put("fallback: " + key, message);
        }
        System.err.println("convbench: " + message);
    }

    /** The device pointer of a tensor of this backend. */
    Pointer ptr(Tensor t) {
        if (!(t.storage() instanceof CudaStorage s) || t.backend() != this)
            throw new IllegalArgumentException("tensor " + t.shape() + " lives on " + t.backend().name() + ", not " + name());
        return s.ptr();
    }

    /** The device memory: tensors, plan buffers, the shared workspace, copies and transfers. */
    CudaMemory mem() { return mem; }

    /** cudaMalloc calls so far (the caching allocator's misses). */
    public long mallocCount() { return mem.mallocs(); }

    /** Every element of a buffer described by desc set to value (cudnnSetTensor). */
    void setTensor(cudnnTensorDescriptor desc, Pointer p, float value) {
        Cuda.dnn(cudnnSetTensor(dnn, desc, p, Pointer.to(new float[] {value})), "cudnnSetTensor", "a fill with " + value);
    }

    // ---- Backend ----

    @Override public String name() { return "cuda:" + index; }

    @Override public Map<String, String> environment() {
        synchronized (environment) {
            return new LinkedHashMap<>(environment);
        }
    }

    @Override public Tensor alloc(Shape shape) { return mem.alloc(shape); }

    @Override public void free(Storage storage) { mem.free(storage); }

    @Override public void upload(Tensor t, float[] src) { mem.upload(t, src); }

    @Override public void download(Tensor t, float[] dst) { mem.download(t, dst); }

    @Override public void fill(Tensor t, float value) { mem.fill(t, value); }

    @Override public void copy(Tensor src, Tensor dst) { mem.copy(src, dst); }

    @Override public MemoryStats memory() { return mem.stats(); }

    @Override public void resetPeakMemory() { mem.resetPeaks(); }

    // ---- plans ----

    @Override public ConvPlan conv(ConvDesc d) { enter(); return new CudaConv(this, d); }

    @Override public DensePlan dense(DenseDesc d) { enter(); return new CudaDense(this, d); }

    @Override public PoolPlan pool(PoolDesc d) { enter(); return new CudaPool(this, d); }

    @Override public LrnPlan lrn(LrnDesc d) { enter(); return new CudaLrn(this, d); }

    @Override public BatchNormPlan batchNorm(BatchNormDesc d) { enter(); return new CudaBatchNorm(this, d); }

    @Override public ActivationPlan activation(Shape shape, Activation kind) { enter(); return new CudaActivation(this, shape, kind); }

    @Override public SoftmaxPlan softmax(Shape shape) { enter(); return new CudaSoftmax(this, shape); }

    @Override public ElementwisePlan elementwise(Shape shape) { enter(); return new CudaElementwise(this, shape); }

    @Override public ConcatPlan concat(List<Shape> parts) { enter(); return new CudaConcat(this, parts); }

    @Override public WindowPlan window(WindowDesc d) { enter(); return new CudaWindow(this, d); }

    @Override public DropoutPlan dropout(Shape shape, double keep) { enter(); return new CudaDropout(this, shape, keep); }

    @Override public LossPlan loss(Shape shape) { enter(); return new CudaLoss(this, shape); }

    @Override public SgdPlan sgd(Shape shape) { enter(); return new CudaSgd(this, shape); }

    // ---- time ----

    /** CUDA events recorded on the stream; elapsedMillis waits for the stop event only. */
    @Override public Timer timer() {
        enter();
        return new CudaTimer(this);
    }

    /** True once {@link #close()} has run. */
    boolean closed() { return closed; }

    /**
     * Starts the profiler's capture range (cudaProfilerStart: nsys profile --capture-range=cudaProfilerApi).
     * Not marked @Override: the engine's Backend declares it (as a default no-op) on the main branch only.
     */
    public void profilerStart() {
        enter();
        Cuda.rt(jcuda.runtime.JCuda.cudaProfilerStart(), "cudaProfilerStart", name());
    }

    /** Stops the capture range (cudaProfilerStop). */
    public void profilerStop() {
        enter();
        Cuda.rt(jcuda.runtime.JCuda.cudaProfilerStop(), "cudaProfilerStop", name());
    }

    @Override public void synchronize() {
        enter();
        Cuda.rt(cudaStreamSynchronize(stream), "cudaStreamSynchronize", name());
    }

    /** The device's peak rate ({@link CudaDevice#peakGflops}). */
    @Override public double peakGflops(String precision) { return gpu.peakGflops(precision); }

    @Override public synchronized void close() {
        if (closed) return;
        try {
            enter();
            cudaStreamSynchronize(stream);
        } catch (RuntimeException e) {
            // closing anyway
        }
        kernels.close();
        mem.close();
        cudnnDestroy(dnn);
        cublasDestroy(blas);
        cudaStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
        closed = true;
        if (BOUND.get() == this) BOUND.remove();
    }
}
