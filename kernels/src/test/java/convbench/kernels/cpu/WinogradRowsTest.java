package convbench.kernels.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd's row transforms: the Vector API version gives the scalar loop's values bit for bit (the same
 * operations in the same order, Java rounding each one), on rows longer than a vector and with a tail;
 * and the 1-D transforms compose to a correlation: A^T ((G g) * (B^T d)) = the 4 outputs of d with g.
 */
class WinogradRowsTest {
    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @Test
    void vectorMatchesScalarBitForBit() {
        vectorMatchesScalar(new VectorWinogradRows(), new ScalarWinogradRows());
        vectorMatchesScalar(new VectorWinograd2Rows(), new ScalarWinograd2Rows());
    }

    /** One of the row transforms, as a method of WinogradRows. */
    interface Transform {
        void apply(WinogradRows rows, float[] a, int ao, int as, float[] b, int bo, int bs, int n);
    }

    private static final java.util.Map<String, Transform> TRANSFORMS = java.util.Map.of(
            "input", WinogradRows::input, "output", WinogradRows::output, "filter", WinogradRows::filter,
            "output adjoint", WinogradRows::outputAdjoint, "filter adjoint", WinogradRows::filterAdjoint);

    private static void vectorMatchesScalar(WinogradRows vector, WinogradRows scalar) {
        for (int n : new int[] {1, 15, 16, 37, 100}) {
            float[] a = random(6 * n + 3, n);
            for (var t : TRANSFORMS.entrySet()) {
                float[] bv = new float[6 * n + 5], bs = new float[6 * n + 5];
                t.getValue().apply(vector, a, 3, n, bv, 5, n, n);
                t.getValue().apply(scalar, a, 3, n, bs, 5, n, n);
                assertArrayEquals(bs, bv, t.getKey() + ", n " + n);
            }
        }
    }

    @Test
    void transformsComposeToACorrelation() {
        transformsComposeToACorrelation(new ScalarWinogradRows());
        transformsComposeToACorrelation(new ScalarWinograd2Rows());
    }

    private static void transformsComposeToACorrelation(WinogradRows rows) {
        int t = rows.tile(), m = rows.step();
        float[] d = random(t, 7), g = random(3, 8);
        float[] v = new float[t], u = new float[t], p = new float[t], y = new float[m];
        rows.input(d, 0, 1, v, 0, 1, 1);
        rows.filter(g, 0, 1, u, 0, 1, 1);
        for (int i = 0; i < t; i++) p[i] = u[i] * v[i];
        rows.output(p, 0, 1, y, 0, 1, 1);
        for (int i = 0; i < m; i++) {
            double direct = d[i] * (double) g[0] + d[i + 1] * (double) g[1] + d[i + 2] * (double) g[2];
            assertEquals(direct, y[i], 1e-5, "output " + i);
        }
    }

    /** The filter gradient's transforms are the transposes of the forward's: <A z, m> = <z, A^T m> and <G^T a, g> = <a, G g>. */
    @Test
    void adjointsAreTransposes() {
        adjointsAreTransposes(new ScalarWinogradRows());
        adjointsAreTransposes(new ScalarWinograd2Rows());
    }

    private static void adjointsAreTransposes(WinogradRows rows) {
        int t = rows.tile(), s = rows.step();
        float[] z = random(s, 1), m = random(t, 2), a = random(t, 3), g = random(3, 4);
        float[] az = new float[t], atm = new float[s], gta = new float[3], gg = new float[t];
        rows.outputAdjoint(z, 0, 1, az, 0, 1, 1);
        rows.output(m, 0, 1, atm, 0, 1, 1);
        assertEquals(dot(az, m), dot(z, atm), 1e-5);
        rows.filterAdjoint(a, 0, 1, gta, 0, 1, 1);
        rows.filter(g, 0, 1, gg, 0, 1, 1);
        assertEquals(dot(gta, g), dot(a, gg), 1e-5);
    }

    /**
     * F(2x2)'s input transform by tile rows (from rows split into even and odd columns) gives the patch-by-patch
     * transform's values bit for bit: the patch gathered, {@link WinogradRows#input} on its columns, then on its
     * rows. The vector version writes nothing past a row's end + spill, the scalar one nothing past its end.
     */
    @Test
    void inputRowMatchesThePatchByPatchTransform() {
        assertFalse(new VectorWinogradRows().hasInputRow());
        assertFalse(new ScalarWinogradRows().hasInputRow());
        for (WinogradRows rows : new WinogradRows[] {new ScalarWinograd2Rows(), new VectorWinograd2Rows()}) {
            assertTrue(rows.hasInputRow());
            for (int tileCols : new int[] {1, 4, 7, 16, 17, 40}) {
                int width = 2 * tileCols + 2, half = width / 2, ss = width + 3, so = 5, spill = rows.spill();
                float[] src = random(so + 4 * ss + spill + 1, tileCols);
                for (int[] run : new int[][] {{0, tileCols}, {tileCols / 2, tileCols - tileCols / 2}, {tileCols - 1, 1}}) {
                    int k0 = run[0], n = run[1], vs = n + spill + 4, vo = 2;
                    float[] v = new float[vo + 16 * vs];
                    java.util.Arrays.fill(v, Float.NaN);
                    rows.inputRow(src, so, ss, half, k0, n, v, vo, vs);
                    float[] d = new float[16], t = new float[16], want = new float[16];
                    for (int k = 0; k < n; k++) {
                        for (int r = 0; r < 4; r++)
                            for (int c = 0; c < 4; c++) {
                                int col = 2 * (k0 + k) + c; // the patch's column in the unsplit row
                                d[r * 4 + c] = src[so + r * ss + (col % 2 == 0 ? col / 2 : half + col / 2)];
                            }
                        for (int b = 0; b < 4; b++) new ScalarWinograd2Rows().input(d, b, 4, t, b, 4, 1);
                        for (int a = 0; a < 4; a++) new ScalarWinograd2Rows().input(t, 4 * a, 1, want, 4 * a, 1, 1);
                        for (int xi = 0; xi < 16; xi++)
                            assertEquals(want[xi], v[vo + xi * vs + k], rows + ", tile columns " + tileCols + ", tile " + (k0 + k) + ", position " + xi);
                    }
                    int written = n + (rows instanceof VectorWinograd2Rows ? spill : 0);
                    for (int xi = 0; xi < 16; xi++)
                        for (int k = written; k < vs; k++)
                            assertTrue(Float.isNaN(v[vo + xi * vs + k]), rows + ": wrote " + (k - n) + " past position " + xi + "'s row");
                    for (int k = 0; k < vo; k++) assertTrue(Float.isNaN(v[k]), rows + ": wrote before the first row");
                }
            }
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * (double) b[i];
        return s;
    }
}
