package convbench.kernels.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static convbench.engine.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SgemmTest {
    static List<MicroKernel> kernels() {
        return Sgemm.vectorized() ? List.of(Sgemm.KERNEL, new ScalarKernel()) : List.of(Sgemm.KERNEL);
    }

    @ParameterizedTest(name = "{0}x{1}x{2} ta={3} tb={4}")
    @CsvSource({
            "1, 1, 1, false, false",
            "7, 5, 3, false, false",
            "6, 32, 256, false, false",
            "13, 37, 300, true, false",
            "50, 33, 17, false, true",
            "31, 70, 260, true, true",
            "145, 40, 9, false, false",
            "3, 4200, 5, false, true"
    })
    void matchesNaiveForEveryKernelAndTranspose(int m, int n, int k, boolean ta, boolean tb) {
        float[] a = randn(m * k, 1), b = randn(k * n, 2);
        float[] expect = Naive.matmul(a, b, m, n, k, ta, tb);
        Sgemm.Buffers buf = new Sgemm.Buffers();
        for (MicroKernel kernel : kernels()) {
            float[] c = new float[m * n];
            java.util.Arrays.fill(c, Float.NaN); // overwrite must not read C
            Sgemm.gemm(kernel, ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, false, c, 0, n, buf);
            Naive.assertClose(expect, c, 1e-4, 1e-4, kernel.describe());
            // accumulate adds to what is there
            Sgemm.gemm(kernel, ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, true, c, 0, n, buf);
            float[] twice = expect.clone();
            for (int i = 0; i < twice.length; i++) twice[i] *= 2;
            Naive.assertClose(twice, c, 1e-4, 1e-4, kernel.describe() + " accumulate");
        }
    }

    /** The parallel pack writes what the serial one does, to the last padding zero: several kc blocks and panel runs. */
    @ParameterizedTest(name = "{0}x{1} ta={2}")
    @CsvSource({"1, 1, false", "53, 300, false", "53, 300, true", "200, 517, false", "7, 1030, true"})
    void parallelPackEqualsSerial(int m, int k, boolean ta) {
        float[] a = randn(m * k, 5);
        int lda = ta ? m : k;
        float[] serial = new float[Sgemm.PackedA.size(m, k)], parallel = new float[serial.length];
        java.util.Arrays.fill(parallel, Float.NaN); // every float, padding included, must be written
        Sgemm.PackedA.pack(ta, m, k, a, 0, lda, serial);
        try (Parallel par = new Parallel(2)) {
            Sgemm.PackedA.pack(ta, m, k, a, 0, lda, parallel, par);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(serial, parallel);
    }

    @Test
    void respectsOffsetsAndLeadingDimensions() {
        // C is a 3x4 window at (1, 2) of a 6x9 matrix; A and B are windows of larger arrays.
        int m = 3, n = 4, k = 5, lda = 8, ldb = 7, ldc = 9;
        float[] a = randn(10 + m * lda, 3), b = randn(4 + k * ldb, 4);
        float[] c = new float[6 * ldc];
        Sgemm.gemm(false, false, m, n, k, a, 10, lda, b, 4, ldb, false, c, ldc + 2, ldc, new Sgemm.Buffers());
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[10 + i * lda + p] * b[4 + p * ldb + j];
                assertEquals(s, c[(i + 1) * ldc + j + 2], 1e-4);
            }
        assertEquals(0f, c[0]);                  // untouched outside the window
        assertEquals(0f, c[ldc + 1]);
        assertEquals(0f, c[ldc + 6]);
    }

    @Test
    void parallelSplitsMatchTheSerialProduct() {
        try (Parallel par = new Parallel(2)) {
            Sgemm.Buffers[] bufs = {new Sgemm.Buffers(), new Sgemm.Buffers()};
            for (int[] s : new int[][] {{200, 90, 70}, {60, 300, 40}}) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = randn(m * k, 5), b = randn(k * n, 6), c = new float[m * n];
                Sgemm.parallel(par, bufs, false, false, m, n, k, a, 0, k, b, 0, n, false, c, 0, n);
                Naive.assertClose(Naive.matmul(a, b, m, n, k, false, false), c, 1e-4, 1e-4, "parallel");
            }
        }
    }

    @Test
    void zeroDepthProductClearsC() {
        float[] c = {1, 2, 3, 4};
        Sgemm.gemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, false, c, 0, 2, new Sgemm.Buffers());
        assertEquals("[0.0, 0.0, 0.0, 0.0]", java.util.Arrays.toString(c));
    }

    @Test
    void reportsItsKernel() {
        assertTrue(Sgemm.kernel().startsWith(Sgemm.vectorized() ? "vector" : "scalar"), Sgemm.kernel());
        // The test JVM runs with --add-modules jdk.incubator.vector (see the parent pom).
        assertTrue(Sgemm.vectorized(), "the tests should exercise the vector kernel");
    }
}
