package convbench.engine;

/** Element type of a tensor. The engine computes in FP32; the half types are reserved for the GPU path. */
public enum DType {
    FP32(4), FP16(2), BF16(2);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }
}
