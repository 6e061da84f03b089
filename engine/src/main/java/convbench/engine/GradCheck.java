package convbench.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The shared gradient checker (Caffe's GradientChecker idea): every op's backward is compared
 * with central differences of its forward. The op tests use {@link #check}; `bench.jar gradcheck`
 * uses {@link #measure} to print a table.
 *
 * <p>The scalar checked is L = sum(y * r) for a fixed random r (so every output matters), summed in
 * double. For each checked element of each input or parameter, L is evaluated at v + h and v - h:
 * numeric = (L+ - L-) / 2h, compared with the analytic gradient as
 * |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).
 *
 * <p>Kinks (relu at 0, a max pool's tie): where the one-sided slopes (L+ - L0) / h and (L0 - L-) / h
 * disagree by more than max(atol, kinkTol * (|slope+| + |slope-|)), the function is not differentiable
 * within h of the point and the element is skipped (the band around the kink). An element that still
 * disagrees is evaluated again with step h/4: a smooth function's central difference moves by O(h^2),
 * so a difference that moves by more than the tolerance is straddling kinks too (deep nets cross many
 * relus at once) and is skipped as undecidable; one that stays put and disagrees is a failure. A test fails if more than a fifth (or one, for tiny tensors) are skipped.
 */
public final class GradCheck {
    private final Backend backend;
    private double h = 1e-2, rtol = 2e-2, atol = 2e-3, kinkTol = 0.05;
    private int maxPerTensor = 60;
    private boolean training = true;
    private long seed = 7;

    public GradCheck(Backend backend) { this.backend = backend; }

    public GradCheck step(double h) { this.h = h; return this; }

    public GradCheck tolerance(double rtol, double atol) { this.rtol = rtol; this.atol = atol; return this; }

    public GradCheck samples(int n) { this.maxPerTensor = n; return this; }

    public GradCheck training(boolean t) { this.training = t; return this; }

    /** One checked tensor: a name for messages, the tensor, and whether it is a parameter's value. */
    public record Leaf(String name, Tensor t, Param param) {}

    public static Leaf input(String name, Tensor t) { return new Leaf(name, t.requireGrad(), null); }

    public static Leaf param(Param p) { return new Leaf(p.name(), p.value(), p); }

    /** Result per leaf: elements compared, skipped near kinks, the worst error ratio. */
    public record Result(String leaf, int compared, int skipped, double worst) {}

    /** One compared element: analytic and numeric gradient, or skipped because a kink lies within h. */
    public record Sample(String leaf, int index, double analytic, double numeric, boolean nearKink, double allowed) {
        public double error() { return Math.abs(analytic - numeric); }

        public boolean ok() { return nearKink || error() <= allowed; }
    }

    /**
     * Checks the gradients of L(fn) with respect to every leaf and throws AssertionError when an
     * element disagrees or too many lie near kinks. fn builds the computation in the given step
     * context from the leaves (captured by the caller) and returns its output.
     */
    public List<Result> check(Function<Ctx, Tensor> fn, Leaf... leaves) {
        List<Sample> samples = measure(fn, leaves);
        List<Result> results = new ArrayList<>();
        for (Leaf l : leaves) {
            int compared = 0, skipped = 0;
            double worst = 0;
            StringBuilder failures = new StringBuilder();
            for (Sample s : samples) {
                if (!s.leaf().equals(l.name())) continue;
                if (s.nearKink()) {
                    skipped++;
                    continue;
                }
                compared++;
                worst = Math.max(worst, s.error() / s.allowed());
                if (!s.ok() && failures.length() < 2000)
                    failures.append(String.format("  %s[%d]: analytic %.6g, numeric %.6g%n", l.name(), s.index(), s.analytic(), s.numeric()));
            }
            if (failures.length() > 0)
                throw new AssertionError("gradient of " + l.name() + " disagrees with central differences:\n" + failures);
            int count = compared + skipped;
            if (skipped > Math.max(1, count / 5))
                throw new AssertionError(l.name() + ": " + skipped + " of " + count + " elements lie near a kink; choose other inputs");
            results.add(new Result(l.name(), compared, skipped, worst));
        }
        return results;
    }

    /** Analytic and numeric gradients of up to the sample count of elements of each leaf. */
    public List<Sample> measure(Function<Ctx, Tensor> fn, Leaf... leaves) {
        // The projection r, fixed for the whole check.
        try (Ctx ctx = new Ctx(backend, training, false, seed)) {
            Shape ys = fn.apply(ctx).shape();
            float[] r = new float[ys.intSize()];
            SplittableRandom rng = new SplittableRandom(99);
            for (int i = 0; i < r.length; i++) r[i] = (float) (rng.nextDouble() * 2 - 1);
            rProj = r;
        }

        // Analytic gradients.
        List<float[]> analytic = new ArrayList<>();
        try (Ctx ctx = new Ctx(backend, training, true, seed)) {
            Tensor y = fn.apply(ctx);
            Tensor loss = new Projection("projection", rProj).forward(ctx, y);
            ctx.tape().backward(loss);
            for (Leaf l : leaves) {
                Tensor g = l.param != null ? l.param.grad() : ctx.tape().grad(l.t);
                if (g == null) throw new AssertionError("no gradient reached " + l.name);
                analytic.add(g.toFloats());
            }
        }

        double l0 = eval(fn);
        List<Sample> samples = new ArrayList<>();
        for (int li = 0; li < leaves.length; li++) {
            Leaf l = leaves[li];
            float[] v = l.t.toFloats();
            float[] a = analytic.get(li);
            int n = v.length;
            int count = Math.min(n, maxPerTensor);
            SplittableRandom pick = new SplittableRandom(li * 7919L + 1);
            for (int s = 0; s < count; s++) {
                int i = count == n ? s : pick.nextInt(n);
                float orig = v[i];
                v[i] = (float) (orig + h);
                l.t.set(v);
                double lp = eval(fn);
                v[i] = (float) (orig - h);
                l.t.set(v);
                double lm = eval(fn);
                v[i] = orig;
                l.t.set(v);
                double hp = (float) (orig + h) - orig, hm = orig - (float) (orig - h); // the steps actually taken
                double slopeP = (lp - l0) / hp, slopeM = (l0 - lm) / hm;
                boolean kink = Math.abs(slopeP - slopeM) > Math.max(atol, kinkTol * (Math.abs(slopeP) + Math.abs(slopeM)));
                double numeric = (lp - lm) / (hp + hm);
                double allowed = atol + rtol * Math.max(Math.abs(a[i]), Math.abs(numeric));
                if (!kink && Math.abs(a[i] - numeric) > allowed) {
                    // Before calling it a mismatch: a smooth function's central difference barely moves when
                    // the step shrinks (its error is O(h^2)); one that moves by more than the tolerance is
                    // straddling kinks (a deep net crosses many relus at once), and cannot decide either way.
                    double quarter = centralDifference(fn, l, v, i, h / 4);
                    if (Math.abs(quarter - numeric) > allowed) kink = true;
                }
                samples.add(new Sample(l.name, i, a[i], numeric, kink, allowed));
            }
        }
        return samples;
    }

    private float[] rProj;

    /** (L(v + step) - L(v - step)) / (2 step) for element i of leaf l, whose values are v (restored after). */
    private double centralDifference(Function<Ctx, Tensor> fn, Leaf l, float[] v, int i, double step) {
        float orig = v[i];
        v[i] = (float) (orig + step);
        l.t.set(v);
        double lp = eval(fn);
        double hp = v[i] - orig;
        v[i] = (float) (orig - step);
        l.t.set(v);
        double lm = eval(fn);
        double hm = orig - v[i];
        v[i] = orig;
        l.t.set(v);
        return (lp - lm) / (hp + hm);
    }

    private double eval(Function<Ctx, Tensor> fn) {
        try (Ctx ctx = new Ctx(backend, training, false, seed)) {
            float[] y = fn.apply(ctx).toFloats();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += (double) y[i] * rProj[i];
            return s;
        }
    }

    /** L = sum(y * r), computed on the host; backward dx = dL * r. */
    private static final class Projection extends Layer {
        private final float[] r;

        Projection(String name, float[] r) {
            super(name);
            this.r = r;
        }

        @Override public String describe() { return "projection"; }

        Tensor forward(Ctx ctx, Tensor y) {
            ctx.begin(this);
            float[] v = y.toFloats();
            double s = 0;
            for (int i = 0; i < v.length; i++) s += (double) v[i] * r[i];
            Tensor loss = ctx.alloc(Shape.of(1)).set(new float[] {(float) s});
            return ctx.end(this, loss, () -> {
                Grad dy = ctx.tape().gradFor(y);
                if (dy == null) return;
                try (Tensor rt = y.backend().of(y.shape(), r)) {
                    y.backend().elementwise(y.shape()).scaleInto(1f, rt, dy);
                }
            }, y);
        }
    }

    /** Random normal values, seeded. */
    public static float[] randn(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) convbench.engine.init.Init.gaussian(rng);
        return v;
    }

    /** Random uniform values in [lo, hi), seeded. */
    public static float[] uniform(int n, double lo, double hi, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return v;
    }
}
