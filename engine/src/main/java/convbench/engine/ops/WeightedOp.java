package convbench.engine.ops;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.Param;
import convbench.engine.PlanCache;
import convbench.engine.Tape;
import convbench.engine.plan.ActivationPlan;
import convbench.engine.plan.WeightedPlan;
import convbench.engine.spec.Activation;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/**
 * The one skeleton behind {@link Conv2d} and {@link Dense}: z = x (*) w + b (a convolution or a matrix
 * product), y = act(z), the activation fused into the plan's forward. Each subclass says which plan an
 * input gets (and checks that x fits it) and states its formulas; forward and backward are here.
 */
public abstract class WeightedOp<P extends WeightedPlan> extends Layer {
    final Activation act; // y = act(z), fused
    private final PlanCache<Shape, P> plan = planCache();
    private final PlanCache<Shape, ActivationPlan> actPlan = planCache(); // act of the output, when there is one

    WeightedOp(String name, Activation act) {
        super(name);
        this.act = act;
    }

    /** The weights w. */
    public abstract Param weights();

    /** The bias b, or null without bias. */
    public abstract Param biases();

    /** The backend's plan for an input of shape x, after checking that x fits the weights. */
    abstract P makePlan(Backend be, Shape x);

    /** The plan for this input shape (made once per shape), and the activation's plan for its output. */
    final P plan(Backend be, Shape x) {
        return plan.get(x, s -> {
            P made = makePlan(be, s);
            if (act != Activation.NONE) actPlan.get(s, k -> be.activation(made.desc().y(), act));
            return made;
        });
    }

    /** y = act(x (*) w + b): overwrites a new y. */
    public final Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        P p = plan(ctx.backend(), x.shape());
        Tensor y = ctx.alloc(p.desc().y());
        Param w = weights(), b = biases();
        p.forward(x, w.value(), b == null ? null : b.value(), y);
        macs = p.desc().macs();
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /**
     * dz = dy * act'(z), computed in place in dy (its only reader is this op); then the plan's dx, dw and db
     * from dz (the subclass's comment gives the formulas). dx accumulates when x already has a gradient from
     * another reader; dw and db overwrite on the first use of the step.
     */
    private void backward(Tape tape, P p, Tensor x, Tensor y) {
        Tensor dz = tape.grad(y);
        if (act != Activation.NONE) actPlan.current().backward(y, dz, new Grad(dz, false));
        Param w = weights(), b = biases();
        p.backward(x, w.value(), dz, tape.gradFor(x), tape.gradFor(w.value()), b == null ? null : tape.gradFor(b.value()));
    }
}
