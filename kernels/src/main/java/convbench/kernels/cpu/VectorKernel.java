package convbench.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked micro-kernel on the Vector API: a 6 x (2 vectors) tile of C held in
 * 12 vector registers (6 x 32 floats with AVX-512), each k step loading two vectors of B,
 * broadcasting six values of A and issuing twelve fused multiply-adds. A whole tile is then stored
 * (or added) straight into C; a tile cut by C's edge goes through a small buffer and is merged by
 * plain loops, so the vector code never needs a mask (a masked or branchy version ran partly in the
 * slow, allocating fallback of the incubating API). Storing whole tiles directly measured 5 to 10 %
 * faster than always going through the buffer. Loaded only when the JVM runs with
 * --add-modules jdk.incubator.vector.
 */
final class VectorKernel implements MicroKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 6, NR = 2 * L;

    @Override public int mr() { return MR; }

    @Override public int nr() { return NR; }

    @Override public String describe() { return "vector " + MR + "x" + NR + " (" + S.vectorBitSize() + "-bit)"; }

    @Override
    public void run(int kc, float[] ap, int apOff, float[] bp, int bpOff,
                    float[] c, int cOff, int ldc, boolean accumulate, int mValid, int nValid, float[] tile) {
        if (mValid == MR && nValid == NR) {
            product(kc, ap, apOff, bp, bpOff, c, cOff, ldc, accumulate);
        } else if (nValid <= L) {
            // a tail of at most one vector's columns (a 14x14 image's 196 = 6 x 32 + 4): half the tile's work
            half(kc, ap, apOff, bp, bpOff, tile);
            MicroKernel.merge(tile, NR, c, cOff, ldc, accumulate, mValid, nValid);
        } else {
            product(kc, ap, apOff, bp, bpOff, tile, 0, NR, false);
            MicroKernel.merge(tile, NR, c, cOff, ldc, accumulate, mValid, nValid);
        }
    }

    /** C (MR x NR at cOff, rows ldc apart) = or += Ap . Bp over kc steps. */
    private static void product(int kc, float[] ap, int apOff, float[] bp, int bpOff, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int ao = apOff, bo = bpOff;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        store(c00, c01, c, cOff, accumulate);
        store(c10, c11, c, cOff + ldc, accumulate);
        store(c20, c21, c, cOff + 2 * ldc, accumulate);
        store(c30, c31, c, cOff + 3 * ldc, accumulate);
        store(c40, c41, c, cOff + 4 * ldc, accumulate);
        store(c50, c51, c, cOff + 5 * ldc, accumulate);
    }

    /**
     * C (MR x NR) (=|+=) Ap . B over kc steps with B read where it lies, unpacked: B's row k is the NR floats
     * of b from rows[rowOff + k] + bOff. A stride-1 convolution's columns are runs of its bordered image.
     */
    @Override
    public void runRows(int kc, float[] ap, int apOff, float[] b, int[] rows, int rowOff, int bOff,
                        float[] c, int cOff, int ldc, boolean accumulate, int mValid, float[] tile) {
        if (mValid == MR) {
            productRows(kc, ap, apOff, b, rows, rowOff, bOff, c, cOff, ldc, accumulate);
        } else {
            productRows(kc, ap, apOff, b, rows, rowOff, bOff, tile, 0, NR, false);
            MicroKernel.merge(tile, NR, c, cOff, ldc, accumulate, mValid, NR);
        }
    }

    // product's twin, B's address the only difference: one body for both (the address chosen per step, rows null
    // for a packed panel) ran 15 to 25 % slower on packed products inside Sgemm's nest (2026-12-02, one thread)
    private static void productRows(int kc, float[] ap, int apOff, float[] b, int[] rows, int rowOff, int bOff,
                                    float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int ao = apOff;
        for (int k = 0; k < kc; k++, ao += MR) {
            int bo = rows[rowOff + k] + bOff;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        store(c00, c01, c, cOff, accumulate);
        store(c10, c11, c, cOff + ldc, accumulate);
        store(c20, c21, c, cOff + 2 * ldc, accumulate);
        store(c30, c31, c, cOff + 3 * ldc, accumulate);
        store(c40, c41, c, cOff + 4 * ldc, accumulate);
        store(c50, c51, c, cOff + 5 * ldc, accumulate);
    }

    /** tile[r * NR .. + L) = Ap . (the first vector of Bp's rows) over kc steps: six accumulators. */
    private static void half(int kc, float[] ap, int apOff, float[] bp, int bpOff, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        int ao = apOff, bo = bpOff;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            c0 = FloatVector.broadcast(S, ap[ao]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, ap[ao + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, ap[ao + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, ap[ao + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, ap[ao + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, ap[ao + 5]).fma(b0, c5);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, NR);
        c2.intoArray(tile, 2 * NR);
        c3.intoArray(tile, 3 * NR);
        c4.intoArray(tile, 4 * NR);
        c5.intoArray(tile, 5 * NR);
    }

    /** One row of the tile: c[at .. at + NR) = or += (v0, v1). */
    private static void store(FloatVector v0, FloatVector v1, float[] c, int at, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(S, c, at));
            v1 = v1.add(FloatVector.fromArray(S, c, at + L));
        }
        v0.intoArray(c, at);
        v1.intoArray(c, at + L);
    }
}
