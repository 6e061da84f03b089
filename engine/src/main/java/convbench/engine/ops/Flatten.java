package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;

/** (N, C, H, W) -> (N, C*H*W) in NCHW order (tf.reshape of an NCHW tensor), a view without a copy. */
public final class Flatten extends Layer {
    public Flatten(String name) { super(name); }

    @Override public String describe() { return "flatten"; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        if (x.shape().rank() < 2) throw new OpException("flatten", name(), "expects a batch, got x " + x.shape());
        Tensor y = ctx.own(x.view(x.shape().flatten2d()));
        return ctx.end(this, y, () -> backward(ctx, x, y), x);
    }

    /** dx = dy reshaped: the gradient buffer is shared, not copied, when x has no other reader yet. */
    private void backward(Ctx ctx, Tensor x, Tensor y) {
        Tape tape = ctx.tape();
        Tensor dy = tape.grad(y);
        if (!tape.aliasGrad(x, dy)) {
            var dx = tape.gradFor(x);
            if (dx != null) {
                try (Tensor v = dy.view(x.shape())) {
                    ctx.backend().elementwise(x.shape()).scaleInto(1f, v, dx);
                }
            }
        }
    }
}
