package convbench.kernels.cpu;

import convbench.engine.spec.PoolMode;

import convbench.engine.Backend;
import convbench.engine.tensor.Grad;
import convbench.engine.Padding;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.BatchNormPlan;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.WindowDesc;
import convbench.engine.reference.ReferenceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CPU kernel against the reference arithmetic (the float64 loops in each op's class): the same
 * random inputs go to both backends, and every output, forward and each gradient, overwriting and
 * accumulating (into a gradient that already holds values), must agree within {@link #TOL} of the
 * largest reference value: the rounding of float32 sums over up to a few thousand terms. Shapes include
 * the awkward ones: asymmetric SAME, 1x7 and 7x1, strides larger than the kernel, batch 1, and channel
 * counts that are not a multiple of the vector width. Every CPU tensor lies on a longer array, as pooled
 * arrays may be.
 */
class CpuVsReferenceTest {
    /** Largest |cpu - reference| allowed, as a share of the largest |reference| of that output. */
    static final double TOL = 2e-5;

    static CpuBackend cpu;
    static ReferenceBackend ref;

    @BeforeAll static void up() {
        cpu = new CpuBackend(2);
        // every CPU tensor sits on an array longer than itself, NaN past its end (the pool hands out
        // longer arrays): a kernel that reads or sums past its tensor turns its output to NaN here
        cpu.slack(13);
        ref = new ReferenceBackend();
    }

    @AfterAll static void down() {
        cpu.close();
        ref.close();
    }

    /** One tensor on both backends holding the same (float) values. */
    record Twin(Tensor c, Tensor r) implements AutoCloseable {
        @Override public void close() {
            c.close();
            r.close();
        }
    }

    private final List<Twin> made = new ArrayList<>();
    private long seed = 1;

    Twin random(Shape s) { return random(s, -1, 1); }

    Twin random(Shape s, double lo, double hi) {
        float[] v = new float[s.intSize()];
        SplittableRandom rng = new SplittableRandom(seed++);
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        Twin t = new Twin(cpu.of(s, v), ref.of(s, v));
        made.add(t);
        return t;
    }

    Twin empty(Shape s) {
        Twin t = new Twin(cpu.alloc(s), ref.alloc(s));
        made.add(t);
        return t;
    }

    @org.junit.jupiter.api.AfterEach void free() {
        for (Twin t : made) t.close();
        made.clear();
    }

    static void assertAgree(String what, Twin t) { assertAgree(what, t, TOL); }

    static void assertAgree(String what, Twin t, double tol) {
        double[] c = t.c().toDoubles(), r = t.r().toDoubles();
        double max = 0, err = 0;
        int worst = 0;
        for (int i = 0; i < r.length; i++) {
            max = Math.max(max, Math.abs(r[i]));
            double e = Math.abs(c[i] - r[i]);
            if (Double.isNaN(e) && !Double.isNaN(r[i])) e = Double.POSITIVE_INFINITY; // a NaN where the reference has none
            if (e > err) {
                err = e;
                worst = i;
            }
        }
        assertTrue(err <= tol * max || err == 0,
                what + ": cpu " + c[worst] + " vs reference " + r[worst] + " at " + worst + ", error " + err + " > " + tol + " x " + max);
    }

    /**
     * Runs a backward that writes gradients twice: overwriting (a gradient full of garbage beforehand)
     * and accumulating (into a gradient holding random values), comparing the CPU's with the reference's.
     */
    void checkGradient(String what, Shape s, BiConsumer<Backend, List<Grad>> backward, int count) {
        checkGradient(what, s, backward, count, TOL);
    }

    void checkGradient(String what, Shape s, BiConsumer<Backend, List<Grad>> backward, int count, double tol) {
        for (boolean acc : new boolean[] {false, true}) {
            List<Twin> gs = new ArrayList<>();
            for (int i = 0; i < count; i++) gs.add(acc ? random(s) : random(s, 1e3, 2e3));
            List<Grad> gc = new ArrayList<>(), gr = new ArrayList<>();
            for (Twin g : gs) {
                gc.add(new Grad(g.c(), acc));
                gr.add(new Grad(g.r(), acc));
            }
            backward.accept(cpu, gc);
            backward.accept(ref, gr);
            for (int i = 0; i < count; i++) assertAgree(what + (acc ? " accumulated" : " overwritten") + " #" + i, gs.get(i), tol);
        }
    }

    private static Tensor side(Backend be, Twin t) { return be == cpu ? t.c() : t.r(); }

    @ParameterizedTest(name = "n{0} c{1} k{2} {3}x{4} in, {5}x{6} kernel, stride {7}x{8}, {9}, bias {10}, relu {11}")
    @CsvSource({
            // n, c, k, h, w, kh, kw, sh, sw, padding, bias, relu
            "2, 3, 5, 9, 9, 3, 3, 1, 1, SAME, true, false",
            "2, 3, 5, 9, 8, 3, 3, 2, 2, SAME, true, true",
            "2, 3, 5, 10, 10, 3, 3, 2, 2, SAME, false, false",   // asymmetric: pad 0 before, 1 after
            "1, 3, 4, 28, 28, 11, 11, 4, 4, SAME, true, true",   // AlexNet conv1's geometry: pads 3 / 4
            "2, 5, 7, 7, 9, 1, 7, 1, 1, SAME, false, true",      // Inception 1x7
            "2, 5, 7, 9, 7, 7, 1, 1, 1, SAME, true, false",      // Inception 7x1
            "2, 3, 5, 9, 9, 3, 3, 2, 2, VALID, true, true",
            "1, 17, 19, 6, 6, 1, 1, 1, 1, VALID, true, false",   // 1x1, channels not a multiple of 16
            "2, 300, 19, 5, 6, 1, 1, 1, 1, VALID, true, true",   // 1x1 deeper than a kc slice (two passes of the product), bias and relu
            "2, 9, 33, 7, 7, 1, 1, 2, 2, VALID, true, false",    // strided 1x1 (ResNet shortcut): stride > kernel
            "2, 3, 5, 7, 5, 3, 2, 3, 2, SAME, true, false",      // stride larger than the kernel's width
            "2, 3, 6, 15, 15, 7, 7, 2, 2, VALID, true, false",   // ResNet conv1's geometry (after its explicit pad): strided im2col
            "1, 4, 3, 11, 13, 3, 3, 2, 2, SAME, false, true",    // strided, odd sizes: the bordered rows' last phase part padding
            "2, 3, 4, 11, 10, 5, 5, 3, 3, SAME, true, false",    // three column phases; pads 2 / 2 and 1 / 2
            "3, 40, 70, 5, 5, 3, 3, 1, 1, SAME, true, true",     // a longer reduction (360 terms)
            "2, 3, 5, 16, 18, 3, 3, 1, 1, SAME, true, true",     // the padded image's product (16+ wide), dx too
            "2, 4, 6, 18, 17, 3, 3, 1, 1, VALID, false, false",  // the same, VALID
            "1, 3, 4, 12, 33, 5, 5, 1, 1, SAME, true, false",    // the same, 5x5 on an odd width
            "1, 3, 4, 6, 70, 3, 3, 1, 1, SAME, true, true",      // stride 1 wider than 64: im2col, dx on the padded image
            "1, 65, 3, 5, 70, 3, 3, 1, 1, SAME, false, false",   // the same with 65 channels: dx im2col's too (col2im; AVX2: y padded)
            "1, 32, 8, 6, 70, 3, 3, 1, 1, VALID, true, true",    // AVX2: the padded image's forward at any width (32+ in, 64- out)
            "2, 40, 24, 6, 6, 1, 1, 1, 1, VALID, false, false",  // 1x1 with more channels than filters: dW^T partials
            "1, 12, 100, 5, 5, 3, 3, 1, 1, SAME, true, false",   // more filters than CpuConv.TRANSPOSED_FILTERS: dW partials
            "2, 33, 6, 9, 8, 3, 3, 1, 1, SAME, true, false",     // dw by taps (CpuPaddedGemm.filterGradient), channels past a panel
            "3, 40, 5, 9, 9, 7, 1, 1, 1, SAME, true, true",      // the same, a 7x1 window (taps down the rows), 3 images on 2 groups
            "1, 32, 130, 20, 18, 3, 3, 1, 1, VALID, false, false", // the same, 322 pitched pixels in two chunks (130 filters: 256 a chunk)
            // dw over runs of whole small images (CpuConv.filterGradientOver): 5 images on 2 groups, 2 and 3 each
            "5, 20, 7, 9, 9, 1, 1, 1, 1, VALID, true, false",    // 1x1 on x's planes in place, dW^T partials
            "5, 7, 100, 9, 9, 1, 1, 1, 1, VALID, false, true",   // the same, dW partials (100 filters)
            "5, 30, 8, 20, 20, 3, 3, 2, 2, SAME, false, false",  // 100 pixels of 270-deep columns: runs of 2 images, then 1
            "5, 30, 100, 20, 20, 3, 3, 2, 2, SAME, true, false", // the same, dW partials
            // the batch's pixels within a kc block: dW in slices of its rows (CpuConv.filterGradientSliced)
            "5, 20, 7, 3, 3, 1, 1, 1, 1, VALID, true, false",    // 1x1 on x's planes in place
            "5, 7, 100, 1, 1, 1, 1, 1, 1, VALID, false, true",   // 1x1 on a 1x1 map (a classifier)
            "5, 6, 9, 4, 4, 3, 3, 1, 1, SAME, true, false",      // the batch's im2col columns side by side
            "5, 6, 100, 7, 7, 3, 3, 2, 2, VALID, false, false",  // the same, strided (and the forward in one product)
            // fewer pixels than a micro-panel's columns: the forward and dx in one product over the batch too
            "5, 6, 9, 3, 3, 3, 3, 1, 1, SAME, true, true",       // through col2im
            "3, 8, 12, 5, 5, 5, 5, 1, 1, VALID, true, false",    // Inception's auxiliary 5x5 VALID on 5x5: one pixel
            // an image's last micro-panel more than half empty: the forward over the batch (dx by image where p >= NR)
            "5, 12, 9, 7, 7, 1, 1, 1, 1, VALID, true, true",     // 49 pixels: 32 + 17 with AVX-512's panel (ResNet's block 4)
            "4, 6, 10, 5, 5, 3, 3, 1, 1, SAME, true, false"      // 25 pixels: 16 + 9 with AVX2's panel
    })
    void conv(int n, int c, int k, int h, int w, int kh, int kw, int sh, int sw, String pad, boolean bias, boolean relu) {
        Padding p = pad.equals("SAME") ? Padding.SAME : Padding.VALID;
        int[] v = p.vertical(h, kh, sh), hz = p.horizontal(w, kw, sw);
        ConvDesc d = new ConvDesc(Shape.nchw(n, c, h, w), k, kh, kw, sh, sw, v[0], v[1], hz[0], hz[1], bias, relu ? Activation.RELU : Activation.NONE);
        var pc = cpu.conv(d);
        var pr = ref.conv(d);
        Twin x = random(d.x()), wt = random(d.w()), b = bias ? random(Shape.of(k)) : null, y = empty(d.y()), dz = random(d.y());
        pc.forward(x.c(), wt.c(), b == null ? null : b.c(), y.c());
        pr.forward(x.r(), wt.r(), b == null ? null : b.r(), y.r());
        assertAgree("conv y", y);
        checkGradient("conv dx", d.x(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), g.get(0), null, null), 1);
        checkGradient("conv dw", d.w(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), null, g.get(0), null), 1);
        if (bias)
            checkGradient("conv db", Shape.of(k), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), null, null, g.get(0)), 1);
    }

    @Test
    void convExplicitAsymmetricPads() {
        ConvDesc d = new ConvDesc(Shape.nchw(2, 2, 6, 7), 3, 3, 3, 2, 2, 0, 2, 1, 0, true, Activation.NONE);
        var pc = cpu.conv(d);
        var pr = ref.conv(d);
        Twin x = random(d.x()), wt = random(d.w()), b = random(Shape.of(3)), y = empty(d.y()), dz = random(d.y());
        pc.forward(x.c(), wt.c(), b.c(), y.c());
        pr.forward(x.r(), wt.r(), b.r(), y.r());
        assertAgree("conv y", y);
        Shape[] shapes = {d.x(), d.w(), Shape.of(3)};
        for (int which = 0; which < 3; which++) {
            int at = which;
            checkGradient("conv gradient " + at, shapes[at], (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz),
                    at == 0 ? g.get(0) : null, at == 1 ? g.get(0) : null, at == 2 ? g.get(0) : null), 1);
        }
    }

    /**
     * Winograd's error bounds, as a share of the largest reference value. F(4x4, 3x3)'s transforms'
     * coefficients (up to 8 in A, 5 in B, 1/24 in G) amplify float32 rounding: measured on the forward
     * cases below 1.8e-6 to 4.3e-6 (direct: about 1e-7), so its bound of 1e-4 has a margin of 20 or more,
     * while one coefficient off by 1e-4 (8 as 8.001) gives 1e-3 and fails. F(2x2, 3x3)'s (0, 1, 1/2)
     * round about as direct does, and are held to direct's bound.
     */
    static double winogradTol(int m) { return m == 4 ? 1e-4 : TOL; }

    @ParameterizedTest(name = "winograd F({8}x{8}) n{0} c{1} k{2} {3}x{4} in, {5}, bias {6}, relu {7}")
    @CsvSource({
            // n, c, k, h, w, padding, bias, relu, m (F(m x m, 3x3))
            "2, 16, 24, 9, 9, SAME, true, false, 4",     // 3x3 tiles per image, the last ones cut
            "2, 16, 24, 9, 9, SAME, true, false, 2",
            "1, 20, 17, 13, 10, VALID, false, false, 4",  // K not a multiple of the micro-tile; dx with pads 2
            "1, 20, 17, 13, 10, VALID, false, false, 2",
            "3, 33, 40, 8, 8, SAME, true, true, 4",
            "3, 33, 40, 7, 8, SAME, true, true, 2",
            "2, 3, 5, 4, 4, SAME, false, true, 4",        // one tile, more padding than input
            "2, 3, 5, 3, 3, SAME, false, true, 2",
            "1, 64, 64, 14, 14, SAME, true, true, 4",     // a longer reduction (576 terms)
            "1, 64, 64, 15, 14, SAME, true, true, 2",
            "1, 300, 20, 5, 5, SAME, false, false, 2",     // filters packed in two kc blocks (192 + 108 channels)
            "1, 20, 290, 6, 6, SAME, true, false, 4"       // and the data gradient's (192 + 98)
    })
    void winogradConv(int n, int c, int k, int h, int w, String pad, boolean bias, boolean relu, int m) {
        Padding p = pad.equals("SAME") ? Padding.SAME : Padding.VALID;
        int[] v = p.vertical(h, 3, 1), hz = p.horizontal(w, 3, 1);
        ConvDesc d = new ConvDesc(Shape.nchw(n, c, h, w), k, 3, 3, 1, 1, v[0], v[1], hz[0], hz[1], bias, relu ? Activation.RELU : Activation.NONE);
        double tol = winogradTol(m);
        try (CpuBackend wino = new CpuBackend(2, "winograd" + m)) {
            var pc = wino.conv(d);
            assertEquals("winograd" + m, pc.algorithm());
            var pr = ref.conv(d);
            Twin x = random(d.x()), wt = random(d.w()), b = bias ? random(Shape.of(k)) : null, y = empty(d.y()), dz = random(d.y());
            pc.forward(x.c(), wt.c(), b == null ? null : b.c(), y.c());
            pr.forward(x.r(), wt.r(), b == null ? null : b.r(), y.r());
            assertAgree("winograd y", y, tol);
            checkGradient("winograd dx", d.x(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), g.get(0), null, null), 1, tol);
            checkGradient("winograd dw", d.w(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), null, g.get(0), null), 1, tol);
            // all three in one call
            for (boolean acc : new boolean[] {false, true}) {
                Twin gx = random(d.x()), gw = random(d.w()), gb = random(Shape.of(k));
                pc.backward(x.c(), wt.c(), dz.c(), new Grad(gx.c(), acc), new Grad(gw.c(), acc), new Grad(gb.c(), acc));
                pr.backward(x.r(), wt.r(), dz.r(), new Grad(gx.r(), acc), new Grad(gw.r(), acc), new Grad(gb.r(), acc));
                assertAgree("winograd dx with dw, db", gx, tol);
                assertAgree("winograd dw with dx, db", gw, tol);
                assertAgree("db with winograd's dx, dw", gb);
            }
        }
    }

    /** Tiles processed in several chunks (a chunk is one micro-panel of 32 tiles here) give the same result as one. */
    @ParameterizedTest(name = "F({0}x{0})")
    @ValueSource(ints = {2, 4})
    void winogradChunks(int m) {
        int n = 3, c = 7, k = 9, h = 17, w = 15; // 60 tiles of 4x4 (240 of 2x2): two chunks (eight)
        ConvDesc d = new ConvDesc(Shape.nchw(n, c, h, w), k, 3, 3, 1, 1, 1, 1, 1, 1, true, Activation.NONE);
        var pr = ref.conv(d);
        Twin x = random(d.x()), wt = random(d.w()), b = random(Shape.of(k)), y = empty(d.y());
        CpuWinograd small = new CpuWinograd(cpu, m == 4 ? WinogradRows.F4 : WinogradRows.F2, n, c, h, w, k, h, w, 1, 1, 1);
        small.run(CpuBackend.data(x.c()), small.filters(CpuBackend.data(wt.c()), false), CpuBackend.data(b.c()), false, false, CpuBackend.data(y.c()));
        pr.forward(x.r(), wt.r(), b.r(), y.r());
        assertAgree("winograd y in chunks", y, winogradTol(m));
        // the filter gradient in chunks of 32 tiles, accumulated
        Twin dz = random(d.y()), dw = random(d.w());
        small.filterGradient(CpuBackend.data(x.c()), CpuBackend.data(dz.c()), true, CpuBackend.data(dw.c()));
        pr.backward(x.r(), wt.r(), dz.r(), null, new Grad(dw.r(), true), null);
        assertAgree("winograd dw in chunks", dw, winogradTol(m));
    }

    /**
     * auto takes F(2x2, 3x3) only for 3x3 stride-1 layers with 64+ channels in and out and 96+ on one side, its dw
     * from 256; other stride-1 layers up to 64 pixels wide (windows up to an eighth of the width) take the padded
     * image's product, and with the Vector API's 16-wide micro-panel (AVX2) at any width those of at most 64 filters
     * and 32+ channels in.
     * The filter gradient of a stride-1 layer with 32+ channels whose window drops at most an eighth of the pitched
     * pixels is by taps, where the batch gives each worker a share; the data gradient of a layer of at most 64
     * channels is on the padded image at any width.
     */
    @Test
    void autoChoosesWinogradWhereItPays() {
        assertEquals("winograd2", cpu.conv(new ConvDesc(Shape.nchw(4, 256, 28, 28), 256, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("winograd2, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 128, 28, 28), 128, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("padded+gemm, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 64, 28, 28), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals(CpuPaddedGemm.wideInPlace() ? "padded+gemm, dw taps+gemm" : "im2col+gemm, dx padded+gemm, dw taps+gemm",
                cpu.conv(new ConvDesc(Shape.nchw(4, 64, 112, 112), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals(CpuPaddedGemm.wideInPlace() ? "padded+gemm, dw taps+gemm" : "im2col+gemm, dx padded+gemm, dw taps+gemm",
                cpu.conv(new ConvDesc(Shape.nchw(2, 32, 75, 75), 32, 3, 3, 1, 1, 0, 0, 0, 0, false, Activation.NONE)).algorithm());
        // wide, more than 64 filters or under 32 channels in: im2col's at any micro-panel
        assertEquals("im2col+gemm, dx padded+gemm, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(2, 64, 80, 80), 65, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        // (31 channels are a full micro-panel for the taps only where it is 16 wide)
        assertEquals(Sgemm.NR <= 31 ? "im2col+gemm, dx padded+gemm, dw taps+gemm" : "im2col+gemm, dx padded+gemm",
                cpu.conv(new ConvDesc(Shape.nchw(2, 31, 80, 80), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        // 64+ in and out with 96+ on one side (Inception's 64 -> 96 and 80 -> 192, and 128 -> 64): F(2x2), dw not; 32 in: not
        assertEquals("winograd2, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(8, 64, 35, 35), 96, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("winograd2, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(2, 80, 21, 21), 192, 3, 3, 1, 1, 0, 0, 0, 0, false, Activation.NONE)).algorithm());
        assertEquals("winograd2, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 128, 28, 28), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("im2col+gemm, dx padded+gemm, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 32, 40, 80), 192, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        // the conv test's shapes for each path
        assertEquals("padded+gemm, dw im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(2, 3, 16, 18), 5, 3, 3, 1, 1, 1, 1, 1, 1, true, Activation.RELU)).algorithm());
        assertEquals("padded+gemm, dw im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(2, 4, 18, 17), 6, 3, 3, 1, 1, 0, 0, 0, 0, false, Activation.NONE)).algorithm());
        assertEquals("padded+gemm, dw im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(1, 3, 12, 33), 4, 5, 5, 1, 1, 2, 2, 2, 2, true, Activation.NONE)).algorithm());
        assertEquals("im2col+gemm, dx padded+gemm", cpu.conv(new ConvDesc(Shape.nchw(1, 3, 6, 70), 4, 3, 3, 1, 1, 1, 1, 1, 1, true, Activation.RELU)).algorithm());
        assertEquals("padded+gemm, dw im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 3, 28, 28), 256, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 64, 17, 17), 64, 1, 7, 1, 1, 0, 3, 0, 3, false, Activation.NONE)).algorithm());
        assertEquals("winograd2, dw im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(1, 128, 7, 7), 128, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        // by taps only with a share for each of the two workers: one image of one chunk is im2col's
        assertEquals("padded+gemm, dw im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(1, 64, 14, 14), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("padded+gemm, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(2, 64, 14, 14), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        // by taps only from a full micro-panel of channels (Sgemm.NR: 32 with AVX-512, 16 with AVX2 or the scalar kernel)
        assertEquals("padded+gemm, dw im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, Sgemm.NR - 1, 28, 28), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("padded+gemm, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, Sgemm.NR, 28, 28), 64, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("winograd2", cpu.conv(new ConvDesc(Shape.nchw(1, 512, 7, 7), 512, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("winograd2, dw taps+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 256, 14, 14), 96, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals(CpuPaddedGemm.wideInPlace() ? "padded+gemm, dw im2col+gemm" : "im2col+gemm",
                cpu.conv(new ConvDesc(Shape.nchw(1, 65, 5, 70), 3, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("im2col+gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 256, 28, 28), 256, 3, 3, 2, 2, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        assertEquals("gemm", cpu.conv(new ConvDesc(Shape.nchw(4, 256, 28, 28), 256, 1, 1, 1, 1, 0, 0, 0, 0, false, Activation.NONE)).algorithm());
        try (CpuBackend direct = new CpuBackend(1, "direct")) {
            assertEquals("padded+gemm, dw taps+gemm", direct.conv(new ConvDesc(Shape.nchw(4, 256, 28, 28), 256, 3, 3, 1, 1, 1, 1, 1, 1, false, Activation.NONE)).algorithm());
        }
    }

    /** auto's F(2x2) forward and data gradient with the filter gradient by taps or by im2col, all three in one call. */
    @ParameterizedTest(name = "{0}x{0} c{1} k{2}: {3}")
    @CsvSource({"23, 128, 128, 'winograd2, dw taps+gemm'", "7, 128, 128, 'winograd2, dw im2col+gemm'",
            "23, 64, 96, 'winograd2, dw taps+gemm'", "9, 97, 64, 'winograd2, dw im2col+gemm'"})
    void autoWinogradWithMatrixFilterGradient(int size, int c, int k, String algorithm) {
        ConvDesc d = new ConvDesc(Shape.nchw(2, c, size, size), k, 3, 3, 1, 1, 1, 1, 1, 1, true, Activation.NONE);
        var pc = cpu.conv(d);
        assertEquals(algorithm, pc.algorithm());
        var pr = ref.conv(d);
        Twin x = random(d.x()), wt = random(d.w()), dz = random(d.y());
        for (boolean acc : new boolean[] {false, true}) {
            Twin gx = random(d.x()), gw = random(d.w()), gb = random(Shape.of(k));
            pc.backward(x.c(), wt.c(), dz.c(), new Grad(gx.c(), acc), new Grad(gw.c(), acc), new Grad(gb.c(), acc));
            pr.backward(x.r(), wt.r(), dz.r(), new Grad(gx.r(), acc), new Grad(gw.r(), acc), new Grad(gb.r(), acc));
            assertAgree("dx", gx);
            assertAgree("dw", gw);
            assertAgree("db", gb);
        }
    }

    @ParameterizedTest(name = "n{0} {1} -> {2}, bias {3}, relu {4}")
    @CsvSource({"3, 70, 45, true, true", "1, 1, 1, true, false", "5, 33, 17, false, false", "2, 300, 10, true, false"})
    void dense(int n, int in, int out, boolean bias, boolean relu) {
        DenseDesc d = new DenseDesc(n, in, out, bias, relu ? Activation.RELU : Activation.NONE);
        var pc = cpu.dense(d);
        var pr = ref.dense(d);
        Twin x = random(d.x()), wt = random(d.w()), b = bias ? random(Shape.of(out)) : null, y = empty(d.y()), dz = random(d.y());
        pc.forward(x.c(), wt.c(), b == null ? null : b.c(), y.c());
        pr.forward(x.r(), wt.r(), b == null ? null : b.r(), y.r());
        assertAgree("dense y", y);
        checkGradient("dense dx", d.x(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), g.get(0), null, null), 1);
        checkGradient("dense dw", d.w(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), null, g.get(0), null), 1);
        if (bias)
            checkGradient("dense db", Shape.of(out), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, wt), side(be, dz), null, null, g.get(0)), 1);
    }

    @ParameterizedTest(name = "{0} {1}x{2}/{3}x{4} {5} on n{6} c{7} {8}x{9}")
    @CsvSource({
            "MAX, 3, 3, 2, 2, VALID, 2, 3, 13, 13",
            "MAX, 3, 3, 2, 2, SAME, 2, 3, 13, 12",
            "MAX, 2, 2, 2, 2, SAME, 1, 5, 7, 7",
            "MAX, 3, 3, 1, 1, SAME, 2, 3, 6, 6",
            "MAX, 1, 1, 2, 2, VALID, 2, 3, 7, 7",   // stride larger than the kernel
            "MAX, 2, 2, 2, 2, VALID, 2, 3, 6, 6",   // windows that tile the input (vgg16's pools)
            "MAX, 2, 2, 3, 3, VALID, 2, 3, 8, 8",   // disjoint windows with cells in none
            "AVG, 3, 3, 1, 1, SAME, 2, 3, 6, 7",
            "AVG, 3, 3, 1, 1, SAME, 2, 3, 17, 18",  // stride 1 on rows of 16+: the backward's vector-wide spread
            "AVG, 3, 5, 1, 1, VALID, 1, 2, 6, 21",  // the same, VALID, a wider window
            "AVG, 3, 3, 2, 2, SAME, 2, 17, 8, 8",
            "AVG, 5, 5, 3, 3, VALID, 1, 3, 17, 17",
            "AVG, 2, 2, 2, 2, VALID, 2, 3, 6, 6",
            "AVG, 6, 5, 6, 5, VALID, 2, 3, 6, 5",   // a global average
            "AVG, 2, 3, 3, 4, VALID, 2, 3, 9, 11",  // stride larger than the window: cells in none
            "AVG, 3, 2, 1, 2, SAME, 1, 2, 5, 9"     // unequal window and strides
    })
    void pool(String mode, int kh, int kw, int sh, int sw, String pad, int n, int c, int h, int w) {
        Padding p = pad.equals("SAME") ? Padding.SAME : Padding.VALID;
        int[] v = p.vertical(h, kh, sh), hz = p.horizontal(w, kw, sw);
        PoolDesc d = new PoolDesc(Shape.nchw(n, c, h, w), PoolMode.valueOf(mode), kh, kw, sh, sw, v[0], v[1], hz[0], hz[1]);
        var pc = cpu.pool(d);
        var pr = ref.pool(d);
        Twin x = random(d.x()), y = empty(d.y()), dy = random(d.y());
        pc.forward(x.c(), y.c());
        pr.forward(x.r(), y.r());
        assertAgree("pool y", y);
        checkGradient("pool dx", d.x(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, y), side(be, dy), g.get(0)), 1);
    }

    /**
     * Max pooling where windows hold ties (relu's zeros, quantised values): dy goes to the first maximum in
     * row-major order, as the reference's, on the disjoint path (windows that tile or skip cells) and the general one.
     */
    @ParameterizedTest(name = "{0}x{1}/{2} on {3}x{3}")
    @CsvSource({"2, 2, 2, 6", "2, 2, 3, 8", "3, 3, 2, 9", "3, 3, 1, 5"})
    void maxPoolTies(int kh, int kw, int s, int h) {
        PoolDesc d = new PoolDesc(Shape.nchw(2, 3, h, h), PoolMode.MAX, kh, kw, s, s, 0, 0, 0, 0);
        var pc = cpu.pool(d);
        var pr = ref.pool(d);
        float[] v = new float[d.x().intSize()];
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < v.length; i++) v[i] = Math.max(0, rng.nextInt(4) - 1); // 0 half the time, else 1 or 2
        Twin x = new Twin(cpu.of(d.x(), v), ref.of(d.x(), v)), y = empty(d.y()), dy = random(d.y());
        made.add(x);
        pc.forward(x.c(), y.c());
        pr.forward(x.r(), y.r());
        for (boolean acc : new boolean[] {false, true}) {
            Twin dx = random(d.x());
            pc.backward(x.c(), y.c(), dy.c(), new Grad(dx.c(), acc));
            pr.backward(x.r(), y.r(), dy.r(), new Grad(dx.r(), acc));
            assertAgree("max pool dx with ties, accumulate " + acc, dx);
        }
    }

    @ParameterizedTest(name = "r{0} bias {1} alpha {2} beta {3} c{4}")
    @CsvSource({"4, 1, 0.000111111, 0.75, 13", "5, 1, 0.00002, 0.75, 11", "2, 2, 0.3, 0.6, 7", "1, 1, 0.5, 0.5, 19", "2, 1, 0.2, 0.75, 3"})
    void lrn(int r, double bias, double alpha, double beta, int c) {
        LrnDesc d = new LrnDesc(Shape.nchw(2, c, 3, 5), r, bias, alpha, beta);
        var pc = cpu.lrn(d);
        var pr = ref.lrn(d);
        Twin x = random(d.x(), -3, 3), y = empty(d.x()), dy = random(d.x());
        pc.forward(x.c(), y.c());
        pr.forward(x.r(), y.r());
        assertAgree("lrn y", y);
        checkGradient("lrn dx", d.x(), (be, g) -> (be == cpu ? pc : pr).backward(side(be, x), side(be, y), side(be, dy), g.get(0)), 1);
    }

    /**
     * Batch norm in both modes: y, the statistics, and each gradient alone, overwriting and accumulating. With relu,
     * through the overloads taking the activation (the CPU's forwards write the relu in their own sweep) against the
     * reference's norm followed by its relu, each gradient from dy at the relu's output; without, the same overloads
     * with no activation (null), which are the plain calls.
     */
    @ParameterizedTest(name = "scale {0}, relu {1}")
    @CsvSource({"true, false", "false, false", "true, true", "false, true"})
    void batchNorm(boolean scale, boolean relu) {
        BatchNormDesc d = new BatchNormDesc(Shape.nchw(3, 19, 3, 5), 1e-3, scale);
        var pc = cpu.batchNorm(d);
        var pr = ref.batchNorm(d);
        var ac = relu ? cpu.activation(d.x(), Activation.RELU) : null;
        var ar = relu ? ref.activation(d.x(), Activation.RELU) : null;
        Shape ch = d.param();
        Twin x = random(d.x(), -2, 3), gamma = scale ? random(ch, 0.5, 1.5) : null, beta = random(ch), y = empty(d.x());
        Twin mm = random(ch), mv = random(ch, 0.5, 2), mean = empty(ch), invStd = empty(ch);
        Tensor gc = gamma == null ? null : gamma.c(), gr = gamma == null ? null : gamma.r();
        // training forward: y, the batch statistics, the moving averages
        pc.forwardTraining(x.c(), gc, beta.c(), y.c(), mm.c(), mv.c(), 0.1, mean.c(), invStd.c(), ac);
        pr.forwardTraining(x.r(), gr, beta.r(), y.r(), mm.r(), mv.r(), 0.1, mean.r(), invStd.r(), ar);
        for (Twin t : new Twin[] {y, mm, mv, mean, invStd}) assertAgree("batch norm training forward", t);
        if (relu) {
            double[] out = y.r().toDoubles();
            long cut = java.util.Arrays.stream(out).filter(v -> v == 0).count();
            assertTrue(cut > out.length / 5 && cut < out.length * 4 / 5, "the relu cuts some of y and not all: " + cut + " of " + out.length);
        }
        // then each mode's dx, dgamma, dbeta, each alone, after that mode's forward (the relu's mask is its y)
        Shape[] shapes = {d.x(), ch, ch};
        for (boolean training : new boolean[] {true, false}) {
            if (!training) {
                pc.forwardInference(x.c(), gc, beta.c(), mm.c(), mv.c(), y.c(), ac);
                pr.forwardInference(x.r(), gr, beta.r(), mm.r(), mv.r(), y.r(), ar);
                assertAgree("batch norm inference y", y);
            }
            for (int which = 0; which < 3; which++) {
                if (which == 1 && !scale) continue;
                int at = which;
                Twin dy = random(d.x()); // with relu, masked in place by the first call on both sides alike (again changes nothing)
                String what = "batch norm " + (training ? "training" : "inference") + " d" + new String[] {"x", "gamma", "beta"}[at];
                checkGradient(what, shapes[at], (be, g) -> {
                    BatchNormPlan p = be == cpu ? pc : pr;
                    Grad gx = at == 0 ? g.get(0) : null, gg = at == 1 ? g.get(0) : null, gb = at == 2 ? g.get(0) : null;
                    if (training) p.backward(side(be, x), side(be, dy), be == cpu ? gc : gr, side(be, mean), side(be, invStd),
                            be == cpu ? ac : ar, side(be, y), gx, gg, gb);
                    else p.backwardInference(side(be, x), side(be, dy), be == cpu ? gc : gr, side(be, mm), side(be, mv),
                            be == cpu ? ac : ar, side(be, y), gx, gg, gb);
                }, 1);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"(3, 1000)", "(1, 7)", "(2, 5, 3, 3)"})
    void softmax(String shape) {
        Shape s = shape.equals("(3, 1000)") ? Shape.of(3, 1000) : shape.equals("(1, 7)") ? Shape.of(1, 7) : Shape.nchw(2, 5, 3, 3);
        var pc = cpu.softmax(s);
        var pr = ref.softmax(s);
        Twin x = random(s, -5, 5), y = empty(s), dy = random(s);
        pc.forward(x.c(), y.c());
        pr.forward(x.r(), y.r());
        assertAgree("softmax y", y);
        checkGradient("softmax dx", s, (be, g) -> (be == cpu ? pc : pr).backward(side(be, y), side(be, dy), g.get(0)), 1);
    }

    @Test
    void reluAndElementwise() {
        Shape s = Shape.nchw(2, 3, 5, 7);
        var ac = cpu.activation(s, Activation.RELU);
        var ar = ref.activation(s, Activation.RELU);
        var ec = cpu.elementwise(s);
        var er = ref.elementwise(s);
        Twin x = random(s), y = empty(s), dy = random(s), b = random(s);
        ac.forward(x.c(), y.c());
        ar.forward(x.r(), y.r());
        assertAgree("relu y", y);
        checkGradient("relu dx", s, (be, g) -> (be == cpu ? ac : ar).backward(side(be, y), side(be, dy), g.get(0)), 1);
        ec.add(x.c(), b.c(), y.c());
        er.add(x.r(), b.r(), y.r());
        assertAgree("add y", y);
        checkGradient("scaleInto", s, (be, g) -> (be == cpu ? ec : er).scaleInto(0.75f, side(be, dy), g.get(0)), 1);
    }

    @Test
    void concatAndSplit() {
        List<Shape> parts = List.of(Shape.nchw(2, 3, 2, 5), Shape.nchw(2, 1, 2, 5), Shape.nchw(2, 17, 2, 5));
        var pc = cpu.concat(parts);
        var pr = ref.concat(parts);
        Twin a = random(parts.get(0)), b = random(parts.get(1)), c = random(parts.get(2)), y = empty(pc.y()), dy = random(pc.y());
        pc.concat(List.of(a.c(), b.c(), c.c()), y.c());
        pr.concat(List.of(a.r(), b.r(), c.r()), y.r());
        assertAgree("concat y", y);
        for (int part = 0; part < 3; part++) {
            int at = part;
            checkGradient("split part " + at, parts.get(at), (be, g) -> {
                List<Grad> dxs = new ArrayList<>(java.util.Collections.nCopies(3, (Grad) null));
                dxs.set(at, g.get(0));
                (be == cpu ? pc : pr).split(side(be, dy), dxs);
            }, 1);
        }
    }

    @ParameterizedTest(name = "stride {0}x{1} pads {2},{3},{4},{5}")
    @CsvSource({"1, 1, 3, 3, 3, 3", "1, 1, 1, 1, 1, 1", "2, 2, 0, 0, 0, 0", "1, 1, -1, -2, 0, -1", "3, 2, 0, 0, 0, 0"})
    void window(int sh, int sw, int pt, int pb, int pl, int pr) {
        WindowDesc d = new WindowDesc(Shape.nchw(2, 3, 7, 6), sh, sw, pt, pb, pl, pr);
        var pc = cpu.window(d);
        var pf = ref.window(d);
        Twin x = random(d.x()), y = empty(d.y()), dy = random(d.y());
        pc.forward(x.c(), y.c());
        pf.forward(x.r(), y.r());
        assertAgree("window y", y);
        checkGradient("window dx", d.x(), (be, g) -> (be == cpu ? pc : pf).backward(side(be, dy), g.get(0)), 1);
    }

    @Test
    void dropoutDrawsTheSameMask() {
        Shape s = Shape.of(3, 20000); // more than one chunk of draws
        var pc = cpu.dropout(s, 0.6);
        var pr = ref.dropout(s, 0.6);
        Twin x = random(s), y = empty(s), mask = empty(pc.reserveShape()), dy = random(s);
        pc.forward(x.c(), y.c(), mask.c(), 12345);
        pr.forward(x.r(), y.r(), mask.r(), 12345);
        assertAgree("dropout mask", mask);
        assertAgree("dropout y", y);
        checkGradient("dropout dx", s, (be, g) -> (be == cpu ? pc : pr).backward(side(be, dy), side(be, mask), g.get(0)), 1);
    }

    @Test
    void losses() {
        Shape s = Shape.of(4, 10);
        var pc = cpu.loss(s);
        var pr = ref.loss(s);
        Twin x = random(s, -3, 3), loss = empty(Shape.of(1)), probs = empty(s), labels = random(s, 0, 1);
        pc.l2(x.c(), loss.c());
        pr.l2(x.r(), loss.r());
        assertAgree("l2 loss", loss);
        checkGradient("l2 dx", s, (be, g) -> (be == cpu ? pc : pr).l2Backward(side(be, x), 0.5f, g.get(0)), 1);
        pc.softmaxCrossEntropy(x.c(), labels.c(), probs.c(), loss.c());
        pr.softmaxCrossEntropy(x.r(), labels.r(), probs.r(), loss.r());
        assertAgree("softmax cross-entropy", loss);
        assertAgree("softmax cross-entropy probs", probs);
        checkGradient("softmax cross-entropy dlogits", s,
                (be, g) -> (be == cpu ? pc : pr).softmaxCrossEntropyBackward(side(be, probs), side(be, labels), 1.5f, g.get(0)), 1);
    }

    @Test
    void sgd() {
        Shape s = Shape.of(5, 7);
        var pc = cpu.sgd(s);
        var pr = ref.sgd(s);
        Twin w = random(s), dw = random(s), v = random(s);
        for (int step = 0; step < 3; step++) {
            pc.update(w.c(), dw.c(), v.c(), 0.1f, 0.9f);
            pr.update(w.r(), dw.r(), v.r(), 0.1f, 0.9f);
        }
        assertAgree("sgd w", w);
        assertAgree("sgd v", v);
    }
}
