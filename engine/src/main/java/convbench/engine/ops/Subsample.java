package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;

/**
 * y[n, c, i, j] = x[n, c, i * s, j * s]: the ResNet shortcut's subsample, slim.max_pool2d(x, [1, 1], stride=s)
 * (a 1 x 1 window's max is the value itself).
 */
public final class Subsample extends Layer {
    private final int stride;
    private final PlanCache<Shape, WindowPlan> plan = planCache();

    public Subsample(String name, int stride) {
        super(name);
        if (stride <= 0) throw new OpException("subsample", name, "stride " + stride + " must be positive");
        this.stride = stride;
    }

    @Override public String describe() { return "subsample /" + stride; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        WindowPlan p = plan.get(x.shape(), s -> {
            Geometry.requireRank4("subsample", name(), s);
            return ctx.backend().window(new WindowDesc(s, stride, stride, 0, 0, 0, 0));
        });
        Tensor y = ctx.alloc(p.desc().y());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /** dx[n, c, i * s, j * s] = dy[n, c, i, j], every other cell 0. */
    private void backward(Tape tape, WindowPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(tape.grad(y), dx);
    }
}
