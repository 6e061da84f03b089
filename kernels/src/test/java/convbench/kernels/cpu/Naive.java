package convbench.kernels.cpu;

/** The plain matrix product (double sums) that the CPU matrix kernels are tested against, and a float comparison. */
public final class Naive {
    private Naive() {}

    /** Row-major C = op(A) op(B). */
    public static float[] matmul(float[] a, float[] b, int m, int n, int k, boolean ta, boolean tb) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double) (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = (float) s;
            }
        return c;
    }

    public static void assertClose(float[] expected, float[] actual, double rtol, double atol, String what) {
        if (expected.length != actual.length)
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(a) || Math.abs(e - a) > atol + rtol * Math.abs(e))
                throw new AssertionError(what + ": element " + i + " is " + a + ", expected " + e);
        }
    }
}
