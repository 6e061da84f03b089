package convbench.kernels.cuda;

import convbench.engine.tensor.Storage;
import jcuda.Pointer;

/** A tensor's device memory: one block of the backend's caching allocator. */
final class CudaStorage extends Storage {
    final DeviceAllocator.Block block;

    CudaStorage(CudaBackend backend, DeviceAllocator.Block block) {
        super(backend, block.size());
        this.block = block;
    }

    Pointer ptr() { return block.ptr(); }
}
