package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.Tape;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;

/** y = max(x, 0). */
public final class Relu extends Layer {
    private final PlanCache<Shape, ActivationPlan> plan = planCache();

    public Relu(String name) { super(name); }

    @Override public String describe() { return "relu"; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        ActivationPlan p = plan.get(x.shape(), s -> ctx.backend().activation(s, Activation.RELU));
        Tensor y = ctx.alloc(x.shape());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /** dx = dy * [y > 0] (the kink at 0 takes derivative 0, as TF's ReluGrad). */
    private void backward(Tape tape, ActivationPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(y, tape.grad(y), dx);
    }

    /** The reference arithmetic of relu (float64 plain loops). */
    public static final class Reference {
        private Reference() {}

        /** y = max(x, 0), overwriting y (which may be x). */
        public static void forward(double[] x, double[] y, int size) {
            for (int i = 0; i < size; i++) y[i] = Math.max(x[i], 0);
        }

        /** dx += dy * [y > 0], from the output y (the kink at 0 takes derivative 0, as TF's ReluGrad). */
        public static void backward(double[] y, double[] dy, double[] dx, int size) {
            for (int i = 0; i < size; i++) if (y[i] > 0) dx[i] += dy[i];
        }
    }
}
