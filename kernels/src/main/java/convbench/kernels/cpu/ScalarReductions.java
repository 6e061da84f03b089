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
        for (int i = from; i < to; i++) g[i] = CpuBackend.grad(g[i], y[i] > 0f ? dy[i] : 0f, accumulate);
    }

    @Override public void add(float[] dst, int dOff, float[] src, int sOff, int n) {
        for (int i = 0; i < n; i++) dst[dOff + i] += src[sOff + i];
    }
}
