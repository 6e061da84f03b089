package convbench.kernels.cuda;

import convbench.engine.MemoryStats;
import convbench.engine.tensor.DType;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Storage;
import convbench.engine.tensor.Tensor;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.runtime.JCuda.cudaDeviceSynchronize;
import static jcuda.runtime.JCuda.cudaMemcpy;
import static jcuda.runtime.JCuda.cudaMemcpyAsync;
import static jcuda.runtime.JCuda.cudaMemsetAsync;
import static jcuda.runtime.JCuda.cudaStreamSynchronize;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyDeviceToDevice;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyDeviceToHost;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyHostToDevice;

/**
 * The CUDA backend's memory: tensors and the plans' buffers from one caching allocator
 * ({@link DeviceAllocator}), the one workspace every plan shares (grown at plan creation, never during a
 * step), copies and fills on the backend's stream, and the synchronous host transfers (outside the timed
 * steps only). {@link CudaBackend} answers the Backend's memory calls with it; plans reach it through
 * {@link CudaBackend#mem()}.
 */
final class CudaMemory {
    private final CudaBackend be;
    private final DeviceAllocator mem;
    private DeviceAllocator.Block workspace;

    CudaMemory(CudaBackend be, String where) {
        this.be = be;
        this.mem = new DeviceAllocator(where);
    }

    // ---- tensors ----

    Tensor alloc(Shape shape) {
        be.enter();
        DeviceAllocator.Block b = mem.alloc(Cuda.bytes(Math.max(1, shape.size())), true);
        return new Tensor(shape, DType.FP32, new CudaStorage(be, b));
    }

    void free(Storage storage) {
        if (storage instanceof CudaStorage s) mem.release(s.block);
    }

    void upload(Tensor t, float[] src) {
        be.enter();
        long n = t.size();
        if (src.length < n) throw new IllegalArgumentException(src.length + " values do not fill a tensor of shape " + t.shape());
        if (n == 0) return;
        hostToDevice(src, be.ptr(t), Cuda.bytes(n), "an upload of " + t.shape());
    }

    void download(Tensor t, float[] dst) {
        be.enter();
        long n = t.size();
        if (dst.length < n) throw new IllegalArgumentException(dst.length + " floats cannot hold a tensor of shape " + t.shape());
        if (n == 0) return;
        // The stream's work first, then a synchronous copy, which returns only once the array holds the values
        // (an asynchronous one would let JCuda unpin the array while the copy may still be writing it).
        Cuda.rt(cudaStreamSynchronize(be.stream()), "cudaStreamSynchronize", "a download of " + t.shape());
        Cuda.rt(cudaMemcpy(Pointer.to(dst), be.ptr(t), Cuda.bytes(n), cudaMemcpyDeviceToHost), "cudaMemcpy", "a download of " + t.shape());
    }

    void fill(Tensor t, float value) {
        be.enter();
        if (t.size() == 0) return;
        if (Float.floatToRawIntBits(value) == 0) {
            memsetZero(be.ptr(t), Cuda.bytes(t.size()));
            return;
        }
        cudnnTensorDescriptor d = Cuda.tensor(t.shape());
        try {
            be.setTensor(d, be.ptr(t), value);
        } finally {
            Cuda.destroy(d);
        }
    }

    void copy(Tensor src, Tensor dst) {
        be.enter();
        if (src.size() != dst.size()) throw new IllegalArgumentException("copy between sizes " + src.shape() + " and " + dst.shape());
        if (src.size() > 0) copyBytes(be.ptr(src), be.ptr(dst), Cuda.bytes(src.size()));
    }

    MemoryStats stats() {
        return new MemoryStats(mem.tensorBytes(), mem.peakTensorBytes(), mem.reserved(), mem.peakReserved());
    }

    void resetPeaks() { mem.resetPeaks(); }

    /** cudaMalloc calls so far (the caching allocator's misses). */
    long mallocs() { return mem.mallocs(); }

    // ---- what the plans use ----

    /** A device buffer for a plan (descriptors' companions: pad buffers, scratch); not tensor memory. Return it with {@link #release}. */
    DeviceAllocator.Block buffer(long bytes) {
        be.enter();
        return mem.alloc(bytes, false);
    }

    void release(DeviceAllocator.Block b) {
        if (b != null && !be.closed()) mem.release(b);
    }

    /** Gives a large one-off buffer (cudnnFind's scratch) back to the driver instead of the cache. */
    void releaseToDriver(DeviceAllocator.Block b) {
        if (b != null && !be.closed()) mem.releaseToDriver(b);
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

    void memsetZero(Pointer p, long bytes) {
        Cuda.rt(cudaMemsetAsync(p, 0, bytes, be.stream()), "cudaMemsetAsync", bytes + " bytes");
    }

    /** dst = src, device to device on the stream. */
    void copyBytes(Pointer src, Pointer dst, long bytes) {
        Cuda.rt(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, be.stream()), "cudaMemcpyAsync", bytes + " bytes device to device");
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
        be.enter();
        Cuda.rt(cudaStreamSynchronize(be.stream()), "cudaStreamSynchronize", what);
        Cuda.rt(cudaMemcpy(dst, Pointer.to(src), bytes, cudaMemcpyHostToDevice), "cudaMemcpy", what);
        Cuda.rt(cudaDeviceSynchronize(), "cudaDeviceSynchronize", what);
    }

    /** Frees every cached block (the backend is closing). */
    synchronized void close() {
        mem.close();
        workspace = null;
    }
}
