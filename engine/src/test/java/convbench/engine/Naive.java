package convbench.engine;

/** Plain, obviously correct reference definitions (double precision loops) that tests compare the kernels with. */
public final class Naive {
    private Naive() {}

    /** TF conv2d on NCHW with weights (K, C, kh, kw), explicit pads, optional bias and relu. */
    public static float[] conv(float[] x, int n, int c, int h, int w, float[] wt, int k, int kh, int kw,
                               int sh, int sw, int pt, int pb, int pl, int pr, float[] b, boolean relu) {
        int oh = (h + pt + pb - kh) / sh + 1, ow = (w + pl + pr - kw) / sw + 1;
        float[] y = new float[n * k * oh * ow];
        for (int img = 0; img < n; img++)
            for (int f = 0; f < k; f++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double s = b == null ? 0 : b[f];
                        for (int ci = 0; ci < c; ci++)
                            for (int p = 0; p < kh; p++)
                                for (int q = 0; q < kw; q++) {
                                    int ih = i * sh + p - pt, iw = j * sw + q - pl;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    s += (double) x[((img * c + ci) * h + ih) * w + iw] * wt[((f * c + ci) * kh + p) * kw + q];
                                }
                        y[((img * k + f) * oh + i) * ow + j] = (float) (relu ? Math.max(s, 0) : s);
                    }
        return y;
    }

    /** Max (padding -inf) or average (padding excluded from the count) pooling. */
    public static float[] pool(float[] x, int n, int c, int h, int w, boolean max, int kh, int kw,
                               int sh, int sw, int pt, int pb, int pl, int pr) {
        int oh = (h + pt + pb - kh) / sh + 1, ow = (w + pl + pr - kw) / sw + 1;
        float[] y = new float[n * c * oh * ow];
        for (int pl0 = 0; pl0 < n * c; pl0++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double best = Double.NEGATIVE_INFINITY, sum = 0;
                    int count = 0;
                    for (int p = 0; p < kh; p++)
                        for (int q = 0; q < kw; q++) {
                            int ih = i * sh + p - pt, iw = j * sw + q - pl;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            double v = x[(pl0 * h + ih) * w + iw];
                            best = Math.max(best, v);
                            sum += v;
                            count++;
                        }
                    y[(pl0 * oh + i) * ow + j] = (float) (max ? best : sum / count);
                }
        return y;
    }

    /** tf.nn.lrn over channels. */
    public static float[] lrn(float[] x, int n, int c, int h, int w, int r, double bias, double alpha, double beta) {
        float[] y = new float[x.length];
        int hw = h * w;
        for (int img = 0; img < n; img++)
            for (int ci = 0; ci < c; ci++)
                for (int q = 0; q < hw; q++) {
                    double s = 0;
                    for (int cj = Math.max(0, ci - r); cj <= Math.min(c - 1, ci + r); cj++) {
                        double v = x[(img * c + cj) * hw + q];
                        s += v * v;
                    }
                    int i = (img * c + ci) * hw + q;
                    y[i] = (float) (x[i] / Math.pow(bias + alpha * s, beta));
                }
        return y;
    }

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
