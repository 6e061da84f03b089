package convbench.engine.ops;

import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.plan.WindowDesc;

/**
 * y[n, c, i, j] = x[n, c, i * s, j * s]: the ResNet shortcut's subsample, slim.max_pool2d(x, [1, 1], stride=s)
 * (a 1 x 1 window's max is the value itself).
 */
public final class Subsample extends WindowOp {
    private final int stride;

    public Subsample(String name, int stride) {
        super(name);
        if (stride <= 0) throw new OpException("subsample", name, "stride " + stride + " must be positive");
        this.stride = stride;
    }

    @Override public String describe() { return "subsample /" + stride; }

    /** y[n, c, i, j] = x[n, c, i * s, j * s]: a window with stride s and no pads (dx: dy at every s-th cell, 0 elsewhere). */
    @Override WindowDesc window(Shape x) {
        Geometry.requireRank4("subsample", name(), x);
        return new WindowDesc(x, stride, stride, 0, 0, 0, 0);
    }
}
