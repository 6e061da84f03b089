package convbench.kernels.cuda;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.tensor.DType;
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
import static jcuda.runtime.JCuda.cudaDeviceSynchronize;
import static jcuda.runtime.JCuda.cudaMemcpy;
import static jcuda.runtime.JCuda.cudaMemcpyAsync;
import static jcuda.runtime.JCuda.cudaMemsetAsync;
import static jcuda.runtime.JCuda.cudaSetDevice;
import static jcuda.runtime.JCuda.cudaStreamCreateWithFlags;
import static jcuda.runtime.JCuda.cudaStreamDestroy;
import static jcuda.runtime.JCuda.cudaStreamSynchronize;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyDeviceToDevice;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyDeviceToHost;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyHostToDevice;

/**
 * The CUDA backend: cuDNN and cuBLAS through JCuda, plus convbench's own kernels where those libraries
 * have no call (losses, SGD).
 *
 * <ul>
 *   <li>One cuDNN handle and one cuBLAS handle, both on one non-blocking stream that every call of this
 *       backend uses; nothing synchronises inside a step except {@link Timer#elapsedMillis} (uploads and
 *       downloads synchronise, and happen only outside the timed steps).</li>
 *   <li>Memory from a caching allocator ({@link DeviceAllocator}); plans make their descriptors, choose
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
    private final DeviceAllocator mem;
    private final CudaKernels kernels;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private DeviceAllocator.Block workspace;
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
            mem = new DeviceAllocator(where);
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

    /** A device buffer for a plan (descriptors' companions: pad buffers, scratch); not tensor memory. Return it with {@link #release}. */
    DeviceAllocator.Block buffer(long bytes) {
        enter();
        return mem.alloc(bytes, false);
    }

    void release(DeviceAllocator.Block b) {
        if (b != null && !closed) mem.release(b);
    }

    /** Gives a large one-off buffer (cudnnFind's scratch) back to the driver instead of the cache. */
    void releaseToDriver(DeviceAllocator.Block b) {
        if (b != null && !closed) mem.releaseToDriver(b);
    }

    /** Grows the shared workspace to at least bytes (at plan creation; never during a step). */
    synchronized void reserveWorkspace(long bytes) {
        if (workspace != null && workspace.size() >= bytes) return;
        // The old block goes back to the driver, not the cache: its size would rarely be asked for again.
        // Plans read the workspace at each call, so none keeps the old pointer.
        if (workspace != null) {
            mem.releaseToDriver(workspace);
            workspace = null;
        }
        workspace = buffer(bytes);
    }

    synchronized Pointer workspace() { return workspace == null ? new Pointer() : workspace.ptr(); }

    synchronized long workspaceSize() { return workspace == null ? 0 : workspace.size(); }

    /** cudaMalloc calls so far (the caching allocator's misses). */
    public long mallocCount() { return mem.mallocs(); }

    void memsetZero(Pointer p, long bytes) {
        Cuda.rt(cudaMemsetAsync(p, 0, bytes, stream), "cudaMemsetAsync", bytes + " bytes");
    }

    /** dst = src, device to device on the stream. */
    void copyBytes(Pointer src, Pointer dst, long bytes) {
        Cuda.rt(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync", bytes + " bytes device to device");
    }

    /** Host values into a device buffer (at plan creation). */
    void uploadFloats(float[] src, Pointer dst) {
        hostToDevice(src, dst, Cuda.bytes(src.length), src.length + " floats to the device");
    }

    /**
     * A synchronous copy from a Java array, never inside a timed step (parameters, images and plan
     * constants are uploaded before timing starts). JCuda pins the array only for the duration of the
     * call, and CUDA documents a copy from pageable memory as done only once the device has it after a
     * synchronisation, so: the stream's earlier work first (it may still use dst), the copy, then the
     * device, before the array is let go.
     */
    private void hostToDevice(float[] src, Pointer dst, long bytes, String what) {
        enter();
        Cuda.rt(cudaStreamSynchronize(stream), "cudaStreamSynchronize", what);
        Cuda.rt(cudaMemcpy(dst, Pointer.to(src), bytes, cudaMemcpyHostToDevice), "cudaMemcpy", what);
        Cuda.rt(cudaDeviceSynchronize(), "cudaDeviceSynchronize", what);
    }

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

    @Override public Tensor alloc(Shape shape) {
        enter();
        DeviceAllocator.Block b = mem.alloc(Cuda.bytes(Math.max(1, shape.size())), true);
        return new Tensor(shape, DType.FP32, new CudaStorage(this, b));
    }

    @Override public void free(Storage storage) {
        if (storage instanceof CudaStorage s) mem.release(s.block);
    }

    @Override public void upload(Tensor t, float[] src) {
        enter();
        long n = t.size();
        if (src.length < n) throw new IllegalArgumentException(src.length + " values do not fill a tensor of shape " + t.shape());
        if (n == 0) return;
        hostToDevice(src, ptr(t), Cuda.bytes(n), "an upload of " + t.shape());
    }

    @Override public void download(Tensor t, float[] dst) {
        enter();
        long n = t.size();
        if (dst.length < n) throw new IllegalArgumentException(dst.length + " floats cannot hold a tensor of shape " + t.shape());
        if (n == 0) return;
        // The stream's work first, then a synchronous copy, which returns only once the array holds the values
        // (an asynchronous one would let JCuda unpin the array while the copy may still be writing it).
        Cuda.rt(cudaStreamSynchronize(stream), "cudaStreamSynchronize", "a download of " + t.shape());
        Cuda.rt(cudaMemcpy(Pointer.to(dst), ptr(t), Cuda.bytes(n), cudaMemcpyDeviceToHost), "cudaMemcpy", "a download of " + t.shape());
    }

    @Override public void fill(Tensor t, float value) {
        enter();
        if (t.size() == 0) return;
        if (Float.floatToRawIntBits(value) == 0) {
            memsetZero(ptr(t), Cuda.bytes(t.size()));
            return;
        }
        cudnnTensorDescriptor d = Cuda.tensor(t.shape());
        try {
            setTensor(d, ptr(t), value);
        } finally {
            Cuda.destroy(d);
        }
    }

    @Override public void copy(Tensor src, Tensor dst) {
        enter();
        if (src.size() != dst.size()) throw new IllegalArgumentException("copy between sizes " + src.shape() + " and " + dst.shape());
        if (src.size() > 0) copyBytes(ptr(src), ptr(dst), Cuda.bytes(src.size()));
    }

    @Override public MemoryStats memory() {
        return new MemoryStats(mem.tensorBytes(), mem.peakTensorBytes(), mem.reserved(), mem.peakReserved());
    }

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
        workspace = null;
        cudnnDestroy(dnn);
        cublasDestroy(blas);
        cudaStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
        closed = true;
        if (BOUND.get() == this) BOUND.remove();
    }
}
