package convbench.kernels.cpu;

/**
 * Loops the JIT cannot vectorise by itself: sums over long float rows (batch norm's statistics),
 * relu's masked backward and a gradient's accumulating store. Java must add floats in source order, so
 * the JIT cannot vectorise a plain summing loop; {@link VectorReductions} keeps several vector
 * accumulators (and folds them into a double every few thousand elements, so long rows keep their
 * precision), {@link ScalarReductions} is the portable loop.
 */
interface Reductions {
    Reductions BEST = pick();

    /** sum of a[off .. off + n) */
    double sum(float[] a, int off, int n);

    /** sum of (a - mean)^2 over a[off .. off + n) */
    double sumSquaredDiff(float[] a, int off, int n, float mean);

    /** sum of dy * (x - mean) over [off, off + n) */
    double sumProductDiff(float[] dy, float[] x, int off, int n, float mean);

    /**
     * Relu's backward over [from, to): g = dy where y > 0, else 0; added to g when accumulating.
     * (The JIT does not vectorise the conditional on its own.) g may be dy itself.
     */
    void reluBackward(float[] y, float[] dy, float[] g, int from, int to, boolean accumulate);

    /**
     * dst[dOff + i] += src[sOff + i] for i in [0, n): {@link CpuBackend#store}'s accumulating loop. (The JIT does
     * not vectorise it on its own: dst and src might be one array at other offsets.)
     */
    void add(float[] dst, int dOff, float[] src, int sOff, int n);

    private static Reductions pick() {
        return VectorApi.pick(Reductions.class, "convbench.kernels.cpu.VectorReductions", ScalarReductions::new);
    }
}
