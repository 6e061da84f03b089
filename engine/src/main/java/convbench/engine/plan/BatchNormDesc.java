package convbench.engine.plan;

import convbench.engine.tensor.Shape;

/**
 * Spatial batch normalisation over (N, H, W) per channel. Without scale gamma is fixed at 1
 * (Inception v3); epsilon as the net says (0.001 Inception, 1e-5 ResNet v2).
 */
public record BatchNormDesc(Shape x, double epsilon, boolean scale) {
    public int channels() { return x.c(); }

    public Shape param() { return Shape.of(x.c()); }
}
