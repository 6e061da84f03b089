package convbench.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Reductions} on the Vector API: two vector accumulators, folded into a double every
 * {@value #CHUNK} elements (a float lane then never sums more than CHUNK / lanes values).
 */
final class VectorReductions implements Reductions {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int CHUNK = 4096;

    @Override public double sum(float[] a, int off, int n) {
        double total = 0;
        for (int c0 = 0; c0 < n; c0 += CHUNK) {
            int m = Math.min(CHUNK, n - c0), base = off + c0, i = 0;
            FloatVector s0 = FloatVector.zero(S), s1 = s0;
            for (; i + 2 * L <= m; i += 2 * L) {
                s0 = s0.add(FloatVector.fromArray(S, a, base + i));
                s1 = s1.add(FloatVector.fromArray(S, a, base + i + L));
            }
            double t = s0.add(s1).reduceLanes(VectorOperators.ADD);
            for (; i < m; i++) t += a[base + i];
            total += t;
        }
        return total;
    }

    @Override public double sumSquaredDiff(float[] a, int off, int n, float mean) {
        FloatVector mv = FloatVector.broadcast(S, mean);
        double total = 0;
        for (int c0 = 0; c0 < n; c0 += CHUNK) {
            int m = Math.min(CHUNK, n - c0), base = off + c0, i = 0;
            FloatVector s0 = FloatVector.zero(S), s1 = s0;
            for (; i + 2 * L <= m; i += 2 * L) {
                FloatVector d0 = FloatVector.fromArray(S, a, base + i).sub(mv);
                FloatVector d1 = FloatVector.fromArray(S, a, base + i + L).sub(mv);
                s0 = d0.fma(d0, s0);
                s1 = d1.fma(d1, s1);
            }
            double t = s0.add(s1).reduceLanes(VectorOperators.ADD);
            for (; i < m; i++) {
                double d = a[base + i] - mean;
                t += d * d;
            }
            total += t;
        }
        return total;
    }

    @Override public double sumProductDiff(float[] dy, float[] x, int off, int n, float mean) {
        FloatVector mv = FloatVector.broadcast(S, mean);
        double total = 0;
        for (int c0 = 0; c0 < n; c0 += CHUNK) {
            int m = Math.min(CHUNK, n - c0), base = off + c0, i = 0;
            FloatVector s0 = FloatVector.zero(S), s1 = s0;
            for (; i + 2 * L <= m; i += 2 * L) {
                s0 = FloatVector.fromArray(S, x, base + i).sub(mv).fma(FloatVector.fromArray(S, dy, base + i), s0);
                s1 = FloatVector.fromArray(S, x, base + i + L).sub(mv).fma(FloatVector.fromArray(S, dy, base + i + L), s1);
            }
            double t = s0.add(s1).reduceLanes(VectorOperators.ADD);
            for (; i < m; i++) t += (double) dy[base + i] * (x[base + i] - mean);
            total += t;
        }
        return total;
    }

    @Override public void reluBackward(float[] y, float[] dy, float[] g, int from, int to, boolean accumulate) {
        int i = from;
        for (; i + L <= to; i += L) {
            VectorMask<Float> off = FloatVector.fromArray(S, y, i).compare(VectorOperators.LE, 0f);
            store(FloatVector.fromArray(S, dy, i).blend(0f, off), g, i, accumulate);
        }
        for (; i < to; i++) g[i] = CpuBackend.grad(g[i], y[i] > 0f ? dy[i] : 0f, accumulate);
    }

    @Override public void add(float[] dst, int dOff, float[] src, int sOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) store(FloatVector.fromArray(S, src, sOff + i), dst, dOff + i, true);
        for (; i < n; i++) dst[dOff + i] += src[sOff + i];
    }

    /** A vector of gradient values written at dst[off ..): v (overwrite) or what is there + v (accumulate); CpuBackend.grad's vector form. */
    static void store(FloatVector v, float[] dst, int off, boolean accumulate) {
        if (accumulate) FloatVector.fromArray(S, dst, off).add(v).intoArray(dst, off);
        else v.intoArray(dst, off);
    }
}
