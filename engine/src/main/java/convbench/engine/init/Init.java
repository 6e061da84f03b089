package convbench.engine.init;

import convbench.engine.tensor.Shape;

import java.util.SplittableRandom;

/**
 * Parameter initialisers of the seed code. Values are drawn on the host from a generator seeded
 * by (model seed, parameter name), so a parameter's values do not depend on the order layers are
 * built in, nor on the backend.
 */
@FunctionalInterface
public interface Init {
    /** Fills dst[0, shape.size()) (dst may be longer: a pooled array; the rest is left as it is). */
    void fill(float[] dst, Shape shape, SplittableRandom rng);

    static Init constant(float v) {
        return (dst, s, rng) -> java.util.Arrays.fill(dst, 0, s.intSize(), v);
    }

    static Init zeros() { return constant(0f); }

    /** tf.truncated_normal: normal(0, stddev), redrawn while more than 2 stddev from the mean. */
    static Init truncatedNormal(double stddev) {
        return (dst, s, rng) -> {
            for (int i = 0, n = s.intSize(); i < n; i++) dst[i] = (float) (stddev * truncated(rng));
        };
    }

    /**
     * Xavier / Glorot uniform (tf.contrib.layers.xavier_initializer[_conv2d]):
     * uniform(-l, l) with l = sqrt(6 / (fan_in + fan_out)).
     */
    static Init xavier() {
        return (dst, s, rng) -> {
            double limit = Math.sqrt(6.0 / (fanIn(s) + fanOut(s)));
            for (int i = 0, n = s.intSize(); i < n; i++) dst[i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
        };
    }

    /**
     * slim.variance_scaling_initializer() (factor 2, FAN_IN, not uniform): truncated normal with
     * stddev sqrt(1.3 * factor / fan_in), the 1.3 undoing the truncation's shrinkage.
     */
    static Init varianceScaling(double factor) {
        return (dst, s, rng) -> {
            double stddev = Math.sqrt(1.3 * factor / fanIn(s));
            for (int i = 0, n = s.intSize(); i < n; i++) dst[i] = (float) (stddev * truncated(rng));
        };
    }

    /** Standard normal redrawn until within two standard deviations (TF's truncated_normal). */
    static double truncated(SplittableRandom rng) {
        while (true) {
            double g = gaussian(rng);
            if (Math.abs(g) <= 2.0) return g;
        }
    }

    /** A standard normal by Box-Muller (SplittableRandom has no nextGaussian on Java 17). */
    static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Conv weights (K, C, kh, kw): C * kh * kw; dense (out, in): in; vectors: their length. */
    static double fanIn(Shape s) {
        if (s.rank() == 4) return (double) s.dim(1) * s.dim(2) * s.dim(3);
        if (s.rank() == 2) return s.dim(1);
        return s.dim(0);
    }

    /** Conv weights (K, C, kh, kw): K * kh * kw; dense (out, in): out. */
    static double fanOut(Shape s) {
        if (s.rank() == 4) return (double) s.dim(0) * s.dim(2) * s.dim(3);
        return s.dim(0);
    }
}
