package convbench.engine.ops;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.MetaBackend;
import convbench.engine.Model;
import convbench.engine.OpException;
import convbench.engine.Padding;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static convbench.engine.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Conv2dTest extends OpTestBase {
    static Conv2d conv(Model m, int c, int k, int kh, int kw, int sh, int sw, Padding pad, boolean bias, Activation act) {
        Init bInit = (dst, s, rng) -> { for (int i = 0; i < s.intSize(); i++) dst[i] = (float) (rng.nextDouble() - 0.5); };
        return new Conv2d(m, "conv", c, k, kh, kw, sh, sw, pad, bias, act, Init.truncatedNormal(0.5), bInit);
    }

    @Test
    void handWorkedAsymmetricSameExample() {
        // x = 1..9 in a 3x3 image, a 2x2 kernel of ones, stride 2, SAME: out 2x2, total pad 1 -> 0 before, 1 after,
        // so the windows start at rows / columns 0 and 2 and the last ones read one padded zero row / column.
        // y[0,0] = 1+2+4+5 = 12, y[0,1] = 3+6 = 9, y[1,0] = 7+8 = 15, y[1,1] = 9; plus bias 0.5.
        try (Model m = new Model(be, 1)) {
            Conv2d layer = conv(m, 1, 1, 2, 2, 2, 2, Padding.SAME, true, Activation.NONE);
            layer.weights().value().set(new float[] {1, 1, 1, 1});
            layer.biases().value().set(new float[] {0.5f});
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.of(Shape.nchw(1, 1, 3, 3), new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9})) {
                assertEquals("[12.5, 9.5, 15.5, 9.5]", java.util.Arrays.toString(layer.forward(ctx, x).toFloats()));
            }
        }
        // A cross-correlation, not a convolution: the kernel is not flipped. w = [1, 2; 3, 4] on x = [1, 0; 0, 0] VALID -> 1.
        try (Model m = new Model(be, 2)) {
            Conv2d layer = conv(m, 1, 1, 2, 2, 1, 1, Padding.VALID, false, Activation.NONE);
            layer.weights().value().set(new float[] {1, 2, 3, 4});
            try (Ctx ctx = Ctx.inference(be); Tensor x = be.of(Shape.nchw(1, 1, 2, 2), new float[] {1, 0, 0, 0})) {
                assertEquals(1f, layer.forward(ctx, x).toFloats()[0]);
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
        // The same geometry at a reduced size (28 -> 7, pads 3 / 4) is compared with the CPU kernel in CpuVsReferenceTest.
        assertEquals(3, Padding.same(28, 11, 4)[0]);
        assertEquals(4, Padding.same(28, 11, 4)[1]);
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
