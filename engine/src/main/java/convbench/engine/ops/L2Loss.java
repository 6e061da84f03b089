package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.tensor.Shape;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.LossPlan;

/** tf.nn.l2_loss: loss = 0.5 * sum x^2, a (1,) tensor; the seeds' forward-backward objective. */
public final class L2Loss extends Layer {
    private final PlanCache<Shape, LossPlan> plan = planCache();

    public L2Loss(String name) { super(name); }

    @Override public String describe() { return "l2 loss"; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        LossPlan p = plan.get(x.shape(), ctx.backend()::loss);
        Tensor loss = ctx.alloc(Shape.of(1));
        p.l2(x, loss);
        return ctx.end(this, loss, () -> backward(ctx.tape(), p, x, loss), x);
    }

    /** dx = dloss * x; dloss is 1 when this loss is the objective backward starts from. */
    private void backward(Tape tape, LossPlan p, Tensor x, Tensor loss) {
        var dx = tape.gradFor(x);
        if (dx != null) p.l2Backward(x, Losses.dloss(tape, loss), dx);
    }

    /** The reference arithmetic of tf.nn.l2_loss (float64 plain loops). */
    public static final class Reference {
        private Reference() {}

        /** loss = 0.5 * sum x^2. */
        public static double forward(double[] x, int size) {
            double s = 0;
            for (int i = 0; i < size; i++) s += x[i] * x[i];
            return 0.5 * s;
        }

        /** dx += dloss * x. Accumulates. */
        public static void backward(double[] x, double dloss, double[] dx, int size) {
            for (int i = 0; i < size; i++) dx[i] += dloss * x[i];
        }
    }
}
