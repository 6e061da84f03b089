package convbench.kernels.cuda;

import convbench.engine.Backend;

import java.util.function.Function;

/**
 * Compares what two backends compute, for tests and for the integrator's whole-net checks (e.g. a
 * model built with the same seed on the CPU and on CUDA, its outputs downloaded):
 * <pre>
 *   CrossCheck.Result r = CrossCheck.run("resnet50 logits", cpu, cuda, be -&gt; forwardOnce(be));
 *   r.assertWithin(1e-4);
 * </pre>
 * The error measure is max-norm relative: max_i |actual_i - expected_i| / max_i |expected_i|, which
 * does not blow up on values that happen to be near zero and is what "relative error under 1e-4 in
 * FP32, about 1e-2 in TF32" means in this project.
 */
public final class CrossCheck {
    private CrossCheck() {}

    /**
     * @param worst    the max-norm relative error
     * @param at       the index of the largest absolute difference (-1 when there is none)
     * @param expected the expected value there
     * @param actual   the actual value there
     * @param nonFinite how many values are NaN or infinite on one side only (or a different non-finite value
     *                  on each side); the same non-finite value on both sides agrees
     */
    public record Result(String what, int length, double worst, int at, float expected, float actual, int nonFinite) {
        public boolean within(double tolerance) { return nonFinite == 0 && worst <= tolerance; }

        /** Throws an AssertionError naming the quantity, the error and where it is largest. */
        public Result assertWithin(double tolerance) {
            if (!within(tolerance)) throw new AssertionError(this + " exceeds " + tolerance);
            return this;
        }

        @Override public String toString() {
            return String.format("%s: relative error %.3g over %d values%s%s", what, worst, length,
                    at >= 0 ? String.format(" (largest at [%d]: expected %.7g, got %.7g)", at, expected, actual) : "",
                    nonFinite > 0 ? ", " + nonFinite + " values not finite" : "");
        }
    }

    /** Compares actual with expected (same length). */
    public static Result compare(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length)
            throw new AssertionError(what + ": " + expected.length + " expected values but " + actual.length + " actual ones");
        double scale = 0, maxDiff = 0;
        int at = -1, nonFinite = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (!Float.isFinite(e) || !Float.isFinite(a)) { // agreement only on the same non-finite value
                if (!(Float.isNaN(e) ? Float.isNaN(a) : a == e)) {
                    nonFinite++;
                    if (maxDiff != Double.POSITIVE_INFINITY) {
                        maxDiff = Double.POSITIVE_INFINITY;
                        at = i;
                    }
                }
                continue;
            }
            scale = Math.max(scale, Math.abs((double) e)); // the finite values only
            double diff = Math.abs((double) a - e);
            if (diff > maxDiff) {
                maxDiff = diff;
                at = i;
            }
        }
        double worst = maxDiff == 0 ? 0 : maxDiff / Math.max(scale, Float.MIN_NORMAL);
        return new Result(what, expected.length, worst, at, at >= 0 ? expected[at] : 0f, at >= 0 ? actual[at] : 0f, nonFinite);
    }

    /** Runs the same computation on both backends and compares the candidate's result with the reference's. */
    public static Result run(String what, Backend reference, Backend candidate, Function<Backend, float[]> computation) {
        float[] expected = computation.apply(reference);
        float[] actual = computation.apply(candidate);
        return compare(what + " (" + candidate.name() + " vs " + reference.name() + ")", expected, actual);
    }
}
