package convbench.engine;

import convbench.engine.tensor.DType;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The shared gradient checker (Caffe's GradientChecker idea): an op's, or a whole net's, backward
 * is compared with central differences of its forward. It runs on a float64 backend (the reference
 * backend), where a small step leaves both the truncation error (O(h^2)) and the rounding error
 * (about eps * |L| / h) far below the tolerance, so an error of 0.1 % in one backward term fails.
 * The op tests use {@link #check}; {@code bench gradcheck} uses {@link #measure} to print a table.
 *
 * <p>The scalar checked is L = sum(y * r) for a fixed random r in [-1, 1) (so every output matters).
 * For each sampled element v of each input or parameter, numeric = (L(v + h) - L(v - h)) / 2h with
 * h = step * max(1, |v|), compared with backprop's value a as
 * |a - numeric| <= atol + rtol * max(|a|, |numeric|), where atol = 1000 * eps * sum|y * r| / h bounds the
 * rounding error of the difference itself (elements whose gradient is smaller than that, such as a
 * bias followed by a batch norm in training mode, whose gradient is 0, are compared to that bound).
 *
 * <p>Kinks (relu at 0, a max pool's tie) are where the derivative does not exist. An element that
 * disagrees is looked at again before it is called a mismatch: if its one-sided slopes
 * (L(v + h) - L(v)) / h and (L(v) - L(v - h)) / h differ by more than the disagreement itself, or its
 * central difference moves when the step halves (a smooth function's moves by O(h^2)), a kink lies
 * within the step: the step shrinks a hundredfold (a kink at distance d is not straddled once h < d)
 * and the element is measured again, twice at most; one still straddling a kink at 1e-4 h is skipped.
 * One that is smooth and disagrees is a mismatch. Skips are rare; a check fails when more than
 * {@link #maxSkippedShare} of a tensor's elements are skipped. Where an element agrees but only to within
 * the rounding bound (a tiny gradient, deep in vgg16), the step grows a hundredfold, twice at most, so a
 * 0.1 % error can still show; a grown step that meets a kink or its own truncation error keeps the
 * agreement found at the smaller step.
 */
public final class GradCheck {
    /** Default relative step. */
    public static final double STEP = 1e-6;
    /** Default relative tolerance. */
    public static final double RTOL = 1e-6;
    /**
     * The rounding error of a central difference, in units of eps * sum|y * r| / h: L is a sum of many
     * float64 products, each computed through the whole net, so its error is a few hundred eps of that sum.
     */
    public static final double ROUNDING = 1000;
    /**
     * Where a kink lies within the step, the step shrinks by this factor, at most twice, before the element is
     * skipped; where rounding bounds what an agreement shows, it grows by its inverse, at most twice.
     */
    static final double SHRINK = 1e-2;

    private final Backend backend;
    private double h = STEP, rtol = RTOL;
    private int maxPerTensor = 60;
    private double maxSkippedShare = 0.05;
    private boolean training = true;
    private long seed = 7;

    /** @param backend a float64 backend: the reference backend */
    public GradCheck(Backend backend) {
        try (Tensor probe = backend.alloc(Shape.of(1))) {
            if (probe.dtype() != DType.F64)
                throw new IllegalArgumentException("the gradient check needs float64 tensors, and " + backend.name()
                        + " holds " + probe.dtype() + ": give it the reference backend");
        }
        this.backend = backend;
    }

    public GradCheck step(double h) { this.h = h; return this; }

    public double step() { return h; }

    public GradCheck tolerance(double rtol) { this.rtol = rtol; return this; }

    public double tolerance() { return rtol; }

    public GradCheck samples(int n) { this.maxPerTensor = n; return this; }

    /** The share of a tensor's checked elements that may be skipped as kinks before the check fails. */
    public GradCheck maxSkipped(double share) { this.maxSkippedShare = share; return this; }

    public double maxSkippedShare() { return maxSkippedShare; }

    public GradCheck training(boolean t) { this.training = t; return this; }

    /** One checked tensor: a name for messages, the tensor, and whether it is a parameter's value. */
    public record Leaf(String name, Tensor t, Param param) {}

    public static Leaf input(String name, Tensor t) { return new Leaf(name, t.requireGrad(), null); }

    public static Leaf param(Param p) { return new Leaf(p.name(), p.value(), p); }

    /** Result per leaf: elements compared, skipped near kinks, the worst error as a share of what is allowed. */
    public record Result(String leaf, int compared, int skipped, double worst) {
        /** The most elements of count that may be skipped at the given share (at least one). */
        public static int skipLimit(int count, double share) { return Math.max(1, (int) Math.floor(count * share)); }
    }

    /** One checked element: backprop's and the numeric gradient, the error allowed, or skipped near a kink. */
    public record Sample(String leaf, int index, double analytic, double numeric, boolean nearKink, double allowed, double noise) {
        public double error() { return Math.abs(analytic - numeric); }

        /** False where both values are within 10x the difference's rounding of 0 (a zero gradient): no relative error exists. */
        public boolean resolved() { return Math.max(Math.abs(analytic), Math.abs(numeric)) > 10 * noise; }

        /** |a - n| / max(|a|, |n|), 0 when both are 0. */
        public double relativeError() {
            double scale = Math.max(Math.abs(analytic), Math.abs(numeric));
            return scale == 0 ? 0 : error() / scale;
        }

        public boolean ok() { return nearKink || error() <= allowed; }

        /** The smallest relative error this comparison could see: allowed / max(|a|, |n|) (infinite for a zero gradient). */
        public double resolution() {
            double scale = Math.max(Math.abs(analytic), Math.abs(numeric));
            return scale == 0 ? Double.POSITIVE_INFINITY : allowed / scale;
        }
    }

    /**
     * Checks the gradients of L(fn) with respect to every leaf and throws AssertionError when an
     * element disagrees or too many lie near kinks. fn builds the computation in the given step
     * context from the leaves (captured by the caller) and returns its output.
     */
    public List<Result> check(Function<Ctx, Tensor> fn, Leaf... leaves) {
        List<Sample> samples = measure(fn, leaves);
        List<Result> results = summarise(samples, leaves);
        StringBuilder failures = new StringBuilder();
        for (Sample s : samples)
            if (!s.ok() && failures.length() < 2000)
                failures.append(String.format("  %s[%d]: backprop %.10g, numeric %.10g, error %.3g > allowed %.3g%n",
                        s.leaf(), s.index(), s.analytic(), s.numeric(), s.error(), s.allowed()));
        if (failures.length() > 0) throw new AssertionError("gradients disagree with central differences:\n" + failures);
        for (Result r : results) {
            int count = r.compared() + r.skipped();
            if (r.skipped() > Result.skipLimit(count, maxSkippedShare))
                throw new AssertionError(r.leaf() + ": " + r.skipped() + " of " + count + " elements lie near a kink; choose other inputs");
        }
        return results;
    }

    /** Per leaf, in the leaves' order: compared, skipped and the worst error / allowed. */
    public static List<Result> summarise(List<Sample> samples, Leaf... leaves) {
        List<Result> results = new ArrayList<>();
        for (Leaf l : leaves) {
            int compared = 0, skipped = 0;
            double worst = 0;
            for (Sample s : samples) {
                if (!s.leaf().equals(l.name())) continue;
                if (s.nearKink()) {
                    skipped++;
                } else {
                    compared++;
                    worst = Math.max(worst, s.error() / s.allowed());
                }
            }
            results.add(new Result(l.name(), compared, skipped, worst));
        }
        return results;
    }

    private double[] r;
    private double absSum;

    /** Backprop's and numeric gradients of up to the sample count of elements of each leaf. */
    public List<Sample> measure(Function<Ctx, Tensor> fn, Leaf... leaves) {
        // The projection r, fixed for the whole check.
        try (Ctx ctx = new Ctx(backend, training, false, seed)) {
            Shape ys = fn.apply(ctx).shape();
            r = new double[ys.intSize()];
            SplittableRandom rng = new SplittableRandom(99);
            for (int i = 0; i < r.length; i++) r[i] = rng.nextDouble() * 2 - 1;
        }

        // Backprop's gradients.
        List<double[]> analytic = new ArrayList<>();
        try (Ctx ctx = new Ctx(backend, training, true, seed)) {
            Tensor y = fn.apply(ctx);
            Tensor loss = new Projection("projection", r).forward(ctx, y);
            ctx.tape().backward(loss);
            for (Leaf l : leaves) {
                Tensor g = l.param != null ? l.param.grad() : ctx.tape().grad(l.t);
                if (g == null) throw new AssertionError("no gradient reached " + l.name);
                analytic.add(g.toDoubles());
            }
        }

        double l0 = eval(fn);
        List<Sample> samples = new ArrayList<>();
        for (int li = 0; li < leaves.length; li++) {
            Leaf l = leaves[li];
            double[] v = l.t.toDoubles();
            double[] a = analytic.get(li);
            int n = v.length;
            int count = Math.min(n, maxPerTensor);
            SplittableRandom pick = new SplittableRandom(li * 7919L + 1);
            for (int s = 0; s < count; s++) {
                int i = count == n ? s : pick.nextInt(n);
                samples.add(element(fn, l, v, i, a[i], l0));
            }
        }
        return samples;
    }

    /**
     * One element: the central difference at the step h * max(1, |v|), compared with backprop's value a.
     * Where they agree but rounding, not the tolerance, bounds what the comparison can see (a tiny
     * gradient, as deep in vgg16), the step grows 100x (twice at most) and the element is measured again,
     * keeping the last agreement if a larger step reaches a kink or its truncation error. Where they disagree
     * and a kink lies within the step, the step shrinks 100x (twice at most); still straddling: skipped.
     * Smooth and disagreeing: a mismatch.
     */
    private Sample element(Function<Ctx, Tensor> fn, Leaf l, double[] v, int i, double a, double l0) {
        double scale = Math.max(1, Math.abs(v[i]));
        double step = h * scale;
        Sample kept = null; // the last agreement, at the best resolution so far
        boolean shrunk = false;
        while (true) {
            double lp = evalAt(fn, l, v, i, v[i] + step), lm = evalAt(fn, l, v, i, v[i] - step);
            double numeric = (lp - lm) / (2 * step);
            double noise = ROUNDING * Math.ulp(1.0) * absSum / step;
            double allowed = noise + rtol * Math.max(Math.abs(a), Math.abs(numeric));
            double error = Math.abs(a - numeric);
            Sample here = new Sample(l.name, i, a, numeric, false, allowed, noise);
            if (error <= allowed) {
                kept = here;
                boolean roundingBound = noise > 0.1 * rtol * Math.max(Math.abs(a), Math.abs(numeric));
                if (roundingBound && !shrunk && step < h * scale / (SHRINK * SHRINK)) {
                    step /= SHRINK;
                    continue;
                }
                return kept;
            }
            // Before calling it a mismatch: is there a kink (or, at a grown step, truncation) within the step? The
            // one-sided slopes then disagree by more than the error (and their rounding), or the difference moves when the step halves.
            double slopeP = (lp - l0) / step, slopeM = (l0 - lm) / step;
            boolean straddles = Math.abs(slopeP - slopeM) > Math.max(error, 2 * noise);
            if (!straddles) {
                double half = (evalAt(fn, l, v, i, v[i] + step / 2) - evalAt(fn, l, v, i, v[i] - step / 2)) / step;
                straddles = Math.abs(half - numeric) > allowed;
            }
            if (!straddles) return here; // smooth, and still disagreeing: a mismatch
            if (kept != null) return kept; // a grown step went too far: the agreement at the smaller one stands
            if (step <= h * scale * SHRINK * SHRINK) return new Sample(l.name, i, a, numeric, true, allowed, noise); // kinks at every step: skipped
            step *= SHRINK; // a kink at distance d is no longer straddled once the step is below d
            shrunk = true;
        }
    }

    /** L with element i of leaf l (whose values are v) set to value; v and the tensor are restored after. */
    private double evalAt(Function<Ctx, Tensor> fn, Leaf l, double[] v, int i, double value) {
        double orig = v[i];
        v[i] = value;
        l.t.set(v);
        double loss = eval(fn);
        v[i] = orig;
        l.t.set(v);
        return loss;
    }

    private double eval(Function<Ctx, Tensor> fn) {
        try (Ctx ctx = new Ctx(backend, training, false, seed)) {
            double[] y = fn.apply(ctx).toDoubles();
            double s = 0, abs = 0;
            for (int i = 0; i < y.length; i++) {
                s += y[i] * r[i];
                abs += Math.abs(y[i] * r[i]);
            }
            absSum = abs;
            return s;
        }
    }

    /** L = sum(y * r); backward dy = dL * r. */
    private static final class Projection extends Layer {
        private final double[] r;

        Projection(String name, double[] r) {
            super(name);
            this.r = r;
        }

        @Override public String describe() { return "projection"; }

        Tensor forward(Ctx ctx, Tensor y) {
            ctx.begin(this);
            double[] v = y.toDoubles();
            double s = 0;
            for (int i = 0; i < v.length; i++) s += v[i] * r[i];
            Tensor loss = ctx.alloc(Shape.of(1)).set(new double[] {s});
            return ctx.end(this, loss, () -> {
                Grad dy = ctx.tape().gradFor(y);
                if (dy == null) return;
                try (Tensor rt = ctx.backend().alloc(y.shape()).set(r)) {
                    ctx.backend().elementwise(y.shape()).scaleInto(1f, rt, dy);
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
