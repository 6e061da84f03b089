package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.Tensor;
import convbench.engine.plan.SoftmaxPlan;

/** Softmax over channels: y[c] = exp(x[c]) / sum_c' exp(x[c']) (computed with the max subtracted). */
public final class Softmax extends Layer {
    private SoftmaxPlan plan;

    public Softmax(String name) { super(name); }

    @Override public String describe() { return "softmax"; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        if (x.shape().rank() != 2 && x.shape().rank() != 4)
            throw new OpException("softmax", name(), "expects (N, C) or (N, C, H, W), got x " + x.shape());
        if (plan == null || !plan.shape().equals(x.shape())) {
            closePlans();
            plan = ctx.backend().softmax(x.shape());
        }
        SoftmaxPlan p = plan;
        Tensor y = ctx.alloc(x.shape());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /** dx[c] = y[c] * (dy[c] - sum_c' dy[c'] y[c']). */
    private void backward(Tape tape, SoftmaxPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(y, tape.grad(y), dx);
    }

    @Override public void closePlans() {
        if (plan != null) plan.close();
        plan = null;
    }
}
