package convbench.engine.ops;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.tensor.Grad;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.ConcatPlan;

import java.util.ArrayList;
import java.util.List;

/** tf.split(x, sizes, axis=channels): the inverse of {@link Concat}. */
public final class Split extends Layer {
    private final int[] sizes;
    private final PlanCache<Shape, ConcatPlan> plan = planCache();

    public Split(String name, int... sizes) {
        super(name);
        if (sizes.length == 0) throw new OpException("split", name, "needs at least one part");
        for (int s : sizes) if (s <= 0) throw new OpException("split", name, "part sizes must be positive, got " + java.util.Arrays.toString(sizes));
        this.sizes = sizes.clone();
    }

    @Override public String describe() { return "split " + java.util.Arrays.toString(sizes); }

    private ConcatPlan plan(Backend be, Shape x) {
        return plan.get(x, whole -> {
            Geometry.requireRank4("split", name(), whole);
            int total = 0;
            for (int s : sizes) total += s;
            if (total != whole.c())
                throw new OpException("split", name(), "parts " + java.util.Arrays.toString(sizes) + " sum to " + total + " channels, x " + whole + " has " + whole.c());
            List<Shape> parts = new ArrayList<>();
            for (int s : sizes) parts.add(Shape.nchw(whole.n(), s, whole.h(), whole.w()));
            return be.concat(parts);
        });
    }

    public List<Tensor> forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        ConcatPlan p = plan(ctx.backend(), x.shape());
        List<Tensor> ys = new ArrayList<>();
        List<Grad> outs = new ArrayList<>();
        for (Shape s : p.parts()) {
            Tensor y = ctx.alloc(s);
            ys.add(y);
            outs.add(new Grad(y, false));
        }
        p.split(x, outs);
        Tensor[] arr = ys.toArray(new Tensor[0]);
        ctx.endMany(this, arr, () -> backward(ctx.tape(), ctx.backend(), p, x, arr), x);
        return ys;
    }

    /** dx = concat(dy_i), with zeros for parts that received no gradient. */
    private void backward(Tape tape, Backend be, ConcatPlan p, Tensor x, Tensor[] ys) {
        Grad dx = tape.gradFor(x);
        if (dx == null) return;
        List<Tensor> dys = new ArrayList<>();
        List<Tensor> zeros = new ArrayList<>();
        for (Tensor y : ys) {
            Tensor g = tape.grad(y);
            if (g == null) {
                g = be.zeros(y.shape());
                zeros.add(g);
            }
            dys.add(g);
        }
        if (!dx.accumulate()) {
            p.concat(dys, dx.t());
        } else {
            try (Tensor tmp = be.alloc(x.shape())) {
                p.concat(dys, tmp);
                be.elementwise(x.shape()).scaleInto(1f, tmp, dx);
            }
        }
        for (Tensor z : zeros) z.close();
    }
}
