package convbench.kernels.cuda;

import convbench.engine.spec.PoolMode;

import convbench.engine.Backend;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.reference.ReferenceBackend;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.BatchNormPlan;
import convbench.engine.plan.ConcatPlan;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.ConvPlan;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.DensePlan;
import convbench.engine.plan.ElementwisePlan;
import convbench.engine.plan.LossPlan;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;
import convbench.engine.plan.SgdPlan;
import convbench.engine.plan.SoftmaxPlan;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static convbench.engine.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU tier: every plan on CUDA against the reference backend (float64, each op's own loops), on fresh random inputs, forward and
 * backward, overwriting and accumulating (cuDNN beta 0 and 1). Strict FP32 must agree to a
 * max-norm relative error of 1e-4. Outputs that a plan overwrites start as NaN on both sides, so an
 * element left unwritten, or a beta-0 output that cuDNN reads, shows up as a failure.
 */
@Tag("gpu")
class CudaPlansGpuTest {
    static final double FP32 = 1e-4;
    static ReferenceBackend ref;
    static CudaBackend gpu;
    static long seed = 1;

    @BeforeAll static void open() {
        gpu = GpuSupport.open("fp32", "heuristic");
        ref = new ReferenceBackend();
        if (gpu != null) System.out.println("GPU tier on " + gpu.environment());
    }

    @BeforeEach void needsTheGpu() { GpuSupport.assume(gpu); }

    @AfterAll static void close() {
        if (gpu != null) gpu.close();
        if (ref != null) ref.close();
    }

    /** One value set on both backends. */
    record T(Tensor c, Tensor g) implements AutoCloseable {
        static T random(Shape s) { return of(s, randn(s.intSize(), seed++)); }

        static T of(Shape s, float[] v) { return new T(ref.of(s, v), gpu.of(s, v)); }

        /** An output both sides must overwrite: starts as NaN everywhere. */
        static T nan(Shape s) {
            float[] v = new float[s.intSize()];
            Arrays.fill(v, Float.NaN);
            return of(s, v);
        }

        Grad cg(boolean acc) { return new Grad(c, acc); }

        Grad gg(boolean acc) { return new Grad(g, acc); }

        float[] refValues() { return c.toFloats(); }

        CrossCheck.Result check(String what, double tol) {
            return CrossCheck.compare(what, c.toFloats(), g.toFloats()).assertWithin(tol);
        }

        @Override public void close() {
            c.close();
            g.close();
        }
    }

    /** A gradient buffer: NaN when overwritten, the same random values on both sides when accumulated into. */
    static T grad(Shape s, boolean acc) { return acc ? T.random(s) : T.nan(s); }

    // ---- convolution ----

    @ParameterizedTest(name = "conv n{0} c{1} {2}x{3} k{4} {5}x{6}/{7}x{8} pads {9},{10},{11},{12} bias {13} relu {14}")
    @CsvSource({
            "2, 3, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, true, false",
            "2, 3, 10, 10, 4, 3, 3, 2, 2, 0, 1, 0, 1, true, true",     // TF SAME, asymmetric
            "2, 3, 28, 28, 5, 11, 11, 4, 4, 3, 4, 3, 4, true, true",   // AlexNet conv1 geometry: pads 3 and 4
            "2, 4, 7, 9, 3, 1, 7, 1, 1, 0, 0, 3, 3, false, true",      // Inception 1x7
            "2, 4, 9, 7, 3, 7, 1, 1, 1, 3, 3, 0, 0, true, false",      // Inception 7x1
            "2, 2, 6, 7, 3, 3, 3, 2, 2, 0, 2, 1, 0, true, false",      // explicit asymmetric
            "2, 3, 9, 9, 4, 3, 3, 2, 2, 0, 0, 0, 0, true, true",       // VALID, strided
            "2, 8, 6, 6, 5, 1, 1, 1, 1, 0, 0, 0, 0, true, false",      // 1x1
            "2, 8, 7, 7, 5, 1, 1, 2, 2, 0, 0, 0, 0, true, false",      // strided 1x1 (ResNet shortcut)
            "2, 3, 7, 5, 4, 3, 2, 3, 2, 1, 1, 0, 1, false, false",     // rectangular, asymmetric in w only
            "8, 32, 28, 28, 48, 3, 3, 1, 1, 1, 1, 1, 1, true, true",   // big enough for cuDNN's fast algorithms
            "4, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, true, true",
            "4, 16, 15, 15, 32, 5, 5, 1, 1, 2, 2, 2, 2, false, true"})
    void conv(int n, int c, int h, int w, int k, int kh, int kw, int sh, int sw, int pt, int pb, int pl, int pr, boolean bias, boolean relu) {
        ConvDesc d = new ConvDesc(Shape.nchw(n, c, h, w), k, kh, kw, sh, sw, pt, pb, pl, pr, bias, relu ? Activation.RELU : Activation.NONE);
        checkConv(gpu, d, FP32);
    }

    static void checkConv(CudaBackend be, ConvDesc d, double tol) {
        Shape bs = Shape.of(d.filters());
        try (ConvPlan pc = ref.conv(d); ConvPlan pg = be.conv(d); T x = T.random(d.x()); T w = T.random(d.w());
             T b = d.bias() ? T.random(bs) : null; T y = T.nan(d.y()); T dz = T.random(d.y())) {
            String what = d + " [" + ((CudaConv) pg).algorithms() + "]";
            pc.forward(x.c, w.c, b == null ? null : b.c, y.c);
            pg.forward(x.g, w.g, b == null ? null : b.g, y.g);
            y.check("forward of " + what, tol);
            pg.forward(x.g, w.g, b == null ? null : b.g, y.g); // a second call (fusion fallback, pad buffer reuse)
            y.check("second forward of " + what, tol);
            for (boolean acc : new boolean[] {false, true}) {
                try (T dx = grad(d.x(), acc); T dw = grad(d.w(), acc); T db = d.bias() ? grad(bs, acc) : null) {
                    pc.backward(x.c, w.c, dz.c, dx.cg(acc), dw.cg(acc), db == null ? null : db.cg(acc));
                    pg.backward(x.g, w.g, dz.g, dx.gg(acc), dw.gg(acc), db == null ? null : db.gg(acc));
                    String mode = acc ? " (accumulating)" : " (overwriting)";
                    dx.check("dx of " + what + mode, tol);
                    dw.check("dw of " + what + mode, tol);
                    if (db != null) db.check("db of " + what + mode, tol);
                }
            }
            // only some gradients wanted
            try (T dx = T.nan(d.x())) {
                pc.backward(x.c, w.c, dz.c, dx.cg(false), null, null);
                pg.backward(x.g, w.g, dz.g, dx.gg(false), null, null);
                dx.check("dx alone of " + what, tol);
            }
        }
    }

    // ---- dense ----

    @ParameterizedTest(name = "dense {0}x{1} -> {2} bias {3} relu {4}")
    @CsvSource({"8, 50, 30, true, true", "5, 64, 7, false, false", "32, 256, 100, true, false", "1, 9, 4, true, true"})
    void dense(int n, int in, int out, boolean bias, boolean relu) {
        checkDense(gpu, new DenseDesc(n, in, out, bias, relu ? Activation.RELU : Activation.NONE), FP32);
    }

    static void checkDense(CudaBackend be, DenseDesc d, double tol) {
        Shape bs = Shape.of(d.out());
        try (DensePlan pc = ref.dense(d); DensePlan pg = be.dense(d); T x = T.random(d.x()); T w = T.random(d.w());
             T b = d.bias() ? T.random(bs) : null; T y = T.nan(d.y()); T dz = T.random(d.y())) {
            pc.forward(x.c, w.c, b == null ? null : b.c, y.c);
            pg.forward(x.g, w.g, b == null ? null : b.g, y.g);
            y.check("forward of " + d, tol);
            for (boolean acc : new boolean[] {false, true}) {
                try (T dx = grad(d.x(), acc); T dw = grad(d.w(), acc); T db = d.bias() ? grad(bs, acc) : null) {
                    pc.backward(x.c, w.c, dz.c, dx.cg(acc), dw.cg(acc), db == null ? null : db.cg(acc));
                    pg.backward(x.g, w.g, dz.g, dx.gg(acc), dw.gg(acc), db == null ? null : db.gg(acc));
                    dx.check("dx of " + d + " acc " + acc, tol);
                    dw.check("dw of " + d + " acc " + acc, tol);
                    if (db != null) db.check("db of " + d + " acc " + acc, tol);
                }
            }
        }
    }

    // ---- pooling ----

    @ParameterizedTest(name = "{0} {3}x{4}/{5}x{6} on {1}x{2} pads {7},{8},{9},{10}")
    @CsvSource({
            "MAX, 9, 9, 3, 3, 2, 2, 0, 0, 0, 0",
            "MAX, 12, 12, 3, 3, 2, 2, 0, 1, 0, 1",   // ResNet root max pool: SAME, asymmetric
            "MAX, 8, 8, 2, 2, 2, 2, 0, 0, 0, 0",
            "MAX, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1",
            "MAX, 10, 11, 3, 2, 2, 2, 1, 0, 0, 1",
            "AVG, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1",     // Inception SAME 3x3/1: padding out of the divisor
            "AVG, 12, 12, 3, 3, 2, 2, 0, 1, 0, 1",   // asymmetric average: the ratio path
            "AVG, 10, 9, 3, 3, 2, 2, 1, 0, 0, 1",
            "AVG, 17, 17, 5, 5, 3, 3, 0, 0, 0, 0",   // Inception aux head
            "AVG, 8, 8, 8, 8, 1, 1, 0, 0, 0, 0"})    // global average
    void pool(PoolMode mode, int h, int w, int kh, int kw, int sh, int sw, int pt, int pb, int pl, int pr) {
        PoolDesc d = new PoolDesc(Shape.nchw(3, 4, h, w), mode, kh, kw, sh, sw, pt, pb, pl, pr);
        try (PoolPlan pc = ref.pool(d); PoolPlan pg = gpu.pool(d); T x = T.random(d.x()); T y = T.nan(d.y()); T dy = T.random(d.y())) {
            pc.forward(x.c, y.c);
            pg.forward(x.g, y.g);
            y.check("forward of " + d, FP32);
            for (boolean acc : new boolean[] {false, true}) {
                try (T dx = grad(d.x(), acc)) {
                    pc.backward(x.c, y.c, dy.c, dx.cg(acc));
                    pg.backward(x.g, y.g, dy.g, dx.gg(acc));
                    dx.check("dx of " + d + " acc " + acc, FP32);
                }
            }
        }
    }

    // ---- LRN ----

    @ParameterizedTest(name = "lrn r={0} bias {1} alpha {2} beta {3}")
    @CsvSource({"2, 1.0, 0.1, 0.75", "4, 1.0, 0.000111111, 0.75", "5, 1.0, 0.00002, 0.75", "3, 2.0, 0.5, 0.5", "1, 1.0, 1.0, 1.0"})
    void lrn(int r, double bias, double alpha, double beta) {
        LrnDesc d = new LrnDesc(Shape.nchw(2, 16, 5, 6), r, bias, alpha, beta);
        try (LrnPlan pc = ref.lrn(d); LrnPlan pg = gpu.lrn(d); T x = T.random(d.x()); T y = T.nan(d.x()); T dy = T.random(d.x())) {
            pc.forward(x.c, y.c);
            pg.forward(x.g, y.g);
            y.check("forward of " + d, FP32);
            for (boolean acc : new boolean[] {false, true}) {
                try (T dx = grad(d.x(), acc)) {
                    pc.backward(x.c, y.c, dy.c, dx.cg(acc));
                    pg.backward(x.g, y.g, dy.g, dx.gg(acc));
                    dx.check("dx of " + d + " acc " + acc, FP32);
                }
            }
        }
    }

    // ---- batch norm ----

    @ParameterizedTest(name = "batch norm {0} scale {1} eps {2}")
    @CsvSource({"4-6-5-5, true, 1e-5", "4-6-5-5, false, 1e-3", "8-10, true, 1e-3", "2-3-1-1, false, 1e-5"})
    void batchNorm(String dims, boolean scale, double eps) {
        Shape xs = Shape.of(Arrays.stream(dims.split("-")).mapToInt(Integer::parseInt).toArray());
        BatchNormDesc d = new BatchNormDesc(xs, eps, scale);
        Shape ps = d.param();
        float[] var = convbench.engine.GradCheck.uniform(ps.intSize(), 0.5, 2.0, seed++);
        try (BatchNormPlan pc = ref.batchNorm(d); BatchNormPlan pg = gpu.batchNorm(d); T x = T.random(xs); T gamma = scale ? T.random(ps) : null;
             T beta = T.random(ps); T y = T.nan(xs); T mm = T.random(ps); T mv = T.of(ps, var); T sm = T.nan(ps); T si = T.nan(ps);
             T dy = T.random(xs)) {
            pc.forwardTraining(x.c, gamma == null ? null : gamma.c, beta.c, y.c, mm.c, mv.c, 0.1, sm.c, si.c);
            pg.forwardTraining(x.g, gamma == null ? null : gamma.g, beta.g, y.g, mm.g, mv.g, 0.1, sm.g, si.g);
            y.check("training forward of " + d, FP32);
            mm.check("moving mean of " + d, FP32);
            mv.check("moving variance of " + d, FP32);
            sm.check("saved mean of " + d, FP32);
            si.check("saved inverse std of " + d, FP32);

            // backward: every combination of overwrite / accumulate / absent for dx, dgamma, dbeta
            for (int combo = 0; combo < 27; combo++) {
                int fx = combo % 3, fg = (combo / 3) % 3, fb = combo / 9; // 0 absent, 1 overwrite, 2 accumulate
                if (!scale && fg != 0) continue;
                try (T dx = fx == 0 ? null : grad(xs, fx == 2); T dg = fg == 0 ? null : grad(ps, fg == 2); T db = fb == 0 ? null : grad(ps, fb == 2)) {
                    pc.backward(x.c, dy.c, gamma == null ? null : gamma.c, sm.c, si.c, dx == null ? null : dx.cg(fx == 2),
                            dg == null ? null : dg.cg(fg == 2), db == null ? null : db.cg(fb == 2));
                    pg.backward(x.g, dy.g, gamma == null ? null : gamma.g, sm.g, si.g, dx == null ? null : dx.gg(fx == 2),
                            dg == null ? null : dg.gg(fg == 2), db == null ? null : db.gg(fb == 2));
                    String m = " of " + d + " (dx " + fx + ", dgamma " + fg + ", dbeta " + fb + ")";
                    if (dx != null) dx.check("dx" + m, FP32);
                    if (dg != null) dg.check("dgamma" + m, FP32);
                    if (db != null) db.check("dbeta" + m, FP32);
                }
            }

            try (T yi = T.nan(xs)) {
                pc.forwardInference(x.c, gamma == null ? null : gamma.c, beta.c, mm.c, mv.c, yi.c);
                pg.forwardInference(x.g, gamma == null ? null : gamma.g, beta.g, mm.g, mv.g, yi.g);
                yi.check("inference forward of " + d, FP32);
            }
            for (boolean acc : new boolean[] {false, true}) {
                try (T dx = grad(xs, acc); T dg = scale ? grad(ps, acc) : null; T db = grad(ps, acc)) {
                    pc.backwardInference(x.c, dy.c, gamma == null ? null : gamma.c, mm.c, mv.c, dx.cg(acc), dg == null ? null : dg.cg(acc), db.cg(acc));
                    pg.backwardInference(x.g, dy.g, gamma == null ? null : gamma.g, mm.g, mv.g, dx.gg(acc), dg == null ? null : dg.gg(acc), db.gg(acc));
                    dx.check("inference dx of " + d + " acc " + acc, FP32);
                    if (dg != null) dg.check("inference dgamma of " + d + " acc " + acc, FP32);
                    db.check("inference dbeta of " + d + " acc " + acc, FP32);
                }
            }
        }
    }

    // ---- activation, softmax, elementwise ----

    @Test
    void relu() {
        for (Shape s : List.of(Shape.nchw(2, 3, 4, 5), Shape.of(4, 7))) {
            try (ActivationPlan pc = ref.activation(s, Activation.RELU); ActivationPlan pg = gpu.activation(s, Activation.RELU);
                 T x = T.random(s); T y = T.nan(s); T dy = T.random(s)) {
                pc.forward(x.c, y.c);
                pg.forward(x.g, y.g);
                y.check("relu forward " + s, 0);
                for (boolean acc : new boolean[] {false, true}) {
                    try (T dx = grad(s, acc)) {
                        pc.backward(y.c, dy.c, dx.cg(acc));
                        pg.backward(y.g, dy.g, dx.gg(acc));
                        dx.check("relu backward " + s + " acc " + acc, FP32);
                    }
                }
                // in place: dx is dy
                try (T d2 = T.of(s, dy.refValues())) {
                    pc.backward(y.c, d2.c, d2.cg(false));
                    pg.backward(y.g, d2.g, d2.gg(false));
                    d2.check("relu backward in place " + s, 0);
                }
                // forward in place
                pc.forward(x.c, x.c);
                pg.forward(x.g, x.g);
                x.check("relu forward in place " + s, 0);
            }
            try (ActivationPlan pc = ref.activation(s, Activation.NONE); ActivationPlan pg = gpu.activation(s, Activation.NONE);
                 T x = T.random(s); T y = T.nan(s); T dx = T.random(s)) {
                pc.forward(x.c, y.c);
                pg.forward(x.g, y.g);
                y.check("identity forward " + s, 0);
                pc.backward(y.c, x.c, dx.cg(true));
                pg.backward(y.g, x.g, dx.gg(true));
                dx.check("identity backward accumulating " + s, FP32);
            }
        }
    }

    @Test
    void softmax() {
        for (Shape s : List.of(Shape.of(4, 10), Shape.nchw(2, 5, 3, 3), Shape.of(3, 1000))) {
            try (SoftmaxPlan pc = ref.softmax(s); SoftmaxPlan pg = gpu.softmax(s); T x = T.random(s); T y = T.nan(s); T dy = T.random(s)) {
                pc.forward(x.c, y.c);
                pg.forward(x.g, y.g);
                y.check("softmax forward " + s, FP32);
                for (boolean acc : new boolean[] {false, true}) {
                    try (T dx = grad(s, acc)) {
                        pc.backward(y.c, dy.c, dx.cg(acc));
                        pg.backward(y.g, dy.g, dx.gg(acc));
                        dx.check("softmax backward " + s + " acc " + acc, FP32);
                    }
                }
            }
        }
    }

    @Test
    void elementwise() {
        Shape s = Shape.nchw(3, 4, 5, 6);
        try (ElementwisePlan pc = ref.elementwise(s); ElementwisePlan pg = gpu.elementwise(s); T a = T.random(s); T b = T.random(s); T y = T.nan(s)) {
            pc.add(a.c, b.c, y.c);
            pg.add(a.g, b.g, y.g);
            y.check("add", FP32);
            pc.add(y.c, b.c, y.c); // y aliases a
            pg.add(y.g, b.g, y.g);
            y.check("add into the first operand", FP32);
            pc.add(a.c, y.c, y.c); // y aliases b
            pg.add(a.g, y.g, y.g);
            y.check("add into the second operand", FP32);
            for (float alpha : new float[] {1f, 0.5f, -2f}) {
                for (boolean acc : new boolean[] {false, true}) {
                    try (T d = grad(s, acc)) {
                        pc.scaleInto(alpha, a.c, d.cg(acc));
                        pg.scaleInto(alpha, a.g, d.gg(acc));
                        d.check("scaleInto " + alpha + " acc " + acc, FP32);
                    }
                }
            }
        }
    }

    // ---- concat / split, window ----

    @Test
    void concatAndSplit() {
        List<Shape> parts = List.of(Shape.nchw(2, 3, 4, 4), Shape.nchw(2, 5, 4, 4), Shape.nchw(2, 1, 4, 4));
        try (ConcatPlan pc = ref.concat(parts); ConcatPlan pg = gpu.concat(parts); T a = T.random(parts.get(0)); T b = T.random(parts.get(1));
             T c = T.random(parts.get(2)); T y = T.nan(pc.y()); T dy = T.random(pc.y())) {
            assertEquals(pc.y(), pg.y());
            pc.concat(List.of(a.c, b.c, c.c), y.c);
            pg.concat(List.of(a.g, b.g, c.g), y.g);
            y.check("concat", 0);
            try (T da = grad(parts.get(0), false); T db = grad(parts.get(1), true)) {
                List<Grad> gc = new ArrayList<>(Arrays.asList(da.cg(false), db.cg(true), null));
                List<Grad> gg = new ArrayList<>(Arrays.asList(da.gg(false), db.gg(true), null));
                pc.split(dy.c, gc);
                pg.split(dy.g, gg);
                da.check("split, overwriting", 0);
                db.check("split, accumulating", FP32);
            }
        }
    }

    @ParameterizedTest(name = "window {0}x{1} stride {2}x{3} pads {4},{5},{6},{7}")
    @CsvSource({"6, 7, 1, 1, 1, 2, 0, 1", "8, 8, 1, 1, -1, -1, -2, -1", "7, 9, 2, 2, 0, 0, 0, 0", "9, 9, 3, 3, 1, 1, 1, 1",
            "6, 6, 1, 1, 2, -2, -1, 3", "56, 56, 2, 2, 0, 0, 0, 0", "10, 10, 1, 1, 3, 3, 3, 3"})
    void window(int h, int w, int sh, int sw, int pt, int pb, int pl, int pr) {
        WindowDesc d = new WindowDesc(Shape.nchw(2, 3, h, w), sh, sw, pt, pb, pl, pr);
        try (WindowPlan pc = ref.window(d); WindowPlan pg = gpu.window(d); T x = T.random(d.x()); T y = T.nan(d.y()); T dy = T.random(d.y())) {
            pc.forward(x.c, y.c);
            pg.forward(x.g, y.g);
            y.check("window forward " + d, 0);
            for (boolean acc : new boolean[] {false, true}) {
                try (T dx = grad(d.x(), acc)) {
                    pc.backward(dy.c, dx.cg(acc));
                    pg.backward(dy.g, dx.gg(acc));
                    dx.check("window backward " + d + " acc " + acc, FP32);
                }
            }
        }
    }

    // ---- dropout: cuDNN's generator is not the CPU's, so check by consistency ----

    @Test
    void dropoutIsConsistent() {
        Shape s = Shape.of(64, 1024);
        double keep = 0.6;
        try (var pg = gpu.dropout(s, keep); Tensor x = gpu.of(s, randn(s.intSize(), 5)); Tensor y = gpu.alloc(s);
             Tensor reserve = gpu.alloc(pg.reserveShape()); Tensor dy = gpu.of(s, randn(s.intSize(), 6));
             Tensor dx = gpu.alloc(s); Tensor dxAcc = gpu.of(s, randn(s.intSize(), 7))) {
            float[] before = dxAcc.toFloats();
            pg.forward(x, y, reserve, 1234);
            pg.backward(dy, reserve, new Grad(dx, false));
            pg.backward(dy, reserve, new Grad(dxAcc, true));
            float[] xv = x.toFloats(), yv = y.toFloats(), dyv = dy.toFloats(), dxv = dx.toFloats(), acc = dxAcc.toFloats();
            int kept = 0;
            for (int i = 0; i < xv.length; i++) {
                boolean on = yv[i] != 0f;
                if (on) {
                    kept++;
                    assertEquals(xv[i] / keep, yv[i], 1e-5 * Math.abs(xv[i] / keep) + 1e-7, "y = x / keep where kept, at " + i);
                    assertEquals(dyv[i] / keep, dxv[i], 1e-5 * Math.abs(dyv[i] / keep) + 1e-7, "dx = dy / keep where kept, at " + i);
                } else {
                    assertEquals(0f, dxv[i], "dx = 0 where dropped, at " + i);
                }
                assertEquals(before[i] + dxv[i], acc[i], 1e-5 * (Math.abs(before[i]) + Math.abs(dxv[i])) + 1e-7, "accumulated dx at " + i);
            }
            double rate = kept / (double) xv.length, sigma = Math.sqrt(keep * (1 - keep) / xv.length);
            assertTrue(Math.abs(rate - keep) < 5 * sigma, "kept " + rate + " of the elements, keep is " + keep);
            // the next call draws another mask
            try (Tensor y2 = gpu.alloc(s)) {
                pg.forward(x, y2, reserve, 1235);
                float[] y2v = y2.toFloats();
                int same = 0;
                for (int i = 0; i < yv.length; i++) if ((yv[i] != 0) == (y2v[i] != 0)) same++;
                assertTrue(same < yv.length, "a second forward draws a different mask");
            }
        }
    }

    // ---- losses, SGD ----

    @Test
    void losses() {
        Shape s = Shape.of(8, 10);
        try (LossPlan pc = ref.loss(s); LossPlan pg = gpu.loss(s); T x = T.random(s); T loss = T.nan(Shape.of(1))) {
            pc.l2(x.c, loss.c);
            pg.l2(x.g, loss.g);
            loss.check("l2 loss", 1e-6);
            for (boolean acc : new boolean[] {false, true}) {
                try (T dx = grad(s, acc)) {
                    pc.l2Backward(x.c, 0.7f, dx.cg(acc));
                    pg.l2Backward(x.g, 0.7f, dx.gg(acc));
                    dx.check("l2 backward acc " + acc, FP32);
                }
            }
            float[] soft = convbench.engine.GradCheck.uniform(s.intSize(), 0, 1, 9);
            float[] onehot = new float[s.intSize()];
            for (int r = 0; r < 8; r++) {
                float sum = 0;
                for (int j = 0; j < 10; j++) sum += soft[r * 10 + j];
                for (int j = 0; j < 10; j++) soft[r * 10 + j] /= sum;
                onehot[r * 10 + (r * 3) % 10] = 1;
            }
            for (float[] labels : List.of(onehot, soft)) {
                try (T lab = T.of(s, labels); T probs = T.nan(s)) {
                    pc.softmaxCrossEntropy(x.c, lab.c, probs.c, loss.c);
                    pg.softmaxCrossEntropy(x.g, lab.g, probs.g, loss.g);
                    probs.check("softmax cross-entropy probabilities", FP32);
                    loss.check("softmax cross-entropy", 1e-5);
                    for (boolean acc : new boolean[] {false, true}) {
                        try (T dl = grad(s, acc)) {
                            pc.softmaxCrossEntropyBackward(probs.c, lab.c, 1.5f, dl.cg(acc));
                            pg.softmaxCrossEntropyBackward(probs.g, lab.g, 1.5f, dl.gg(acc));
                            dl.check("softmax cross-entropy backward acc " + acc, FP32);
                        }
                    }
                }
            }
        }
        // a big l2 (many blocks' worth of elements in one reduction block)
        Shape big = Shape.nchw(32, 256, 6, 6);
        try (LossPlan pc = ref.loss(big); LossPlan pg = gpu.loss(big); T x = T.random(big); T loss = T.nan(Shape.of(1))) {
            pc.l2(x.c, loss.c);
            pg.l2(x.g, loss.g);
            loss.check("l2 loss of " + big, 1e-6);
        }
    }

    @Test
    void sgdMomentum() {
        Shape s = Shape.of(1000);
        try (SgdPlan pc = ref.sgd(s); SgdPlan pg = gpu.sgd(s); T w = T.random(s); T dw = T.random(s); T v = T.random(s)) {
            for (int step = 0; step < 3; step++) {
                pc.update(w.c, dw.c, v.c, 0.01f, 0.9f);
                pg.update(w.g, dw.g, v.g, 0.01f, 0.9f);
            }
            w.check("weights after 3 SGD steps", FP32);
            v.check("momentum after 3 SGD steps", FP32);
        }
    }

    // ---- memory, copies, timer ----

    @Test
    void uploadDownloadFillCopy() {
        Shape s = Shape.of(3, 1000);
        float[] v = randn(s.intSize(), 17);
        try (Tensor a = gpu.of(s, v); Tensor b = gpu.alloc(s); Tensor view = a.view(Shape.of(3000))) {
            assertTrue(Arrays.equals(v, a.toFloats()));
            gpu.copy(a, b);
            assertTrue(Arrays.equals(v, b.toFloats()));
            assertTrue(Arrays.equals(v, view.toFloats()));
            gpu.fill(b, 0f);
            for (float f : b.toFloats()) assertEquals(0f, f);
            gpu.fill(b, 3.5f);
            for (float f : b.toFloats()) assertEquals(3.5f, f);
            gpu.fill(b, -0f);
            for (float f : b.toFloats()) assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f));
        }
        try (Tensor e = gpu.alloc(Shape.of(0))) {
            assertEquals(0, e.toFloats().length);
        }
    }

    @Test
    void aStepAllocatesNothingAfterTheFirstAndMemoryIsAccounted() {
        ConvDesc d = new ConvDesc(Shape.nchw(4, 8, 16, 16), 16, 3, 3, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
        try (ConvPlan p = gpu.conv(d); PoolPlan pool = gpu.pool(new PoolDesc(d.y(), PoolMode.MAX, 2, 2, 2, 2, 0, 0, 0, 0));
             Tensor w = gpu.of(d.w(), randn((int) d.w().size(), 1)); Tensor b = gpu.of(Shape.of(16), randn(16, 2))) {
            long[] mallocs = new long[3];
            for (int step = 0; step < 3; step++) {
                long inUseBefore = gpu.memory().inUse();
                try (Tensor x = gpu.of(d.x(), randn((int) d.x().size(), 3)); Tensor y = gpu.alloc(d.y()); Tensor z = gpu.alloc(pool.desc().y());
                     Tensor dz = gpu.alloc(pool.desc().y()); Tensor dy = gpu.alloc(d.y()); Tensor dx = gpu.alloc(d.x());
                     Tensor dw = gpu.alloc(d.w()); Tensor db = gpu.alloc(Shape.of(16))) {
                    assertTrue(gpu.memory().inUse() > inUseBefore);
                    p.forward(x, w, b, y);
                    pool.forward(y, z);
                    gpu.fill(dz, 1f);
                    pool.backward(y, z, dz, new Grad(dy, false));
                    p.backward(x, w, dy, new Grad(dx, false), new Grad(dw, false), new Grad(db, false));
                    gpu.synchronize();
                }
                assertEquals(inUseBefore, gpu.memory().inUse(), "tensors of a step return their memory");
                mallocs[step] = gpu.mallocCount();
            }
            assertEquals(mallocs[0], mallocs[1], "no cudaMalloc in the second step");
            assertEquals(mallocs[1], mallocs[2], "no cudaMalloc in the third step");
            var m = gpu.memory();
            assertTrue(m.peakInUse() >= m.inUse() && m.reserved() >= m.inUse() && m.peakReserved() >= m.reserved(), m.toString());
        }
    }

    @Test
    void timerMeasuresTheStream() {
        ConvDesc d = new ConvDesc(Shape.nchw(16, 64, 28, 28), 64, 3, 3, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
        try (ConvPlan p = gpu.conv(d); Tensor x = gpu.of(d.x(), randn((int) d.x().size(), 1)); Tensor w = gpu.of(d.w(), randn((int) d.w().size(), 2));
             Tensor b = gpu.of(Shape.of(64), randn(64, 3)); Tensor y = gpu.alloc(d.y()); var t = gpu.timer()) {
            p.forward(x, w, b, y); // warm up
            gpu.synchronize();
            t.start();
            p.forward(x, w, b, y);
            t.stop();
            double one = t.elapsedMillis();
            t.start();
            for (int i = 0; i < 40; i++) p.forward(x, w, b, y);
            t.stop();
            double forty = t.elapsedMillis();
            assertTrue(one > 0, "elapsed " + one);
            assertTrue(forty > 5 * one, "40 convolutions took " + forty + " ms, one " + one + " ms");
        }
    }

    @Test
    void environmentAndPeak() {
        var env = gpu.environment();
        for (String k : List.of("device", "compute capability", "SMs", "memory", "driver", "CUDA runtime", "cuDNN", "cuBLAS", "JCuda",
                "precision", "conv algorithms", "own kernels", "loaded libcuda.so.1", "loaded cuDNN", "loaded cuBLAS", "loaded JCudnn JNI"))
            assertTrue(env.containsKey(k), "environment has " + k + ": " + env);
        assertTrue(gpu.peakGflops("fp32") > 0, "peak fp32");
        System.out.println("peak GFLOP/s fp32 " + gpu.peakGflops("fp32") + ", tf32 " + gpu.peakGflops("tf32"));
    }

    @Test
    void wrongBackendTensorIsRefusedWithASentence() {
        try (Tensor c = ref.alloc(Shape.of(4)); Tensor g = gpu.alloc(Shape.of(4))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> gpu.copy(c, g));
            assertTrue(e.getMessage().contains("lives on ref"), e.getMessage());
        }
    }

    static Backend ref() { return ref; }
}
