package convbench.engine.ops;

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

/** tf.concat(xs, axis=channels) of NCHW tensors equal in N, H and W. */
public final class Concat extends Layer {
    private final PlanCache<List<Shape>, ConcatPlan> plan = planCache();

    public Concat(String name) { super(name); }

    @Override public String describe() { return "concat"; }

    static void checkParts(String op, String layer, List<Shape> parts) {
        if (parts.isEmpty()) throw new OpException(op, layer, "needs at least one tensor");
        Shape a = parts.get(0);
        for (Shape s : parts) {
            if (s.rank() != 4) throw new OpException(op, layer, "expects NCHW tensors, got " + parts);
            if (s.n() != a.n() || s.h() != a.h() || s.w() != a.w())
                throw new OpException(op, layer, "tensors must agree in N, H and W, got " + parts);
        }
    }

    public Tensor forward(Ctx ctx, List<Tensor> xs) {
        ctx.begin(this);
        List<Shape> shapes = new ArrayList<>(xs.size());
        for (Tensor x : xs) shapes.add(x.shape());
        ConcatPlan p = plan.get(shapes, parts -> {
            checkParts("concat", name(), parts);
            return ctx.backend().concat(parts);
        });
        Tensor y = ctx.alloc(p.y());
        p.concat(xs, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, xs, y), xs.toArray(new Tensor[0]));
    }

    public Tensor forward(Ctx ctx, Tensor... xs) { return forward(ctx, List.of(xs)); }

    /** dx_i = dy[:, offset_i : offset_i + C_i] (accumulating where x_i already has a gradient). */
    private void backward(Tape tape, ConcatPlan p, List<Tensor> xs, Tensor y) {
        List<Grad> dxs = new ArrayList<>(xs.size());
        for (Tensor x : xs) dxs.add(tape.gradFor(x));
        p.split(tape.grad(y), dxs);
    }

    /**
     * The reference arithmetic of concat and split along channels (float64 plain loops): part i of
     * C_i channels sits at channel offset_i = C_0 + ... + C_{i-1} of y (N, sum C_i, H, W).
     */
    public static final class Reference {
        private Reference() {}

        /** y[:, offset_i : offset_i + C_i] = xs[i], overwriting y. */
        public static void concat(List<Shape> parts, List<double[]> xs, double[] y) {
            int total = 0;
            for (Shape s : parts) total += s.c();
            int offset = 0;
            for (int part = 0; part < parts.size(); part++) {
                Shape s = parts.get(part);
                int plane = s.h() * s.w();
                for (int img = 0; img < s.n(); img++)
                    for (int c = 0; c < s.c(); c++)
                        for (int p = 0; p < plane; p++)
                            y[((img * total) + offset + c) * plane + p] = xs.get(part)[(img * s.c() + c) * plane + p];
                offset += s.c();
            }
        }

        /** dxs[i] += dy[:, offset_i : offset_i + C_i] (null entries skipped). Accumulates. */
        public static void split(List<Shape> parts, double[] dy, List<double[]> dxs) {
            int total = 0;
            for (Shape s : parts) total += s.c();
            int offset = 0;
            for (int part = 0; part < parts.size(); part++) {
                Shape s = parts.get(part);
                int plane = s.h() * s.w();
                double[] dx = dxs.get(part);
                if (dx != null)
                    for (int img = 0; img < s.n(); img++)
                        for (int c = 0; c < s.c(); c++)
                            for (int p = 0; p < plane; p++)
                                dx[(img * s.c() + c) * plane + p] += dy[((img * total) + offset + c) * plane + p];
                offset += s.c();
            }
        }
    }
}
