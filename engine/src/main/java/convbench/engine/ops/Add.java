package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.ElementwisePlan;

/** y = a + b, elementwise, same shapes (the ResNet join: shortcut + residual). */
public final class Add extends Layer {
    private final PlanCache<Shape, ElementwisePlan> plan = planCache();

    public Add(String name) { super(name); }

    @Override public String describe() { return "add"; }

    public Tensor forward(Ctx ctx, Tensor a, Tensor b) {
        ctx.begin(this);
        if (!a.shape().equals(b.shape()))
            throw new OpException("add", name(), "shapes differ: a " + a.shape() + ", b " + b.shape());
        ElementwisePlan p = plan.get(a.shape(), ctx.backend()::elementwise);
        Tensor y = ctx.alloc(a.shape());
        p.add(a, b, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, a, b, y), a, b);
    }

    /** da = dy, db = dy. The first is dy's own buffer when a has no gradient yet; the second is copied or added. */
    private void backward(Tape tape, ElementwisePlan p, Tensor a, Tensor b, Tensor y) {
        Tensor dy = tape.grad(y);
        boolean aliased = a != b && tape.aliasGrad(a, dy);
        if (!aliased) {
            var da = tape.gradFor(a);
            if (da != null) p.scaleInto(1f, dy, da);
        }
        var db = tape.gradFor(b);
        if (db != null) p.scaleInto(1f, dy, db);
    }

    /** The reference arithmetic of add and of the scaled copy every gradient join uses (float64 plain loops). */
    public static final class Reference {
        private Reference() {}

        /** y = a + b, overwriting y. */
        public static void forward(double[] a, double[] b, double[] y, int size) {
            for (int i = 0; i < size; i++) y[i] = a[i] + b[i];
        }

        /** dst += alpha * src: backward of add (alpha 1, once for each input) and of flatten. Accumulates. */
        public static void scaleInto(double alpha, double[] src, double[] dst, int size) {
            for (int i = 0; i < size; i++) dst[i] += alpha * src[i];
        }
    }
}
