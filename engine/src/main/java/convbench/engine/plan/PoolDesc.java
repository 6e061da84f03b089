package convbench.engine.plan;

import convbench.engine.spec.PoolMode;
import convbench.engine.tensor.Shape;

/**
 * Max or average pooling over kh x kw windows. Max pooling treats padding as -infinity;
 * average pooling leaves padded cells out of the divisor (TF SAME, cuDNN COUNT_EXCLUDE_PADDING).
 */
public record PoolDesc(Shape x, PoolMode mode, int kh, int kw, int strideH, int strideW,
                       int padTop, int padBottom, int padLeft, int padRight) {
    public int outH() { return (x.h() + padTop + padBottom - kh) / strideH + 1; }

    public int outW() { return (x.w() + padLeft + padRight - kw) / strideW + 1; }

    public Shape y() { return Shape.nchw(x.n(), x.c(), outH(), outW()); }
}
