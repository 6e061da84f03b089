package convbench.kernels.cpu;

/** {@link WinogradRows} of F(4x4, 3x3) as plain loops: portable, and the tail of the vector version. */
final class ScalarWinogradRows implements WinogradRows {
    @Override public int tile() { return 6; }

    @Override public int step() { return 4; }

    @Override public void input(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q], a3 = a[ao + 3 * as + q], a4 = a[ao + 4 * as + q],
                    a5 = a[ao + 5 * as + q];
            b[bo + q] = 4f * a0 - 5f * a2 + a4;
            b[bo + bs + q] = a3 + a4 - 4f * (a1 + a2);
            b[bo + 2 * bs + q] = a4 - a3 + 4f * (a1 - a2);
            b[bo + 3 * bs + q] = a4 - a2 + 2f * (a3 - a1);
            b[bo + 4 * bs + q] = a4 - a2 + 2f * (a1 - a3);
            b[bo + 5 * bs + q] = 4f * a1 - 5f * a3 + a5;
        }
    }

    @Override public void output(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q], a3 = a[ao + 3 * as + q], a4 = a[ao + 4 * as + q],
                    a5 = a[ao + 5 * as + q];
            float p12 = a1 + a2, m12 = a1 - a2, p34 = a3 + a4, m34 = a3 - a4;
            b[bo + q] = a0 + p12 + p34;
            b[bo + bs + q] = m12 + 2f * m34;
            b[bo + 2 * bs + q] = p12 + 4f * p34;
            b[bo + 3 * bs + q] = m12 + 8f * m34 + a5;
        }
    }

    @Override public void filter(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q];
            float even = a0 + a2, e24 = a0 * (1f / 24) + a2 * (1f / 6);
            b[bo + q] = a0 * 0.25f;
            b[bo + bs + q] = -(even + a1) * (1f / 6);
            b[bo + 2 * bs + q] = -(even - a1) * (1f / 6);
            b[bo + 3 * bs + q] = e24 + a1 * (1f / 12);
            b[bo + 4 * bs + q] = e24 - a1 * (1f / 12);
            b[bo + 5 * bs + q] = a2;
        }
    }

    @Override public void outputAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q], a3 = a[ao + 3 * as + q];
            float p02 = a0 + a2, p13 = a1 + a3, q02 = a0 + 4f * a2, q13 = 2f * a1 + 8f * a3;
            b[bo + q] = a0;
            b[bo + bs + q] = p02 + p13;
            b[bo + 2 * bs + q] = p02 - p13;
            b[bo + 3 * bs + q] = q02 + q13;
            b[bo + 4 * bs + q] = q02 - q13;
            b[bo + 5 * bs + q] = a3;
        }
    }

    @Override public void filterAdjoint(float[] a, int ao, int as, float[] b, int bo, int bs, int n) {
        for (int q = 0; q < n; q++) {
            float a0 = a[ao + q], a1 = a[ao + as + q], a2 = a[ao + 2 * as + q], a3 = a[ao + 3 * as + q], a4 = a[ao + 4 * as + q],
                    a5 = a[ao + 5 * as + q];
            float p12 = a1 + a2, p34 = a3 + a4;
            b[bo + q] = a0 * 0.25f - p12 * (1f / 6) + p34 * (1f / 24);
            b[bo + bs + q] = (a2 - a1) * (1f / 6) + (a3 - a4) * (1f / 12);
            b[bo + 2 * bs + q] = (p34 - p12) * (1f / 6) + a5;
        }
    }
}
