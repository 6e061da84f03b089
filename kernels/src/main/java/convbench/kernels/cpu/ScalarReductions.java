package convbench.kernels.cpu;

/** The portable {@link Reductions}: plain loops accumulating in double. */
final class ScalarReductions implements Reductions {
    @Override public double sum(float[] a, int off, int n) {
        double s = 0;
        for (int i = off, end = off + n; i < end; i++) s += a[i];
        return s;
    }

    @Override public double sumSquaredDiff(float[] a, int off, int n, float mean) {
        double s = 0;
        for (int i = off, end = off + n; i < end; i++) {
            double d = a[i] - mean;
            s += d * d;
        }
        return s;
    }

    @Override public double sumProductDiff(float[] dy, float[] x, int off, int n, float mean) {
        double s = 0;
        for (int i = off, end = off + n; i < end; i++) s += (double) dy[i] * (x[i] - mean);
        return s;
    }

    @Override public void reluBackward(float[] y, float[] dy, float[] g, int from, int to, boolean accumulate) {
        if (accumulate) for (int i = from; i < to; i++) g[i] += y[i] > 0f ? dy[i] : 0f;
        else for (int i = from; i < to; i++) g[i] = y[i] > 0f ? dy[i] : 0f;
    }
}
