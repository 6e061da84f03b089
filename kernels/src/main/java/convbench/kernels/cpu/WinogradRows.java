package convbench.kernels.cpu;

/**
 * The 1-D transforms of a Winograd algorithm F(m x m, 3x3) ({@link CpuWinograd}) applied to rows: each
 * output row j is a fixed linear combination of the input rows, element by element over n values (one
 * per tile, or per filter). The JIT does not vectorise these loops by itself (six input rows and six
 * output rows in one array each), so the Vector API versions do it; the scalar ones are the portable
 * loops and the definitions. Two algorithms: F(4x4, 3x3) (tile 6, {@link #F4}: a quarter of direct's
 * multiplications, tens of times its rounding error) and F(2x2, 3x3) (tile 4, {@link #F2}: 4/9 of
 * them, about twice direct's error). The matrices below are F(4x4, 3x3)'s; {@link ScalarWinograd2Rows}
 * has F(2x2, 3x3)'s.
 */
interface WinogradRows {
    WinogradRows F4 = VectorApi.pick(WinogradRows.class, "convbench.kernels.cpu.VectorWinogradRows", ScalarWinogradRows::new);
    WinogradRows F2 = VectorApi.pick(WinogradRows.class, "convbench.kernels.cpu.VectorWinograd2Rows", ScalarWinograd2Rows::new);

    /** The transformed tile's side (m + 2). */
    int tile();

    /** The output tile's side (m). */
    int step();

    /**
     * The 6 rows b[bo + j * bs ..][0, n) = (B^T a)[j] of the 6 rows a[ao + j * as ..][0, n), with
     * B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
     */
    void input(float[] a, int ao, int as, float[] b, int bo, int bs, int n);

    /** The 4 rows b[bo + j * bs ..][0, n) = (A^T a)[j] of the 6 rows a, with A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
    void output(float[] a, int ao, int as, float[] b, int bo, int bs, int n);

    /**
     * The 6 rows b[bo + j * bs ..][0, n) = (G a)[j] of the 3 rows a, with
     * G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].
     */
    void filter(float[] a, int ao, int as, float[] b, int bo, int bs, int n);

    /**
     * Whether {@link #inputRow} is there: F(2x2, 3x3)'s patches step by two columns, so on a source whose rows
     * are split into even and odd columns ({@link CpuBackend#borderSplit}) a tile row's patches are runs, and the
     * whole input transform runs vector-wide; F(4x4, 3x3)'s patches are gathered one by one.
     */
    default boolean hasInputRow() { return false; }

    /** How many values past a row's end {@link #inputRow} may write (and its source be read): its vector's length. */
    default int spill() { return 0; }

    /**
     * F(2x2, 3x3)'s input transform of one tile row, straight from the source: v[vo + xi * vs + k] = (B^T d_k B)[xi]
     * for k in [0, n) and the 16 positions xi, where patch d_k's rows are the 4 rows src[so + r * ss ..] (r = 0..3)
     * and its columns 2 (k0 + k) .. 2 (k0 + k) + 3, each row holding its even columns first (column 2c at c) and
     * then its odd ones (column 2c + 1 at half + c). The same operations in the same order as {@link #input} on the
     * patch's columns, then on its rows. It may write up to {@link #spill} values past v's row ends, reading as many
     * past src's.
     */
    default void inputRow(float[] src, int so, int ss, int half, int k0, int n, float[] v, int vo, int vs) {
        throw new UnsupportedOperationException("F(" + step() + "x" + step() + ", 3x3) gathers its patches (hasInputRow is false)");
    }

    /**
     * The filter gradient's way back through the output transform: the 6 rows b = (A a)[j] of the 4 rows
     * a, with A = (A^T)^T = [1 0 0 0; 1 1 1 1; 1 -1 1 -1; 1 2 4 8; 1 -2 4 -8; 0 0 0 1].
     */
    void outputAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n);

    /**
     * And back through the filter transform: the 3 rows b = (G^T a)[j] of the 6 rows a, with
     * G^T = [1/4 -1/6 -1/6 1/24 1/24 0; 0 -1/6 1/6 1/12 -1/12 0; 0 -1/6 -1/6 1/6 1/6 1].
     */
    void filterAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n);
}
