package convbench.engine.ops;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.MetaBackend;
import convbench.engine.Model;
import convbench.engine.Naive;
import convbench.engine.OpException;
import convbench.engine.Padding;
import convbench.engine.Shape;
import convbench.engine.Tensor;
import convbench.engine.cpu.CpuBackend;
import convbench.engine.init.Init;
import convbench.engine.plan.Activation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static convbench.engine.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Conv2dTest {
    static CpuBackend be;

    @BeforeAll static void up() { be = new CpuBackend(2); }

    @AfterAll static void down() { be.close(); }

    static Conv2d conv(Model m, int c, int k, int kh, int kw, int sh, int sw, Padding pad, boolean bias, Activation act) {
        Init bInit = (dst, s, rng) -> { for (int i = 0; i < dst.length; i++) dst[i] = (float) (rng.nextDouble() - 0.5); };
        return new Conv2d(m, "conv", c, k, kh, kw, sh, sw, pad, bias, act, Init.truncatedNormal(0.5), bInit);
    }

    @ParameterizedTest(name = "{0}x{1} in, {2}x{3} kernel, stride {4}x{5}, {6}, bias {7}, relu {8}")
    @CsvSource({
            // h, w, kh, kw, sh, sw, padding, bias, relu
            "9, 9, 3, 3, 1, 1, SAME, true, false",
            "9, 8, 3, 3, 2, 2, SAME, true, true",
            "10, 10, 3, 3, 2, 2, SAME, false, false",   // asymmetric: pad 0 before, 1 after
            "23, 23, 11, 11, 4, 4, SAME, true, true",   // the AlexNet conv1 geometry at small size
            "7, 9, 1, 7, 1, 1, SAME, false, true",      // Inception 1x7
            "9, 7, 7, 1, 1, 1, SAME, true, false",      // Inception 7x1
            "8, 8, 3, 1, 1, 1, SAME, true, false",
            "9, 9, 3, 3, 2, 2, VALID, true, true",
            "8, 8, 5, 5, 1, 1, VALID, false, false",
            "6, 6, 1, 1, 1, 1, VALID, true, false",     // direct 1x1 path
            "7, 7, 1, 1, 2, 2, VALID, true, false",     // strided 1x1 (the ResNet shortcut)
            "7, 5, 3, 2, 3, 2, SAME, true, false"
    })
    void forwardMatchesNaive(int h, int w, int kh, int kw, int sh, int sw, String pad, boolean bias, boolean relu) {
        int n = 2, c = 3, k = 5;
        try (Model m = new Model(be, 1)) {
            Padding padding = pad.equals("SAME") ? Padding.SAME : Padding.VALID;
            Conv2d layer = conv(m, c, k, kh, kw, sh, sw, padding, bias, relu ? Activation.RELU : Activation.NONE);
            float[] xv = randn(n * c * h * w, 3);
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.of(Shape.nchw(n, c, h, w), xv)) {
                Tensor y = layer.forward(ctx, x);
                int[] v = padding.vertical(h, kh, sh), hz = padding.horizontal(w, kw, sw);
                float[] expect = Naive.conv(xv, n, c, h, w, layer.weights().value().toFloats(), k, kh, kw, sh, sw,
                        v[0], v[1], hz[0], hz[1], bias ? layer.biases().value().toFloats() : null, relu);
                assertEquals(Shape.nchw(n, k, (h + v[0] + v[1] - kh) / sh + 1, (w + hz[0] + hz[1] - kw) / sw + 1), y.shape());
                Naive.assertClose(expect, y.toFloats(), 1e-4, 1e-4, "conv output");
            }
        }
    }

    @Test
    void explicitAsymmetricPadsMatchNaive() {
        try (Model m = new Model(be, 2)) {
            Conv2d layer = conv(m, 2, 3, 3, 3, 2, 2, Padding.explicit(0, 2, 1, 0), true, Activation.NONE);
            float[] xv = randn(2 * 2 * 6 * 7, 4);
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.of(Shape.nchw(2, 2, 6, 7), xv)) {
                Tensor y = layer.forward(ctx, x);
                float[] expect = Naive.conv(xv, 2, 2, 6, 7, layer.weights().value().toFloats(), 3, 3, 3, 2, 2, 0, 2, 1, 0,
                        layer.biases().value().toFloats(), false);
                Naive.assertClose(expect, y.toFloats(), 1e-4, 1e-4, "conv output");
            }
        }
    }

    @Test
    void alexNetConv1PadsThreeBeforeFourAfter() {
        // 224 input, 11x11 kernel, stride 4, SAME: out 56, total pad (56 - 1) * 4 + 11 - 224 = 7 -> 3 before, 4 after.
        assertEquals(3, Padding.same(224, 11, 4)[0]);
        assertEquals(4, Padding.same(224, 11, 4)[1]);
        try (MetaBackend meta = new MetaBackend(); Model m = new Model(meta, 1)) {
            Conv2d layer = conv(m, 3, 64, 11, 11, 4, 4, Padding.SAME, true, Activation.RELU);
            try (Ctx ctx = Ctx.inference(meta); Tensor x = meta.alloc(Shape.nchw(32, 3, 224, 224))) {
                Tensor y = layer.forward(ctx, x);
                assertEquals(Shape.nchw(32, 64, 56, 56), y.shape());
                assertEquals(32L * 64 * 56 * 56 * 3 * 11 * 11, layer.macs());
            }
        }
        // The same geometry computed at a reduced size where the naive loop is quick: 28 -> 7, pads 3 / 4.
        assertEquals(3, Padding.same(28, 11, 4)[0]);
        assertEquals(4, Padding.same(28, 11, 4)[1]);
        try (Model m = new Model(be, 3)) {
            Conv2d layer = conv(m, 3, 4, 11, 11, 4, 4, Padding.SAME, true, Activation.NONE);
            float[] xv = randn(3 * 28 * 28, 5);
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.of(Shape.nchw(1, 3, 28, 28), xv)) {
                Tensor y = layer.forward(ctx, x);
                assertEquals(Shape.nchw(1, 4, 7, 7), y.shape());
                float[] expect = Naive.conv(xv, 1, 3, 28, 28, layer.weights().value().toFloats(), 4, 11, 11, 4, 4, 3, 4, 3, 4,
                        layer.biases().value().toFloats(), false);
                Naive.assertClose(expect, y.toFloats(), 1e-4, 1e-4, "conv1 geometry");
            }
        }
    }

    @ParameterizedTest(name = "{0}x{1} kernel, stride {2}, {3}, relu {4}")
    @CsvSource({
            "3, 3, 1, SAME, false",
            "3, 3, 2, SAME, true",
            "1, 3, 1, SAME, false",
            "3, 1, 1, SAME, false",
            "1, 1, 1, VALID, false",
            "1, 1, 2, VALID, false",
            "5, 5, 3, SAME, false",
            "2, 2, 2, VALID, true"
    })
    void gradientsOfInputWeightsAndBias(int kh, int kw, int stride, String pad, boolean relu) {
        try (Model m = new Model(be, 4)) {
            Conv2d layer = conv(m, 3, 4, kh, kw, stride, stride, pad.equals("SAME") ? Padding.SAME : Padding.VALID, true,
                    relu ? Activation.RELU : Activation.NONE);
            try (Tensor x = be.of(Shape.nchw(2, 3, 6, 7), randn(2 * 3 * 6 * 7, 6))) {
                new GradCheck(be).check(ctx -> layer.forward(ctx, x),
                        GradCheck.input("x", x), GradCheck.param(layer.weights()), GradCheck.param(layer.biases()));
            }
        }
    }

    @Test
    void gradientsWithoutBias() {
        try (Model m = new Model(be, 5)) {
            Conv2d layer = conv(m, 2, 3, 3, 3, 1, 1, Padding.explicit(1, 0, 0, 1), false, Activation.NONE);
            try (Tensor x = be.of(Shape.nchw(2, 2, 5, 5), randn(100, 7))) {
                new GradCheck(be).check(ctx -> layer.forward(ctx, x), GradCheck.input("x", x), GradCheck.param(layer.weights()));
            }
        }
    }

    @Test
    void badArgumentsNameOpShapesAndProblem() {
        try (Model m = new Model(be, 6)) {
            Conv2d valid = conv(m, 3, 4, 11, 11, 4, 4, Padding.VALID, true, Activation.NONE);
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.zeros(Shape.nchw(1, 3, 8, 8))) {
                OpException e = assertThrows(OpException.class, () -> valid.forward(ctx, x));
                assertTrue(e.getMessage().contains("conv2d 'conv'"), e.getMessage());
                assertTrue(e.getMessage().contains("11x11") && e.getMessage().contains("(1, 3, 8, 8)"), e.getMessage());
            }
        }
        try (Model m = new Model(be, 7)) {
            Conv2d layer = conv(m, 3, 4, 3, 3, 1, 1, Padding.SAME, true, Activation.NONE);
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.zeros(Shape.nchw(1, 5, 8, 8))) {
                OpException e = assertThrows(OpException.class, () -> layer.forward(ctx, x));
                assertTrue(e.getMessage().contains("5 channels") && e.getMessage().contains("(4, 3, 3, 3)"), e.getMessage());
            }
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.zeros(Shape.of(2, 3))) {
                OpException e = assertThrows(OpException.class, () -> layer.forward(ctx, x));
                assertTrue(e.getMessage().contains("NCHW") && e.getMessage().contains("(2, 3)"), e.getMessage());
            }
        }
        try (Model m = new Model(be, 8)) {
            OpException e = assertThrows(OpException.class, () -> conv(m, 3, 4, 3, 3, 0, 1, Padding.SAME, true, Activation.NONE));
            assertTrue(e.getMessage().contains("stride 0x1 must be positive"), e.getMessage());
        }
    }

    @Test
    void planIsMadeOncePerShapeAndRemadeForANewBatch() {
        try (Model m = new Model(be, 9)) {
            Conv2d layer = conv(m, 1, 1, 3, 3, 1, 1, Padding.SAME, false, Activation.NONE);
            Backend b = be;
            var p1 = layer.plan(b, Shape.nchw(1, 1, 5, 5));
            assertTrue(p1 == layer.plan(b, Shape.nchw(1, 1, 5, 5)));
            assertTrue(p1 != layer.plan(b, Shape.nchw(2, 1, 5, 5)));
        }
    }
}
