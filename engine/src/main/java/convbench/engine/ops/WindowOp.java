package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.Tape;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/**
 * The one op behind {@link Pad} (pad and crop) and {@link Subsample}: a strided window of x,
 * y[n, c, i, j] = x[n, c, i * sh - pt, j * sw - pl], 0 where that falls outside x ({@link Pad.Reference}).
 * Each subclass says which window (and checks that x fits it); forward and backward are here.
 */
public abstract class WindowOp extends Layer {
    private final PlanCache<Shape, WindowPlan> plan = planCache();

    WindowOp(String name) { super(name); }

    /** The window for an input of shape x, after checking that x fits it. */
    abstract WindowDesc window(Shape x);

    public final Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        WindowPlan p = plan.get(x.shape(), s -> ctx.backend().window(window(s)));
        Tensor y = ctx.alloc(p.desc().y());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /**
     * dx[n, c, i * sh - pt, j * sw - pl] = dy[n, c, i, j]: each output's gradient goes back to the cell it
     * copied; cells no output read (the padding's own cells have no x; cropped or skipped cells) get 0.
     * dx accumulates when x already has a gradient from another reader, else it is overwritten.
     */
    private void backward(Tape tape, WindowPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(tape.grad(y), dx);
    }
}
