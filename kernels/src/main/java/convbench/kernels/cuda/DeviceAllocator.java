package convbench.kernels.cuda;

import convbench.engine.DeviceMemoryException;
import jcuda.Pointer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static jcuda.runtime.JCuda.cudaFree;
import static jcuda.runtime.JCuda.cudaGetLastError;
import static jcuda.runtime.JCuda.cudaMalloc;
import static jcuda.runtime.JCuda.cudaMemGetInfo;
import static jcuda.runtime.cudaError.cudaErrorMemoryAllocation;

/**
 * A caching device allocator: blocks are rounded up to a size class and, when freed, kept in a free
 * list per class for the next request of that class. A training step asks for the same sizes every
 * time, so after the first step no cudaMalloc happens ({@link #mallocs()} counts them).
 *
 * <p>Reuse is safe without events because the backend runs everything on one stream: a block freed
 * on the host while a kernel that reads it is still queued can only be handed to work queued after
 * that kernel on the same stream.
 *
 * <p>Size classes: 512 bytes minimum, then four steps per power of two (2^k, 1.25, 1.5, 1.75 x 2^k),
 * so at most 25 % is wasted. When cudaMalloc fails the whole cache is released and the allocation is
 * tried again; if it still fails a {@link DeviceMemoryException} says what was asked for and what was
 * free and in use.
 */
final class DeviceAllocator {
    private final String device;
    private final Map<Long, ArrayDeque<Pointer>> free = new HashMap<>();
    private final Map<Pointer, Long> live = new IdentityHashMap<>();
    private long reserved, peakReserved, tensorBytes, peakTensorBytes, mallocs;
    private boolean closed;

    DeviceAllocator(String device) { this.device = device; }

    /** The size class a request is served from. */
    static long sizeClass(long bytes) {
        if (bytes <= 512) return 512;
        long p = Long.highestOneBit(bytes);
        long step = Math.max(512, p / 4);
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least bytes; tensor says whether it counts as tensor memory (in use) or internal (workspace, plan buffers). */
    synchronized Block alloc(long bytes, boolean tensor) {
        if (closed) throw new IllegalStateException("the CUDA backend on " + device + " is closed");
        long size = sizeClass(bytes);
        ArrayDeque<Pointer> q = free.get(size);
        Pointer p = q == null ? null : q.poll();
        if (p == null) p = malloc(size);
        live.put(p, size);
        if (tensor) {
            tensorBytes += size;
            peakTensorBytes = Math.max(peakTensorBytes, tensorBytes);
        }
        return new Block(p, size, tensor);
    }

    synchronized void release(Block b) {
        if (closed || live.remove(b.ptr) == null) return;
        if (b.tensor) tensorBytes -= b.size;
        free.computeIfAbsent(b.size, k -> new ArrayDeque<>()).push(b.ptr);
    }

    /** Returns a block to the driver at once instead of caching it (a large one-off buffer; synchronises the device). */
    synchronized void releaseToDriver(Block b) {
        if (closed || live.remove(b.ptr) == null) return;
        if (b.tensor) tensorBytes -= b.size;
        cudaFree(b.ptr);
        reserved -= b.size;
    }

    private Pointer malloc(long size) {
        Pointer p = new Pointer();
        int status = cudaMalloc(p, size);
        if (status == cudaErrorMemoryAllocation) {
            cudaGetLastError(); // clear it
            emptyCache();
            status = cudaMalloc(p, size);
        }
        if (status == cudaErrorMemoryAllocation) {
            cudaGetLastError();
            long[] freeBytes = {0}, total = {0};
            cudaMemGetInfo(freeBytes, total);
            throw new DeviceMemoryException(device, size, freeBytes[0], tensorBytes);
        }
        Cuda.rt(status, "cudaMalloc", Math.max(1, size >> 20) + " MiB on " + device);
        mallocs++;
        reserved += size;
        peakReserved = Math.max(peakReserved, reserved);
        return p;
    }

    /** Returns every cached (not live) block to the driver. */
    synchronized void emptyCache() {
        for (Map.Entry<Long, ArrayDeque<Pointer>> e : free.entrySet()) {
            for (Pointer p : e.getValue()) {
                cudaFree(p);
                reserved -= e.getKey();
            }
        }
        free.clear();
    }

    /** Frees everything, live blocks included (the backend is closing). */
    synchronized void close() {
        if (closed) return;
        emptyCache();
        List<Pointer> all = new ArrayList<>(live.keySet());
        for (Pointer p : all) cudaFree(p);
        live.clear();
        reserved = 0;
        tensorBytes = 0;
        closed = true;
    }

    synchronized long mallocs() { return mallocs; }

    synchronized long tensorBytes() { return tensorBytes; }

    synchronized long peakTensorBytes() { return peakTensorBytes; }

    synchronized long reserved() { return reserved; }

    synchronized long peakReserved() { return peakReserved; }

    synchronized void resetPeaks() {
        peakTensorBytes = tensorBytes;
        peakReserved = reserved;
    }

    /** A device block: its pointer, its class size, and whether it holds a tensor. */
    record Block(Pointer ptr, long size, boolean tensor) {}
}
