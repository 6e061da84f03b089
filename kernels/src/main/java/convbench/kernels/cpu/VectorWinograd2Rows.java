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

    @Override public boolean hasInputRow() { return true; }

    @Override public int spill() { return L; }

    /** {@link ScalarWinograd2Rows#inputRow}'s arithmetic a vector of tiles at a time; the last vector runs past n. */
    @Override public void inputRow(float[] src, int so, int ss, int half, int k0, int n, float[] v, int vo, int vs) {
        int e = so + k0, o = e + half;
        for (int k = 0; k < n; k += L) {
            // columns: t[a][b] = (B^T d)[a][b] of patch columns b = even k, odd k, even k + 1, odd k + 1
            int c0 = e + k, c1 = o + k, c2 = c0 + 1, c3 = c1 + 1;
            FloatVector r00 = FloatVector.fromArray(S, src, c0), r10 = FloatVector.fromArray(S, src, c0 + ss),
                    r20 = FloatVector.fromArray(S, src, c0 + 2 * ss), r30 = FloatVector.fromArray(S, src, c0 + 3 * ss);
            FloatVector t00 = r00.sub(r20), t10 = r10.add(r20), t20 = r20.sub(r10), t30 = r10.sub(r30);
            FloatVector r01 = FloatVector.fromArray(S, src, c1), r11 = FloatVector.fromArray(S, src, c1 + ss),
                    r21 = FloatVector.fromArray(S, src, c1 + 2 * ss), r31 = FloatVector.fromArray(S, src, c1 + 3 * ss);
            FloatVector t01 = r01.sub(r21), t11 = r11.add(r21), t21 = r21.sub(r11), t31 = r11.sub(r31);
            FloatVector r02 = FloatVector.fromArray(S, src, c2), r12 = FloatVector.fromArray(S, src, c2 + ss),
                    r22 = FloatVector.fromArray(S, src, c2 + 2 * ss), r32 = FloatVector.fromArray(S, src, c2 + 3 * ss);
            FloatVector t02 = r02.sub(r22), t12 = r12.add(r22), t22 = r22.sub(r12), t32 = r12.sub(r32);
            FloatVector r03 = FloatVector.fromArray(S, src, c3), r13 = FloatVector.fromArray(S, src, c3 + ss),
                    r23 = FloatVector.fromArray(S, src, c3 + 2 * ss), r33 = FloatVector.fromArray(S, src, c3 + 3 * ss);
            FloatVector t03 = r03.sub(r23), t13 = r13.add(r23), t23 = r23.sub(r13), t33 = r13.sub(r33);
            // rows: V[a * 4 + j] = (t B)[a][j]
            rowB(t00, t01, t02, t03, v, vo + k, vs);
            rowB(t10, t11, t12, t13, v, vo + 4 * vs + k, vs);
            rowB(t20, t21, t22, t23, v, vo + 8 * vs + k, vs);
            rowB(t30, t31, t32, t33, v, vo + 12 * vs + k, vs);
        }
    }

    private static void rowB(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] v, int at, int vs) {
        a0.sub(a2).intoArray(v, at);
        a1.add(a2).intoArray(v, at + vs);
        a2.sub(a1).intoArray(v, at + 2 * vs);
        a1.sub(a3).intoArray(v, at + 3 * vs);
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
