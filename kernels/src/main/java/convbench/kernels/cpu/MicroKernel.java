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
