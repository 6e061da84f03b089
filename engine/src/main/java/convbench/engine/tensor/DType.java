package convbench.engine.tensor;

/**
 * Element type of a tensor. The fast backends compute in FP32 (the half types are reserved for the
 * GPU path); the reference backend holds F64, the oracle every fast kernel is tested against.
 */
public enum DType {
    FP32(4), FP16(2), BF16(2), F64(8);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }
}
