package convbench.kernels.cpu;

/**
 * {@link WinogradRows} of F(2x2, 3x3) (interpolation points 0, 1, -1 and infinity) as plain loops:
 * portable, the definition, and the tail of {@link VectorWinograd2Rows}. Its matrices:
 * <pre>
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]     G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * </pre>
 */
final class ScalarWinograd2Rows implements WinogradRows {
    @Override public int tile() { return 4; }

    @Override public int step() { return 2; }

    /** 4 rows to 4: B^T a. */
    @Override public void input(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q], a3 = a[ao + 3 * as + q];
            b[bo + q] = a0 - a2;
            b[bo + bs + q] = a1 + a2;
            b[bo + 2 * bs + q] = a2 - a1;
            b[bo + 3 * bs + q] = a1 - a3;
        }
    }

    @Override public boolean hasInputRow() { return true; }

    /**
     * B^T d B of a tile row's patches from rows split into even and odd columns: the patch's columns 0..3 are
     * even column k, odd k, even k + 1, odd k + 1; first {@link #input} on each column (t[a][b] = (B^T d)[a][b]),
     * then on each row of t.
     */
    @Override public void inputRow(float[] src, int so, int ss, int half, int k0, int n, float[] v, int vo, int vs) {
        int e = so + k0, o = e + half;
        float[] t = new float[16]; // t[a * 4 + b] = (B^T d)[a][b]
        for (int k = 0; k < n; k++) {
            for (int b = 0; b < 4; b++) input(src, ((b & 1) == 0 ? e : o) + k + (b >> 1), ss, t, b, 4, 1);
            for (int a = 0; a < 4; a++) input(t, a * 4, 1, v, vo + 4 * a * vs + k, vs, 1);
        }
    }

    /** 4 rows to 2: A^T a. */
    @Override public void output(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q], a3 = a[ao + 3 * as + q];
            b[bo + q] = a0 + a1 + a2;
            b[bo + bs + q] = a1 - a2 - a3;
        }
    }

    /** 3 rows to 4: G a. */
    @Override public void filter(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q];
            float even = a0 + a2;
            b[bo + q] = a0;
            b[bo + bs + q] = (even + a1) * 0.5f;
            b[bo + 2 * bs + q] = (even - a1) * 0.5f;
            b[bo + 3 * bs + q] = a2;
        }
    }

    /** 2 rows to 4: A a, A = [1 0; 1 1; 1 -1; 0 -1]. */
    @Override public void outputAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q];
            b[bo + q] = a0;
            b[bo + bs + q] = a0 + a1;
            b[bo + 2 * bs + q] = a0 - a1;
            b[bo + 3 * bs + q] = -a1;
        }
    }

    /** 4 rows to 3: G^T a, G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]. */
    @Override public void filterAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q], a3 = a[ao + 3 * as + q];
            float half = (a1 + a2) * 0.5f;
            b[bo + q] = a0 + half;
            b[bo + bs + q] = (a1 - a2) * 0.5f;
            b[bo + 2 * bs + q] = half + a3;
        }
    }
}
