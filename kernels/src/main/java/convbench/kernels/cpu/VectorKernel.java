package convbench.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked micro-kernel on the Vector API: an 8 x (2 vectors) tile of C held in
 * 16 vector registers (8 x 32 floats with AVX-512), each k step loading two vectors of B,
 * broadcasting eight values of A and issuing sixteen fused multiply-adds. With vectors narrower
 * than 512 bits (AVX2: 16 registers, where 16 accumulators spill) the tile is 6 rows: the last two
 * rows' code is behind a constant and compiles away, and their accumulators start null there, not zero:
 * started at the zero vector, C2 kept the four unused ones alive through the loop, which spilled: the
 * 6-row kernel alone ran at 45 against 75 GFLOP/s, one thread of a Zen 3 with AVX2
 * (bench/results/cpu-kernels-2026-12-01.txt, §41). A whole tile that overwrites C is stored straight
 * into it; a whole tile that adds to C goes through a small buffer added by straight-line vector code
 * ({@link #addTile}), and a tile cut by C's edge through that buffer merged by plain loops, so the vector
 * code never needs a mask (a masked or branchy version ran partly in the slow,
 * allocating fallback of the incubating API) and stays under C2's inlining node budget (loading C into
 * the accumulators, or a load-add-store per row, made the 8-row body too big: C2 stopped inlining the
 * vector intrinsics and the kernel ran at a tenth of its speed). Loaded only when the JVM runs with
 * --add-modules jdk.incubator.vector.
 */
final class VectorKernel implements MicroKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Eight rows where there are 32 vector registers (AVX-512), else six. One thread, CPU time, an Intel Xeon with
     * AVX-512: the 8-row kernel alone 152-169 against 147-156 GFLOP/s, whole products 2 to 45 % faster; forced to AVX2
     * the 8-row kernel spills and ran 20 to 35 % slower than six rows (bench/results/cpu-kernels-2026-12-01.txt, §27).
     */
    private static final boolean EIGHT = S.vectorBitSize() >= 512;
    private static final int MR = EIGHT ? 8 : 6, NR = 2 * L;
    /** Tails of at most this many columns go to {@link #runNarrow}. */
    private static final int NARROW = 4;

    @Override public int mr() { return MR; }

    @Override public int nr() { return NR; }

    @Override public String describe() { return "vector " + MR + "x" + NR + " (" + S.vectorBitSize() + "-bit)"; }

    @Override
    public void run(int kc, float[] ap, int apOff, float[] bp, int bpOff,
                    float[] c, int cOff, int ldc, boolean accumulate, int mValid, int nValid, float[] tile) {
        if (mValid == MR && nValid == NR && !accumulate) {
            product(kc, ap, apOff, bp, bpOff, c, cOff, ldc);
        } else if (mValid == MR && nValid == NR) {
            product(kc, ap, apOff, bp, bpOff, tile, 0, NR);
            addTile(tile, c, cOff, ldc);
        } else if (nValid <= L) {
            // a tail of at most one vector's columns: half the tile's work
            half(kc, ap, apOff, bp, bpOff, tile);
            MicroKernel.merge(tile, NR, c, cOff, ldc, accumulate, mValid, nValid);
        } else {
            product(kc, ap, apOff, bp, bpOff, tile, 0, NR);
            MicroKernel.merge(tile, NR, c, cOff, ldc, accumulate, mValid, nValid);
        }
    }

    /** C (MR x NR at cOff, rows ldc apart) = Ap . Bp over kc steps (overwrites). */
    private static void product(int kc, float[] ap, int apOff, float[] bp, int bpOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        FloatVector c60 = EIGHT ? c00 : null, c61 = c60, c70 = c60, c71 = c60; // null: see the class comment
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
            if (EIGHT) {
                a = FloatVector.broadcast(S, ap[ao + 6]);
                c60 = a.fma(b0, c60);
                c61 = a.fma(b1, c61);
                a = FloatVector.broadcast(S, ap[ao + 7]);
                c70 = a.fma(b0, c70);
                c71 = a.fma(b1, c71);
            }
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        if (EIGHT) {
            c60.intoArray(c, cOff + 6 * ldc);
            c61.intoArray(c, cOff + 6 * ldc + L);
            c70.intoArray(c, cOff + 7 * ldc);
            c71.intoArray(c, cOff + 7 * ldc + L);
        }
    }

    /** C (MR x NR at cOff, rows ldc apart) += tile (MR x NR, packed): a whole tile's accumulation, straight-line. */
    private static void addTile(float[] tile, float[] c, int cOff, int ldc) {
        for (int r = 0; r < MR; r++) {
            int o = cOff + r * ldc;
            FloatVector.fromArray(S, c, o).add(FloatVector.fromArray(S, tile, r * NR)).intoArray(c, o);
            FloatVector.fromArray(S, c, o + L).add(FloatVector.fromArray(S, tile, r * NR + L)).intoArray(c, o + L);
        }
    }

    /**
     * C (MR x NR) (=|+=) Ap . B over kc steps with B read where it lies, unpacked: B's row k is the NR floats
     * of b from rows[rowOff + k] + bOff. A stride-1 convolution's columns are runs of its bordered image.
     */
    @Override
    public void runRows(int kc, float[] ap, int apOff, float[] b, int[] rows, int rowOff, int bOff,
                        float[] c, int cOff, int ldc, boolean accumulate, int mValid, float[] tile) {
        if (mValid == MR && !accumulate) {
            productRows(kc, ap, apOff, b, rows, rowOff, bOff, c, cOff, ldc);
        } else if (mValid == MR) {
            productRows(kc, ap, apOff, b, rows, rowOff, bOff, tile, 0, NR);
            addTile(tile, c, cOff, ldc);
        } else {
            productRows(kc, ap, apOff, b, rows, rowOff, bOff, tile, 0, NR);
            MicroKernel.merge(tile, NR, c, cOff, ldc, accumulate, mValid, NR);
        }
    }

    // product's twin, B's address the only difference: one body for both (the address chosen per step, rows null
    // for a packed panel) ran 15 to 25 % slower on packed products inside Sgemm's nest (2026-12-02, one thread)
    private static void productRows(int kc, float[] ap, int apOff, float[] b, int[] rows, int rowOff, int bOff,
                                    float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        FloatVector c60 = EIGHT ? c00 : null, c61 = c60, c70 = c60, c71 = c60; // null: see the class comment
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
            if (EIGHT) {
                a = FloatVector.broadcast(S, ap[ao + 6]);
                c60 = a.fma(b0, c60);
                c61 = a.fma(b1, c61);
                a = FloatVector.broadcast(S, ap[ao + 7]);
                c70 = a.fma(b0, c70);
                c71 = a.fma(b1, c71);
            }
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        if (EIGHT) {
            c60.intoArray(c, cOff + 6 * ldc);
            c61.intoArray(c, cOff + 6 * ldc + L);
            c70.intoArray(c, cOff + 7 * ldc);
            c71.intoArray(c, cOff + 7 * ldc + L);
        }
    }

    /**
     * Tails of at most NARROW columns (a 14x14 image's 196 = 6 x 32 + 4, a 17x17 one's 289 = 9 x 32 + 1) with the
     * vectors down the rows instead of along them: where a vector is two of A's 8-row steps (EIGHT, 16 lanes), lanes
     * 0-7 hold step 2s's rows and 8-15 step 2s + 1's, one accumulator a column, and B's values come from bx, each
     * spread over the half of the lanes of its step ({@link #prepareNarrow}). Two steps cost one load of A, NARROW
     * loads of bx and NARROW fused multiply-adds, where {@link #half} spends two loads, sixteen broadcasts and sixteen
     * multiply-adds on its 16 columns. One thread, Zen 4, a 256 x 196 x 1024 product on packed A (a 14x14 1x1 layer's
     * image): the 4-column tail by half cost 0.14 ms of 1.05, as much as a sixth of the rest
     * (bench/results/cpu-kernels-2026-12-01.txt, §45). One species only: a second one (256-bit vectors for the 8 rows)
     * made every product of the JVM run at 6 GFLOP/s, the API's calls no longer intrinsified.
     */
    @Override public int narrow() { return EIGHT && L == 2 * MR ? NARROW : 0; }

    /** bx[(s * NARROW + j) * L + l] = B[2s][j] for l < MR, B[2s + 1][j] for l >= MR (s < kc / 2, kc even). */
    @Override
    public void prepareNarrow(int kc, float[] bp, int bpOff, float[] bx) {
        for (int s = 0; s < kc / 2; s++)
            for (int j = 0; j < NARROW; j++) {
                int o = (s * NARROW + j) * L;
                float b0 = bp[bpOff + 2 * s * NR + j], b1 = bp[bpOff + (2 * s + 1) * NR + j];
                for (int l = 0; l < MR; l++) {
                    bx[o + l] = b0;
                    bx[o + MR + l] = b1;
                }
            }
    }

    /** C (mValid x nValid) (=|+=) Ap . B over kc (even) steps, B spread in bx by {@link #prepareNarrow}. */
    @Override
    public void runNarrow(int kc, float[] ap, int apOff, float[] bx, float[] c, int cOff, int ldc, boolean accumulate,
                          int mValid, int nValid, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        for (int s = 0, ao = apOff, bo = 0; s < kc / 2; s++, ao += 2 * MR, bo += NARROW * L) {
            FloatVector a = FloatVector.fromArray(S, ap, ao);
            c0 = FloatVector.fromArray(S, bx, bo).fma(a, c0);
            c1 = FloatVector.fromArray(S, bx, bo + L).fma(a, c1);
            c2 = FloatVector.fromArray(S, bx, bo + 2 * L).fma(a, c2);
            c3 = FloatVector.fromArray(S, bx, bo + 3 * L).fma(a, c3);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, L);
        c2.intoArray(tile, 2 * L);
        c3.intoArray(tile, 3 * L);
        for (int r = 0; r < mValid; r++)
            for (int j = 0, o = cOff + r * ldc; j < nValid; j++, o++)
                c[o] = CpuBackend.grad(c[o], tile[j * L + r] + tile[j * L + MR + r], accumulate);
    }

    /** tile[r * NR .. + L) = Ap . (the first vector of Bp's rows) over kc steps: one accumulator a row. */
    private static void half(int kc, float[] ap, int apOff, float[] bp, int bpOff, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = EIGHT ? c0 : null, c7 = c6; // null: see the class comment
        int ao = apOff, bo = bpOff;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            c0 = FloatVector.broadcast(S, ap[ao]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, ap[ao + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, ap[ao + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, ap[ao + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, ap[ao + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, ap[ao + 5]).fma(b0, c5);
            if (EIGHT) {
                c6 = FloatVector.broadcast(S, ap[ao + 6]).fma(b0, c6);
                c7 = FloatVector.broadcast(S, ap[ao + 7]).fma(b0, c7);
            }
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, NR);
        c2.intoArray(tile, 2 * NR);
        c3.intoArray(tile, 3 * NR);
        c4.intoArray(tile, 4 * NR);
        c5.intoArray(tile, 5 * NR);
        if (EIGHT) {
            c6.intoArray(tile, 6 * NR);
            c7.intoArray(tile, 7 * NR);
        }
    }
}
