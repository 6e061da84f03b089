package convbench.kernels.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.function.BiConsumer;

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
            "3, 4200, 5, false, true",
            "9, 36, 40, false, false",          // tails of 4, 2 and 3 columns (the half-width kernel, few columns valid)
            "16, 66, 300, false, true",
            "8, 3, 5, true, false",
            "200, 50, 300, true, false",         // several row blocks (B's block packed first) and kc blocks
            // tails of 1 to 4 columns (with AVX-512's 32-wide panel the narrow kernel, which takes only even kc):
            "21, 97, 301, false, false",         // kc blocks of 192 (narrow) and 109 (odd: the half-width kernel)
            "5, 35, 64, false, true",            // fewer rows than a micro-tile
            "17, 66, 2, true, false",            // one step pair
            "200, 34, 300, false, false"         // several row blocks reading one spread tail panel per kc block
    })
    void matchesNaiveForEveryKernelAndTranspose(int m, int n, int k, boolean ta, boolean tb) {
        float[] a = randn(m * k, 1), b = randn(k * n, 2);
        float[] expect = Naive.matmul(a, b, m, n, k, ta, tb);
        Sgemm.Buffers buf = new Sgemm.Buffers();
        for (MicroKernel kernel : kernels())
            assertOverwritesThenAccumulates(expect, kernel.describe(), (accumulate, c) ->
                    Sgemm.gemm(kernel, ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, accumulate, c, 0, n, buf));
    }

    /**
     * product(false, c) on a C of NaN must give expect (overwrite never reads C); product(true, c) on that result
     * must give twice expect (accumulate adds to what is there).
     */
    private static void assertOverwritesThenAccumulates(float[] expect, String what, BiConsumer<Boolean, float[]> product) {
        float[] c = new float[expect.length];
        java.util.Arrays.fill(c, Float.NaN);
        product.accept(false, c);
        Naive.assertClose(expect, c, 1e-4, 1e-4, what + " overwrite");
        product.accept(true, c);
        float[] twice = expect.clone();
        for (int i = 0; i < twice.length; i++) twice[i] *= 2;
        Naive.assertClose(twice, c, 1e-4, 1e-4, what + " accumulate");
    }

    /**
     * C = A . B with B's rows anywhere in b (rows given, rows[r] + bOff), against the naive product of those rows:
     * at most {@link Sgemm#UNPACKED_ROWS} rows (full micro-panels read in place, the last partial one packed) and
     * more (all packed); several kc blocks, m not a multiple of the micro-tile's rows, n not of its columns.
     */
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"6, 64, 3", "13, 70, 300", "64, 96, 257", "65, 40, 20", "100, 33, 9", "1, 5, 2", "150, 50, 300"})
    void productOfScatteredRowsMatchesNaive(int m, int n, int k) {
        float[] a = randn(m * k, 3);
        int bOff = 5, pitch = n + 11;
        int[] rows = new int[k];
        for (int r = 0; r < k; r++) rows[r] = ((r * 7) % k) * pitch + r % 3; // out of order, overlapping runs
        float[] b = randn(bOff + k * pitch + 2, 4), dense = new float[k * n];
        for (int r = 0; r < k; r++) System.arraycopy(b, rows[r] + bOff, dense, r * n, n);
        float[] expect = Naive.matmul(a, dense, m, n, k, false, false);
        Sgemm.PackedA pa = Sgemm.PackedA.pack(false, m, k, a, 0, k, new float[Sgemm.PackedA.size(m, k)]);
        Sgemm.Buffers buf = new Sgemm.Buffers();
        assertOverwritesThenAccumulates(expect, "rows", (accumulate, c) -> Sgemm.gemm(pa, n, b, bOff, rows, accumulate, c, 0, n, buf));
    }

    /**
     * C = A . op(B) with A packed once ({@link Sgemm.PackedA}; B's micro-panels then packed one at a time, each just
     * before its sweep), against the naive product: few and many rows, several kc blocks, n not a multiple of the
     * micro-tile's columns, B plain and transposed, overwrite and accumulate.
     */
    @ParameterizedTest(name = "{0}x{1}x{2} tb={3}")
    @CsvSource({"13, 70, 300, false", "200, 37, 260, true", "7, 5, 3, true", "300, 130, 40, false"})
    void productWithPackedAMatchesNaive(int m, int n, int k, boolean tb) {
        float[] a = randn(m * k, 5), b = randn(k * n, 6);
        float[] expect = Naive.matmul(a, b, m, n, k, false, tb);
        Sgemm.PackedA pa = Sgemm.PackedA.pack(false, m, k, a, 0, k, new float[Sgemm.PackedA.size(m, k)]);
        Sgemm.Buffers buf = new Sgemm.Buffers();
        assertOverwritesThenAccumulates(expect, "packed A", (accumulate, c) -> Sgemm.gemm(pa, tb, n, b, 0, tb ? k : n, accumulate, c, 0, n, buf));
    }

    /**
     * C = A . B^T with k running across images ({@link Sgemm.Span}): A's and B^T's images lie apart by strides of their
     * own (padding between them that must not be read), against the naive product of the gathered dense operands.
     * Images of 1 pixel (a 1x1 feature map) and of 9; images narrower and wider than a kc block, so runs break at
     * image ends and at block ends; many rows (several row blocks), both kernels, overwrite and accumulate.
     */
    @ParameterizedTest(name = "{0}x{1}, {2} images of {3}")
    @CsvSource({"7, 20, 5, 1", "13, 40, 8, 9", "150, 37, 3, 200", "30, 70, 2, 300"})
    void productAcrossImagesMatchesNaive(int m, int n, int images, int width) {
        int k = images * width, aImage = m * width + 3, bImage = n * width + 5, aOff = 2, bOff = 4;
        float[] a = randn(aOff + images * aImage, 7), b = randn(bOff + images * bImage, 8);
        float[] denseA = new float[m * k], denseB = new float[n * k];
        for (int q = 0; q < k; q++) {
            int img = q / width, pix = q % width;
            for (int i = 0; i < m; i++) denseA[i * k + q] = a[aOff + i * width + img * aImage + pix];
            for (int j = 0; j < n; j++) denseB[j * k + q] = b[bOff + j * width + img * bImage + pix];
        }
        float[] expect = Naive.matmul(denseA, denseB, m, n, k, false, true);
        Sgemm.Span span = new Sgemm.Span(width, aImage, bImage);
        Sgemm.Buffers buf = new Sgemm.Buffers();
        for (MicroKernel kernel : kernels())
            assertOverwritesThenAccumulates(expect, "across images, " + kernel.describe(), (accumulate, c) ->
                    Sgemm.gemmSpan(kernel, m, n, k, span, a, aOff, width, b, bOff, width, accumulate, c, 0, n, buf));
    }

    /** Each micro-kernel's unpacked-B path against a plain loop over the tile: full and partial rows, both modes. */
    @Test
    void microKernelReadsUnpackedRows() {
        for (MicroKernel kernel : kernels()) {
            int mr = kernel.mr(), nr = kernel.nr(), kc = 37, ldc = nr + 3;
            float[] ap = randn(kc * mr, 6), b = randn(kc * 2 * nr + 9, 7);
            int[] rows = new int[kc + 2];
            for (int r = 0; r < rows.length; r++) rows[r] = ((r * 5) % kc) * 2 * nr;
            for (int mValid : new int[] {mr, mr - 1}) {
                for (boolean acc : new boolean[] {false, true}) {
                    float[] c = randn(mr * ldc, 8), expect = c.clone();
                    for (int r = 0; r < mValid; r++)
                        for (int j = 0; j < nr; j++) {
                            double s = 0;
                            for (int k = 0; k < kc; k++) s += (double) ap[k * mr + r] * b[rows[2 + k] + 3 + j];
                            expect[r * ldc + j] = (float) (acc ? expect[r * ldc + j] + s : s);
                        }
                    kernel.runRows(kc, ap, 0, b, rows, 2, 3, c, 0, ldc, acc, mValid, new float[mr * nr]);
                    Naive.assertClose(expect, c, 1e-4, 1e-4, kernel.describe() + " rows " + mValid + " accumulate " + acc);
                }
            }
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

    /** kc blocks: at most KC deep, multiples of 32 past KC (Winograd's filter runs), and no short last block where one avoids it. */
    @Test
    void kcBlocksAvoidAShortLastBlock() {
        assertEquals(224, Sgemm.kcOf(576)); // 224 + 224 + 128, not 256 + 256 + 64
        assertEquals(192, Sgemm.kcOf(288));
        assertEquals(Sgemm.KC, Sgemm.kcOf(2304));
        for (int k = 1; k <= 6000; k++) {
            int kc = Sgemm.kcOf(k), last = k - (k - 1) / kc * kc;
            assertTrue(kc <= Sgemm.KC, "k " + k);
            if (k <= Sgemm.KC) {
                assertEquals(k, kc, "k " + k);
                continue;
            }
            assertEquals(0, kc % 32, "k " + k);
            if (kc != Sgemm.KC) assertTrue(last >= kc / 2, "k " + k + ": last block " + last + " of " + kc);
            else if (last < Sgemm.KC / 2) // KC's last block short: then no other depth had a long one
                for (int other = Sgemm.KC - 32; other >= 160; other -= 32)
                    assertTrue(k - (k - 1) / other * other < other / 2, "k " + k + " could use " + other);
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
