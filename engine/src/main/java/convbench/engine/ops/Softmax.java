package convbench.engine.ops;

import convbench.engine.tensor.Shape;
import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.SoftmaxPlan;

/** Softmax over channels: y[c] = exp(x[c]) / sum_c' exp(x[c']) (computed with the max subtracted). */
public final class Softmax extends Layer {
    private final PlanCache<Shape, SoftmaxPlan> plan = planCache();

    public Softmax(String name) { super(name); }

    @Override public String describe() { return "softmax"; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        if (x.shape().rank() != 2 && x.shape().rank() != 4)
            throw new OpException("softmax", name(), "expects (N, C) or (N, C, H, W), got x " + x.shape());
        SoftmaxPlan p = plan.get(x.shape(), ctx.backend()::softmax);
        Tensor y = ctx.alloc(x.shape());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /** dx[c] = y[c] * (dy[c] - sum_c' dy[c'] y[c']). */
    private void backward(Tape tape, SoftmaxPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(y, tape.grad(y), dx);
    }

    /**
     * The reference arithmetic of softmax over channels (float64 plain loops): per row of (N, C), or per
     * pixel of (N, C, H, W), where channel c of pixel (n, p) is at (n * C + c) * HW + p.
     */
    public static final class Reference {
        private Reference() {}

        /** y[c] = exp(x[c] - max) / sum_c' exp(x[c'] - max), overwriting y. */
        public static void forward(Shape s, double[] x, double[] y) {
            int ch = s.dim(1), hw = (int) (s.size() / ((long) s.n() * ch));
            for (int img = 0; img < s.n(); img++)
                for (int p = 0; p < hw; p++) {
                    int base = img * ch * hw + p;
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int c = 0; c < ch; c++) max = Math.max(max, x[base + c * hw]);
                    for (int c = 0; c < ch; c++) sum += Math.exp(x[base + c * hw] - max);
                    for (int c = 0; c < ch; c++) y[base + c * hw] = Math.exp(x[base + c * hw] - max) / sum;
                }
        }

        /** dx[c] += y[c] * (dy[c] - sum_c' dy[c'] * y[c']), from the output y. Accumulates. */
        public static void backward(Shape s, double[] y, double[] dy, double[] dx) {
            int ch = s.dim(1), hw = (int) (s.size() / ((long) s.n() * ch));
            for (int img = 0; img < s.n(); img++)
                for (int p = 0; p < hw; p++) {
                    int base = img * ch * hw + p;
                    double dot = 0;
                    for (int c = 0; c < ch; c++) dot += dy[base + c * hw] * y[base + c * hw];
                    for (int c = 0; c < ch; c++) dx[base + c * hw] += y[base + c * hw] * (dy[base + c * hw] - dot);
                }
        }
    }
}
