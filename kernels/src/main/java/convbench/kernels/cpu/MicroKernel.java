package convbench.kernels.cpu;

/**
 * The innermost block of the matrix product: C[0:mr, 0:nr] (+)= Ap . Bp over kc steps, where Ap is
 * an mr-row micro-panel packed k-major (ap[k * mr + r]) and Bp an nr-column micro-panel packed
 * k-major (bp[k * nr + c]). Only the top-left mValid x nValid of the tile is written to C.
 * tile is the caller's scratch of at least mr * nr floats.
 */
interface MicroKernel {
    int mr();

    int nr();

    void run(int kc, float[] ap, int apOff, float[] bp, int bpOff,
             float[] c, int cOff, int ldc, boolean accumulate, int mValid, int nValid, float[] tile);

    /**
     * The same with B unpacked, all nr columns valid: B's row k is the nr floats of b from rows[rowOff + k] + bOff
     * (a stride-1 convolution's columns, read from its bordered image where they lie).
     */
    default void runRows(int kc, float[] ap, int apOff, float[] b, int[] rows, int rowOff, int bOff,
                         float[] c, int cOff, int ldc, boolean accumulate, int mValid, float[] tile) {
        int mr = mr(), nr = nr();
        java.util.Arrays.fill(tile, 0, mr * nr, 0f);
        for (int k = 0; k < kc; k++) {
            int ao = apOff + k * mr, bo = rows[rowOff + k] + bOff;
            for (int r = 0; r < mr; r++) {
                float a = ap[ao + r];
                for (int j = 0; j < nr; j++) tile[r * nr + j] += a * b[bo + j];
            }
        }
        merge(tile, nr, c, cOff, ldc, accumulate, mValid, nr);
    }

    /**
     * The widest tail that {@link #runNarrow} takes, by a kernel of its own (0: none, {@link #run} takes every tail).
     * It takes only an even kc.
     */
    default int narrow() { return 0; }

    /** Spreads a packed micro-panel of B (kc even) into bx, the form {@link #runNarrow} reads, once for all of A's panels. */
    default void prepareNarrow(int kc, float[] bp, int bpOff, float[] bx) {
        throw new UnsupportedOperationException("this kernel has no narrow tail (narrow() is 0)");
    }

    /** C (mValid x nValid, nValid at most {@link #narrow}) (=|+=) Ap . B over kc (even) steps, B from {@link #prepareNarrow}. */
    default void runNarrow(int kc, float[] ap, int apOff, float[] bx, float[] c, int cOff, int ldc, boolean accumulate,
                           int mValid, int nValid, float[] tile) {
        throw new UnsupportedOperationException("this kernel has no narrow tail (narrow() is 0)");
    }

    /** Which kernel this is, for reports. */
    String describe();

    /** C[r, j] (=|+=) tile[r * nr + j] for the valid rows and columns. */
    static void merge(float[] tile, int nr, float[] c, int cOff, int ldc, boolean accumulate, int mValid, int nValid) {
        for (int r = 0; r < mValid; r++) {
            int co = cOff + r * ldc, to = r * nr;
            CpuBackend.store(c, co, tile, to, nValid, accumulate);
        }
    }
}
