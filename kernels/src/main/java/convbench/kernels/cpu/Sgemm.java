package convbench.kernels.cpu;

/**
 * Single-precision matrix product for the CPU backend, row-major:
 * C[M x N] (= or +=) op(A)[M x K] . op(B)[K x N], op being the identity or the transpose.
 * Goto / BLIS structure: B is packed in kc x nc blocks of nr-column micro-panels (kept in L1
 * while the micro-kernel sweeps down), A in mc x kc blocks of mr-row micro-panels (kept in L2),
 * and the register-blocked {@link MicroKernel} does the arithmetic. {@link #gemm} is single-threaded:
 * callers parallelise over independent products (images, pixel tiles) or use {@link #parallel}.
 */
public final class Sgemm {
    static final MicroKernel KERNEL = pickKernel();
    /** Micro-tile of the kernel in use; convolution tiles are multiples of NR. */
    static final int MR = KERNEL.mr(), NR = KERNEL.nr();
    static final int KC = 256;
    /** Block sizes: A blocks of MC_ROWS * mr rows (L2), B blocks of NC_COLS * nr columns. */
    private static final int MC_ROWS = 24, NC_COLS = 128;
    /**
     * The largest micro-tile of the kernels this JVM runs (the one in use, and the scalar one the tests run too),
     * for sizing the packing buffers: B's block holds KC x NC_COLS * nr floats, 8 MiB a thread at nr 64, 4 at 32.
     */
    private static final int MAX_MR = Math.max(MR, new ScalarKernel().mr()), MAX_NR = Math.max(NR, new ScalarKernel().nr());
    /** Micro-panels of A one task of a parallel {@link PackedA#pack} packs. */
    private static final int PACK_PANELS = 8;
    /**
     * Products of at most this many rows read B's full micro-panels where they lie (rows given) instead of packing
     * them: a packed panel serves only m / mr micro-tiles, and below this its packing cost more than the unpacked
     * reads. One thread, CPU time, forward: 1x1 convolutions to 64 or 48 channels 13 to 40 % faster, the padded
     * image's 56x56 3x3 (64) and 35x35 5x5 (48 -> 64) 6 to 10 %; at 96 rows and more the same or up to 14 % slower
     * (bench/results/cpu-kernels-2026-12-01.txt, §21).
     */
    static final int UNPACKED_ROWS = 64;

    private Sgemm() {}

    /**
     * The depth of a product's kc blocks, k deep: all of it up to {@link #KC}; beyond, KC, or where KC's last block
     * would be under half a block the largest multiple of 32 from 224 down to 160 whose last block is not: k = 576
     * (3x3, 64 channels) as 224 + 224 + 128, not 256 + 256 + 64, whose 64 steps pay a whole C tile's load and
     * store as the others do (where none of them has such a last block, KC: k = 1345). Multiples of 32, so
     * {@link CpuWinograd}'s runs of filters never cross a block.
     */
    static int kcOf(int k) {
        if (k <= KC) return Math.max(k, 1);
        for (int kc = KC; kc >= 160; kc -= 32)
            if (k - (k - 1) / kc * kc >= kc / 2) return kc;
        return KC;
    }

    private static MicroKernel pickKernel() {
        return VectorApi.pick(MicroKernel.class, "convbench.kernels.cpu.VectorKernel", ScalarKernel::new);
    }

    /** The micro-kernel in use, e.g. "vector 8x32 (512-bit)". */
    public static String kernel() { return KERNEL.describe(); }

    /** Whether the Vector API kernel is in use. */
    public static boolean vectorized() { return KERNEL instanceof VectorKernel; }

    /** Packing buffers for one thread. */
    public static final class Buffers {
        final float[] ap = new float[MC_ROWS * MAX_MR * KC];
        final float[] bp = new float[KC * NC_COLS * MAX_NR];
        final float[] tile = new float[MAX_MR * MAX_NR];
        /** A narrow tail's micro-panel of B spread by {@link MicroKernel#prepareNarrow}: kc / 2 steps of at most 4 vectors. */
        final float[] bx = new float[KC / 2 * 4 * MAX_NR];

        /** Bytes held by one set of buffers. */
        static long bytes() { return 4L * (KC * (MC_ROWS * MAX_MR + NC_COLS * MAX_NR) + MAX_MR * MAX_NR + KC / 2 * 4 * MAX_NR); }
    }

    /**
     * C (M x N, leading dimension ldc) = op(A) . op(B) (accumulate false) or += (accumulate true).
     * A is M x K (K x M when ta), leading dimension lda; B is K x N (N x K when tb).
     */
    public static void gemm(boolean ta, boolean tb, int m, int n, int k,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            boolean accumulate, float[] c, int cOff, int ldc, Buffers buf) {
        gemm(KERNEL, ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, buf);
    }

    /** {@link #gemm} with a given micro-kernel (tests run both). */
    static void gemm(MicroKernel kernel, boolean ta, boolean tb, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     boolean accumulate, float[] c, int cOff, int ldc, Buffers buf) {
        nest(kernel, null, ta, m, n, k, a, aOff, lda, tb, b, bOff, ldb, null, null, accumulate, c, cOff, ldc, buf);
    }

    /**
     * Where the k index of a product runs across images: index q is pixel q % width of image q / width, which lies
     * (q / width) * aImage (A's rows) or * bImage (B^T's rows) floats on from image 0's. A filter gradient sums
     * dz . x^T over a whole batch this way in one product, k = images x pixels deep, rather than one short product
     * per image (each a pass over dW). An operand whose images lie one after the other in its rows (im2col's
     * columns of several images) has its image stride equal to width.
     */
    public record Span(int width, int aImage, int bImage) {
        public Span {
            if (width < 1) throw new IllegalArgumentException("span width " + width);
        }
    }

    /**
     * C (M x N) (=|+=) A . B^T, A being M x K and B N x K (leading dimensions lda, ldb), with K running across
     * images as span says: A[i][q] = a[aOff + i * lda + (q / w) * aImage + q % w], w = span.width(), and B alike.
     */
    public static void gemmSpan(int m, int n, int k, Span span, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                boolean accumulate, float[] c, int cOff, int ldc, Buffers buf) {
        nest(KERNEL, null, false, m, n, k, a, aOff, lda, true, b, bOff, ldb, null, span, accumulate, c, cOff, ldc, buf);
    }

    /** {@link #gemmSpan} with a given micro-kernel (tests run both). */
    static void gemmSpan(MicroKernel kernel, int m, int n, int k, Span span, float[] a, int aOff, int lda,
                         float[] b, int bOff, int ldb, boolean accumulate, float[] c, int cOff, int ldc, Buffers buf) {
        nest(kernel, null, false, m, n, k, a, aOff, lda, true, b, bOff, ldb, null, span, accumulate, c, cOff, ldc, buf);
    }

    /**
     * The loop nest of both products: for each nc-column block of C and kc-deep slice, B's block is packed
     * (L1-sized micro-panels), then for each mc-row block A's block is packed (L2) unless pre holds all of
     * op(A) packed already, and the micro-kernel sweeps the block's tiles, B's panel outermost. Where A is one
     * row block, B's micro-panels are packed one at a time instead, each just before its sweep.
     */
    private static void nest(MicroKernel kernel, PackedA pre, boolean ta, int m, int n, int k,
                             float[] a, int aOff, int lda, boolean tb, float[] b, int bOff, int ldb, int[] rows,
                             Span span, boolean accumulate, float[] c, int cOff, int ldc, Buffers buf) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        final int mr = kernel.mr(), nr = kernel.nr(), narrow = kernel.narrow(), mcMax = pre != null ? m : MC_ROWS * mr, ncMax = NC_COLS * nr;
        final int kcb = kcOf(k);
        // one row block (always so with A packed before): each of B's micro-panels serves one sweep down it, so it
        // is packed just before that sweep, into L1, not all of B's block first (through L2 and L3 and back)
        final boolean onePass = m <= mcMax;
        float[] bp = buf.bp;
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += kcb) {
                int kc = Math.min(kcb, k - pc);
                boolean acc = accumulate || pc > 0;
                boolean spread = false; // this block's narrow tail panel (one, the last) spread into buf.bx yet
                // few rows and B's rows given: only a last, partial micro-panel is packed; the full ones are read in place
                int full = rows != null && m <= UNPACKED_ROWS ? nc / nr * nr : 0;
                if (!onePass && full < nc) packB(nr, tb, b, bOff, ldb, rows, span, pc, kc, jc + full, nc - full, bp);
                for (int ic = 0; ic < m; ic += mcMax) {
                    int mc = Math.min(mcMax, m - ic);
                    float[] ap = pre != null ? pre.data : buf.ap;
                    int apOff = pre != null ? pre.off + pc * pre.mPad : 0;
                    if (pre == null) packA(mr, ta, a, aOff, lda, span, ic, mc, pc, kc, ap, 0);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int nv = Math.min(nr, nc - jr);
                        int cAt = cOff + jc + jr;
                        if (jr < full) {
                            for (int ir = 0; ir < mc; ir += mr)
                                kernel.runRows(kc, ap, apOff + ir * kc, b, rows, pc, bOff + jc + jr,
                                        c, cAt + (ic + ir) * ldc, ldc, acc, Math.min(mr, mc - ir), buf.tile);
                            continue;
                        }
                        int bpOff = 0;
                        if (onePass) packB(nr, tb, b, bOff, ldb, rows, span, pc, kc, jc + jr, nv, bp);
                        else bpOff = ((jr - full) / nr) * kc * nr;
                        if (nv <= narrow && kc % 2 == 0) { // a narrow tail: B spread once, then each of A's panels
                            if (!spread) kernel.prepareNarrow(kc, bp, bpOff, buf.bx);
                            spread = true;
                            for (int ir = 0; ir < mc; ir += mr)
                                kernel.runNarrow(kc, ap, apOff + ir * kc, buf.bx,
                                        c, cAt + (ic + ir) * ldc, ldc, acc, Math.min(mr, mc - ir), nv, buf.tile);
                        } else
                            for (int ir = 0; ir < mc; ir += mr)
                                kernel.run(kc, ap, apOff + ir * kc, bp, bpOff,
                                        c, cAt + (ic + ir) * ldc, ldc, acc, Math.min(mr, mc - ir), nv, buf.tile);
                    }
                }
            }
        }
    }

    /**
     * op(A) (m x k) packed once for many products with different B: the layout {@link #gemm}
     * builds per call, for every (kc, mc) block. A convolution packs its weights once per pass
     * and every pixel tile reuses them.
     */
    public static final class PackedA {
        final int m, k, mPad;
        final float[] data;
        final int off;

        private PackedA(int m, int k, float[] data, int off) {
            this.m = m;
            this.k = k;
            this.mPad = roundUp(m, MR);
            this.data = data;
            this.off = off;
        }

        /**
         * An m x k op(A) that the caller writes into data from off, element (row, col) at off + index(row, col),
         * with the padding rows (from m up to a multiple of the micro-tile's rows) zero.
         */
        static PackedA wrap(int m, int k, float[] data, int off) { return new PackedA(m, k, data, off); }

        /** Where element (row, col) lies, from the start of the packed data: the layout {@link #pack} writes. */
        int index(int row, int col) {
            int kcb = kcOf(k), pc = col / kcb * kcb, kc = Math.min(kcb, k - pc);
            return pc * mPad + (row / MR) * kc * MR + (col - pc) * MR + row % MR;
        }

        /** Floats needed to pack an m x k op(A). */
        public static int size(int m, int k) { return roundUp(m, MR) * k; }

        /** Packs op(A) (m x k; A is k x m when ta) into dst (at least size(m, k) floats). */
        public static PackedA pack(boolean ta, int m, int k, float[] a, int aOff, int lda, float[] dst) {
            return pack(ta, m, k, a, aOff, lda, dst, null);
        }

        /**
         * {@link #pack(boolean, int, int, float[], int, int, float[])} split over par's threads (par null: on this
         * one), by kc blocks and runs of {@link #PACK_PANELS} micro-panels: a convolution packs its weights once
         * per call, and alone that pass cost up to a fifth of a small layer.
         */
        public static PackedA pack(boolean ta, int m, int k, float[] a, int aOff, int lda, float[] dst, Parallel par) {
            PackedA p = new PackedA(m, k, dst, 0);
            int kcb = kcOf(k), blocks = (k + kcb - 1) / kcb, runs = (p.mPad / MR + PACK_PANELS - 1) / PACK_PANELS;
            java.util.function.IntConsumer task = t -> {
                // block pc holds mPad rows as mr-row micro-panels of kc steps, from pc * mPad; this run's from row i0
                int pc = (t / runs) * kcb, kc = Math.min(kcb, k - pc), i0 = (t % runs) * PACK_PANELS * MR;
                int rows = Math.min(PACK_PANELS * MR, m - i0);
                if (rows > 0) packA(MR, ta, a, aOff, lda, null, i0, rows, pc, kc, dst, pc * p.mPad + i0 * kc);
            };
            if (par == null || par.threads() == 1) for (int t = 0; t < blocks * runs; t++) task.accept(t);
            else par.forEach(blocks * runs, (t, worker) -> task.accept(t));
            return p;
        }
    }

    /** C (m x n) (=|+=) A . op(B) with A packed by {@link PackedA#pack}; single-threaded. */
    public static void gemm(PackedA a, boolean tb, int n, float[] b, int bOff, int ldb,
                            boolean accumulate, float[] c, int cOff, int ldc, Buffers buf) {
        nest(KERNEL, a, false, a.m, n, a.k, null, 0, 0, tb, b, bOff, ldb, null, null, accumulate, c, cOff, ldc, buf);
    }

    /**
     * C (m x n) (=|+=) A . B with A packed by {@link PackedA#pack} and B's rows anywhere in b: B[r][j] =
     * b[rows[r] + bOff + j]. A stride-1 convolution reads its input this way, as the columns im2col would
     * build, without building them ({@link CpuPaddedGemm}), and a 1x1 convolution its planes ({@link CpuConv}).
     * With at most {@link #UNPACKED_ROWS} rows in A, B's full micro-panels are read in place, not packed;
     * single-threaded.
     */
    public static void gemm(PackedA a, int n, float[] b, int bOff, int[] rows,
                            boolean accumulate, float[] c, int cOff, int ldc, Buffers buf) {
        nest(KERNEL, a, false, a.m, n, a.k, null, 0, 0, false, b, bOff, 0, rows, null, accumulate, c, cOff, ldc, buf);
    }

    /** Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into mr-row micro-panels, zero-filled at the edge. */
    static void packA(int MR, boolean ta, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] ap) {
        packA(MR, ta, a, aOff, lda, null, i0, mc, p0, kc, ap, 0);
    }

    /** The same into ap from apOff, with A's k running across images where span is not null (A not transposed). */
    static void packA(int MR, boolean ta, float[] a, int aOff, int lda, Span span, int i0, int mc, int p0, int kc,
                      float[] ap, int apOff) {
        for (int ir = 0; ir < mc; ir += MR) {
            int base = apOff + (ir / MR) * kc * MR;
            int rows = Math.min(MR, mc - ir);
            if (!ta) {
                for (int r = 0; r < MR; r++) {
                    if (r < rows) {
                        int src = aOff + (i0 + ir + r) * lda;
                        if (span == null) for (int kk = 0; kk < kc; kk++) ap[base + kk * MR + r] = a[src + p0 + kk];
                        else gatherAcross(a, src, span.width(), span.aImage(), p0, kc, ap, base + r, MR);
                    } else {
                        for (int kk = 0; kk < kc; kk++) ap[base + kk * MR + r] = 0f;
                    }
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    int src = aOff + (p0 + kk) * lda + i0 + ir;
                    int dst = base + kk * MR;
                    for (int r = 0; r < rows; r++) ap[dst + r] = a[src + r];
                    for (int r = rows; r < MR; r++) ap[dst + r] = 0f;
                }
            }
        }
    }

    /**
     * dst[at + kk * step] = the kc values k = p0 .. p0 + kc - 1 of a row whose k runs across images of width values
     * each: k is image k / width's value k % width, at src[from + image * imageStride + k % width]. One run per image.
     */
    private static void gatherAcross(float[] src, int from, int width, int imageStride, int p0, int kc, float[] dst, int at, int step) {
        for (int kk = 0; kk < kc; ) {
            int q = p0 + kk, img = q / width, pix = q - img * width;
            int run = Math.min(width - pix, kc - kk), s = from + img * imageStride + pix;
            for (int j = 0; j < run; j++) dst[at + (kk + j) * step] = src[s + j];
            kk += run;
        }
    }

    /** Packs rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into nr-column micro-panels, zero-filled at the edge. */
    static void packB(int NR, boolean tb, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] bp) {
        packB(NR, tb, b, bOff, ldb, null, null, p0, kc, j0, nc, bp);
    }

    /**
     * The same, with B's row r at rows[r] + bOff where rows is not null (B not transposed), and B^T's k running
     * across images where span is not null (B transposed).
     */
    static void packB(int NR, boolean tb, float[] b, int bOff, int ldb, int[] rows, Span span, int p0, int kc, int j0, int nc,
                      float[] bp) {
        for (int jr = 0; jr < nc; jr += NR) {
            int base = (jr / NR) * kc * NR;
            int cols = Math.min(NR, nc - jr);
            if (!tb) {
                for (int kk = 0; kk < kc; kk++) {
                    int src = (rows == null ? bOff + (p0 + kk) * ldb : rows[p0 + kk] + bOff) + j0 + jr;
                    int dst = base + kk * NR;
                    System.arraycopy(b, src, bp, dst, cols);
                    for (int cc = cols; cc < NR; cc++) bp[dst + cc] = 0f;
                }
            } else {
                for (int cc = 0; cc < NR; cc++) {
                    if (cc < cols) {
                        int src = bOff + (j0 + jr + cc) * ldb;
                        if (span == null) for (int kk = 0; kk < kc; kk++) bp[base + kk * NR + cc] = b[src + p0 + kk];
                        else gatherAcross(b, src, span.width(), span.bImage(), p0, kc, bp, base + cc, NR);
                    } else {
                        for (int kk = 0; kk < kc; kk++) bp[base + kk * NR + cc] = 0f;
                    }
                }
            }
        }
    }

    /**
     * The product split over the backend's threads: by column blocks of C when N is the larger
     * dimension, else by row blocks. Each worker packs into its own buffers.
     */
    public static void parallel(Parallel par, Buffers[] bufs, boolean ta, boolean tb, int m, int n, int k,
                                float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                boolean accumulate, float[] c, int cOff, int ldc) {
        int threads = par.threads();
        long work = (long) m * n * k;
        if (threads == 1 || work < 64L * 64 * 64) {
            gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, bufs[0]);
            return;
        }
        if (n >= m) {
            int chunk = roundUp(Math.max(NR, (n + 4 * threads - 1) / (4 * threads)), NR);
            int parts = (n + chunk - 1) / chunk;
            par.forEach(parts, (p, w) -> {
                int j0 = p * chunk, nn = Math.min(chunk, n - j0);
                int bo = tb ? bOff + j0 * ldb : bOff + j0;
                gemm(ta, tb, m, nn, k, a, aOff, lda, b, bo, ldb, accumulate, c, cOff + j0, ldc, bufs[w]);
            });
        } else {
            int chunk = roundUp(Math.max(MR, (m + 4 * threads - 1) / (4 * threads)), MR);
            int parts = (m + chunk - 1) / chunk;
            par.forEach(parts, (p, w) -> {
                int i0 = p * chunk, mm = Math.min(chunk, m - i0);
                int ao = ta ? aOff + i0 : aOff + i0 * lda;
                gemm(ta, tb, mm, n, k, a, ao, lda, b, bOff, ldb, accumulate, c, cOff + i0 * ldc, ldc, bufs[w]);
            });
        }
    }

    static int roundUp(int x, int m) { return (x + m - 1) / m * m; }
}
