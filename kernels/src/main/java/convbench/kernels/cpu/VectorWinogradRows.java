package convbench.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link WinogradRows} of F(4x4, 3x3) on the Vector API: the same arithmetic as {@link ScalarWinogradRows}, in the
 * same order, a vector of values at a time; the tail goes to the scalar loop. Loaded only when the JVM
 * runs with --add-modules jdk.incubator.vector.
 */
final class VectorWinogradRows implements WinogradRows {
    @Override public int tile() { return 6; }

    @Override public int step() { return 4; }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final WinogradRows TAIL = new ScalarWinogradRows();

    @Override public void input(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q), a3 = FloatVector.fromArray(S, a, ao + 3 * as + q),
                    a4 = FloatVector.fromArray(S, a, ao + 4 * as + q), a5 = FloatVector.fromArray(S, a, ao + 5 * as + q);
            a0.mul(4f).sub(a2.mul(5f)).add(a4).intoArray(b, bo + q);
            a3.add(a4).sub(a1.add(a2).mul(4f)).intoArray(b, bo + bs + q);
            a4.sub(a3).add(a1.sub(a2).mul(4f)).intoArray(b, bo + 2 * bs + q);
            a4.sub(a2).add(a3.sub(a1).mul(2f)).intoArray(b, bo + 3 * bs + q);
            a4.sub(a2).add(a1.sub(a3).mul(2f)).intoArray(b, bo + 4 * bs + q);
            a1.mul(4f).sub(a3.mul(5f)).add(a5).intoArray(b, bo + 5 * bs + q);
        }
        TAIL.input(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void output(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q), a3 = FloatVector.fromArray(S, a, ao + 3 * as + q),
                    a4 = FloatVector.fromArray(S, a, ao + 4 * as + q), a5 = FloatVector.fromArray(S, a, ao + 5 * as + q);
            FloatVector p12 = a1.add(a2), m12 = a1.sub(a2), p34 = a3.add(a4), m34 = a3.sub(a4);
            a0.add(p12).add(p34).intoArray(b, bo + q);
            m12.add(m34.mul(2f)).intoArray(b, bo + bs + q);
            p12.add(p34.mul(4f)).intoArray(b, bo + 2 * bs + q);
            m12.add(m34.mul(8f)).add(a5).intoArray(b, bo + 3 * bs + q);
        }
        TAIL.output(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void filter(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q);
            FloatVector even = a0.add(a2), e24 = a0.mul(1f / 24).add(a2.mul(1f / 6));
            a0.mul(0.25f).intoArray(b, bo + q);
            even.add(a1).neg().mul(1f / 6).intoArray(b, bo + bs + q);
            even.sub(a1).neg().mul(1f / 6).intoArray(b, bo + 2 * bs + q);
            e24.add(a1.mul(1f / 12)).intoArray(b, bo + 3 * bs + q);
            e24.sub(a1.mul(1f / 12)).intoArray(b, bo + 4 * bs + q);
            a2.intoArray(b, bo + 5 * bs + q);
        }
        TAIL.filter(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void outputAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q), a3 = FloatVector.fromArray(S, a, ao + 3 * as + q);
            FloatVector p02 = a0.add(a2), p13 = a1.add(a3), q02 = a0.add(a2.mul(4f)), q13 = a1.mul(2f).add(a3.mul(8f));
            a0.intoArray(b, bo + q);
            p02.add(p13).intoArray(b, bo + bs + q);
            p02.sub(p13).intoArray(b, bo + 2 * bs + q);
            q02.add(q13).intoArray(b, bo + 3 * bs + q);
            q02.sub(q13).intoArray(b, bo + 4 * bs + q);
            a3.intoArray(b, bo + 5 * bs + q);
        }
        TAIL.outputAdjoint(a, ao + q, as, b, bo + q, bs, n - q);
    }

    @Override public void filterAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        int q = 0;
        for (; q <= n - L; q += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, ao + q), a1 = FloatVector.fromArray(S, a, ao + as + q),
                    a2 = FloatVector.fromArray(S, a, ao + 2 * as + q), a3 = FloatVector.fromArray(S, a, ao + 3 * as + q),
                    a4 = FloatVector.fromArray(S, a, ao + 4 * as + q), a5 = FloatVector.fromArray(S, a, ao + 5 * as + q);
            FloatVector p12 = a1.add(a2), p34 = a3.add(a4);
            a0.mul(0.25f).sub(p12.mul(1f / 6)).add(p34.mul(1f / 24)).intoArray(b, bo + q);
            a2.sub(a1).mul(1f / 6).add(a3.sub(a4).mul(1f / 12)).intoArray(b, bo + bs + q);
            p34.sub(p12).mul(1f / 6).add(a5).intoArray(b, bo + 2 * bs + q);
        }
        TAIL.filterAdjoint(a, ao + q, as, b, bo + q, bs, n - q);
    }
}
