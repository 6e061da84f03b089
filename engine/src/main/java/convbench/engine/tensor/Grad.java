package convbench.engine.tensor;

/**
 * Where a backward pass writes one gradient. {@code accumulate} false overwrites the buffer
 * (cuDNN beta = 0: the first contribution); true adds to it (beta = 1: a second branch of the
 * graph joining, e.g. the ResNet shortcut and residual both reading the same tensor).
 */
public record Grad(Tensor t, boolean accumulate) {
    public float beta() { return accumulate ? 1f : 0f; }
}
