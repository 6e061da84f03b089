package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.OpException;
import convbench.engine.Tape;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.DropoutPlan;

/**
 * tf.nn.dropout(x, keep_prob) in training mode: each element kept with probability keep and
 * scaled by 1 / keep, else 0, the mask drawn from the step's seed. Identity in inference mode
 * (or when the step turns dropout off, or keep is 1).
 */
public final class Dropout extends Layer {
    private final double keep;
    private final PlanCache<Shape, DropoutPlan> plan = planCache();

    public Dropout(String name, double keep) {
        super(name);
        if (!(keep > 0 && keep <= 1)) throw new OpException("dropout", name, "keep probability " + keep + " must be in (0, 1]");
        this.keep = keep;
    }

    @Override public String describe() { return "dropout keep=" + keep; }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        if (!ctx.dropoutActive() || keep == 1.0) {
            // Identity: y is x itself; the tape needs no entry (the gradient passes straight through).
            outShape = x.shape();
            return ctx.end(this, x, () -> {}, /* no inputs: nothing to record */ new Tensor[0]);
        }
        DropoutPlan p = plan.get(x.shape(), s -> ctx.backend().dropout(s, keep));
        Tensor y = ctx.alloc(x.shape());
        Tensor reserve = ctx.alloc(p.reserveShape());
        p.forward(x, y, reserve, ctx.nextDropoutSeed());
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y, reserve), x);
    }

    /** dx = dy * mask / keep, the mask from forward. */
    private void backward(Tape tape, DropoutPlan p, Tensor x, Tensor y, Tensor reserve) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(tape.grad(y), reserve, dx);
    }

    /**
     * The reference arithmetic of dropout (float64 plain loops), and the definition of its mask,
     * which the CPU kernel draws identically (in parallel chunks): element i is kept when the
     * (i mod CHUNK)-th draw of SplittableRandom(seed * 31 + i / CHUNK) is below keep.
     */
    public static final class Reference {
        /** Elements per independently seeded stream of draws. */
        public static final int CHUNK = 1 << 14;

        private Reference() {}

        /** mask[i] = 1 / keep where element i is kept, else 0, for the step's dropout seed. Overwrites mask. */
        public static void mask(double keep, long seed, double[] mask, int size) {
            for (int chunk = 0; chunk * CHUNK < size; chunk++) {
                java.util.SplittableRandom rng = new java.util.SplittableRandom(seed * 31 + chunk);
                for (int i = chunk * CHUNK; i < Math.min(size, (chunk + 1) * CHUNK); i++)
                    mask[i] = rng.nextDouble() < keep ? 1 / keep : 0;
            }
        }

        /** y = x * mask, overwriting y. */
        public static void forward(double[] x, double[] mask, double[] y, int size) {
            for (int i = 0; i < size; i++) y[i] = x[i] * mask[i];
        }

        /** dx += dy * mask. Accumulates. */
        public static void backward(double[] dy, double[] mask, double[] dx, int size) {
            for (int i = 0; i < size; i++) dx[i] += dy[i] * mask[i];
        }
    }
}
