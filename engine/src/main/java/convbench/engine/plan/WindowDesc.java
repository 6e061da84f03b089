package convbench.engine.plan;

import convbench.engine.tensor.Shape;

/**
 * A strided window between two NCHW tensors of equal N and C:
 * y[n, c, i, j] = x[n, c, i * strideH - padTop, j * strideW - padLeft], zero where that falls outside x.
 * Explicit zero padding is strides 1 with pads; the ResNet shortcut's subsample (a 1 x 1 max pool
 * of stride s) is stride s without pads; a crop is negative pads.
 */
public record WindowDesc(Shape x, int strideH, int strideW, int padTop, int padBottom, int padLeft, int padRight) {
    public int outH() { return (x.h() + padTop + padBottom - 1) / strideH + 1; }

    public int outW() { return (x.w() + padLeft + padRight - 1) / strideW + 1; }

    public Shape y() { return Shape.nchw(x.n(), x.c(), outH(), outW()); }
}
