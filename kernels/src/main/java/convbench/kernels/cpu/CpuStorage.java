package convbench.kernels.cpu;

import convbench.engine.tensor.Storage;

/** A tensor's memory on the CPU: a float array from the backend's pool (possibly longer than the tensor). */
final class CpuStorage extends Storage {
    final float[] data;

    CpuStorage(CpuBackend backend, float[] data) {
        super(backend, 4L * data.length);
        this.data = data;
    }
}
