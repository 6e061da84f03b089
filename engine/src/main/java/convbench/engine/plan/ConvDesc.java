package convbench.engine.plan;

import convbench.engine.spec.Activation;

import convbench.engine.tensor.Shape;

/**
 * A 2-D convolution, NCHW, weights (K, C, kh, kw), with explicit pads that may differ before and after
 * (TF SAME with an odd total pads one more after). The arithmetic is {@link convbench.engine.ops.Conv2d.Reference}.
 */
public record ConvDesc(Shape x, int filters, int kh, int kw, int strideH, int strideW,
                       int padTop, int padBottom, int padLeft, int padRight, boolean bias, Activation act)
        implements WeightedDesc {

    public int outH() { return (x.h() + padTop + padBottom - kh) / strideH + 1; }

    public int outW() { return (x.w() + padLeft + padRight - kw) / strideW + 1; }

    public Shape y() { return Shape.nchw(x.n(), filters, outH(), outW()); }

    public Shape w() { return Shape.nchw(filters, x.c(), kh, kw); }

    public boolean symmetricPad() { return padTop == padBottom && padLeft == padRight; }

    /** Multiply-accumulates of the whole batch (bias and activation not counted). */
    public long macs() { return (long) x.n() * filters * outH() * outW() * x.c() * kh * kw; }
}
