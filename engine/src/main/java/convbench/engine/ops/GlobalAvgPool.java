package convbench.engine.ops;

import convbench.engine.spec.PoolMode;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.Tape;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;

/** y[n, c, 0, 0] = mean over (h, w) of x[n, c, h, w] (tf.reduce_mean(x, [1, 2], keep_dims=True)). */
public final class GlobalAvgPool extends Layer {
    private final PlanCache<Shape, PoolPlan> plan = planCache();

    public GlobalAvgPool(String name) { super(name); }

    @Override public String describe() { return "global avg pool"; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        Geometry.requireRank4("global_avg_pool", name(), x.shape());
        PoolPlan p = plan.get(x.shape(), s -> ctx.backend().pool(new PoolDesc(s, PoolMode.AVG, s.h(), s.w(), s.h(), s.w(), 0, 0, 0, 0)));
        Tensor y = ctx.alloc(p.desc().y()); // (N, C, 1, 1)
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /** dx[n, c, h, w] = dy[n, c] / (H * W). */
    private void backward(Tape tape, PoolPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(x, y, tape.grad(y), dx);
    }
}
