package convbench.engine.ops;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.Padding;
import convbench.engine.Shape;
import convbench.engine.Tape;
import convbench.engine.Tensor;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;

/**
 * Max or average pooling, TF semantics. Max: y = max over the window, padding counts as -infinity.
 * Average: y = mean over the window's cells that lie inside x (padding left out of the divisor).
 */
public final class Pool extends Layer {
    private final PoolDesc.Mode mode;
    private final int kh, kw, sh, sw;
    private final Padding padding;
    private PoolPlan plan;

    public Pool(String name, PoolDesc.Mode mode, int kh, int kw, int sh, int sw, Padding padding) {
        super(name);
        this.mode = mode;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.padding = padding;
    }

    public static Pool max(String name, int k, int stride, Padding padding) {
        return new Pool(name, PoolDesc.Mode.MAX, k, k, stride, stride, padding);
    }

    public static Pool avg(String name, int k, int stride, Padding padding) {
        return new Pool(name, PoolDesc.Mode.AVG, k, k, stride, stride, padding);
    }

    private String op() { return mode == PoolDesc.Mode.MAX ? "max_pool" : "avg_pool"; }

    @Override public String describe() {
        return (mode == PoolDesc.Mode.MAX ? "max pool " : "avg pool ") + Geometry.window(kh, kw, sh, sw) + " " + padding;
    }

    private PoolPlan plan(Backend be, Shape x) {
        if (plan != null && plan.desc().x().equals(x)) return plan;
        int[] p = Geometry.pads(op(), name(), x, kh, kw, sh, sw, padding);
        closePlans();
        plan = be.pool(new PoolDesc(x, mode, kh, kw, sh, sw, p[0], p[1], p[2], p[3]));
        return plan;
    }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        PoolPlan p = plan(ctx.backend(), x.shape());
        Tensor y = ctx.alloc(p.desc().y());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /**
     * Max: dx[window argmax] += dy (the first maximum in row-major window order when tied);
     * average: dx[cell] += dy / count for each real cell of each window containing it.
     */
    private void backward(Tape tape, PoolPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(x, y, tape.grad(y), dx);
    }

    @Override public void closePlans() {
        if (plan != null) plan.close();
        plan = null;
    }
}
