package convbench.kernels.cpu;

/** The portable micro-kernel (no Vector API): 4 x 16 in plain Java, used when jdk.incubator.vector is absent. */
final class ScalarKernel implements MicroKernel {
    private static final int MR = 4, NR = 16;

    @Override public int mr() { return MR; }

    @Override public int nr() { return NR; }

    @Override public String describe() { return "scalar 4x16 (start java with --add-modules jdk.incubator.vector for the vector kernel)"; }

    @Override
    public void run(int kc, float[] ap, int apOff, float[] bp, int bpOff,
                    float[] c, int cOff, int ldc, boolean accumulate, int mValid, int nValid, float[] tile) {
        java.util.Arrays.fill(tile, 0, MR * NR, 0f);
        for (int k = 0; k < kc; k++) {
            int ao = apOff + k * MR, bo = bpOff + k * NR;
            for (int r = 0; r < MR; r++) {
                float a = ap[ao + r];
                int base = r * NR;
                for (int j = 0; j < NR; j++) tile[base + j] += a * bp[bo + j];
            }
        }
        MicroKernel.merge(tile, NR, c, cOff, ldc, accumulate, mValid, nValid);
    }
}
