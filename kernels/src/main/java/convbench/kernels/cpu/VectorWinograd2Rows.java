package convbench.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link WinogradRows} of F(2x2, 3x3) on the Vector API: {@link ScalarWinograd2Rows}'s arithmetic in the
 * same order, a vector of values at a time; the tail goes to the scalar loop. Loaded only when the JVM
 * runs with --add-modules jdk.incubator.vector.
 */
final class VectorWinograd2Rows implements WinogradRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final WinogradRows TAIL = new ScalarWinograd2Rows();

    @Override public int tile() { return 4; }

    @Override public int step() { return 2; }

    @Override public void input(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q), a3 = FloatVector.fromArray(S, a, ao + 3 * as + q);
            a0.sub(a2).intoArray(b, bo + q);
            a1.add(a2).intoArray(b, bo + bs + q);
            a2.sub(a1).intoArray(b, bo + 2 * bs + q);
            a1.sub(a3).intoArray(b, bo + 3 * bs + q);
        }
        TAIL.input(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void output(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q), a3 = FloatVector.fromArray(S, a, ao + 3 * as + q);
            a0.add(a1).add(a2).intoArray(b, bo + q);
            a1.sub(a2).sub(a3).intoArray(b, bo + bs + q);
        }
        TAIL.output(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void filter(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q);
            FloatVector even = a0.add(a2);
            a0.intoArray(b, bo + q);
            even.add(a1).mul(0.5f).intoArray(b, bo + bs + q);
            even.sub(a1).mul(0.5f).intoArray(b, bo + 2 * bs + q);
            a2.intoArray(b, bo + 3 * bs + q);
        }
        TAIL.filter(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void outputAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q);
            a0.intoArray(b, bo + q);
            a0.add(a1).intoArray(b, bo + bs + q);
            a0.sub(a1).intoArray(b, bo + 2 * bs + q);
            a1.neg().intoArray(b, bo + 3 * bs + q);
        }
        TAIL.outputAdjoint(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void filterAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q), a3 = FloatVector.fromArray(S, a, ao + 3 * as + q);
            FloatVector half = a1.add(a2).mul(0.5f);
            a0.add(half).intoArray(b, bo + q);
            a1.sub(a2).mul(0.5f).intoArray(b, bo + bs + q);
            half.add(a3).intoArray(b, bo + 2 * bs + q);
        }
        TAIL.filterAdjoint(a, ao + q, as, b, bo + q, bs, n - q);
    }
}
