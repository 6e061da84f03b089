package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Concat, split, add, pad / crop and subsample. */
class StructureOpsTest extends OpTestBase {
    @Test
    void concatPlacesEachPartAtItsChannelOffset() {
        try (Ctx ctx = inference(); Tensor a = tensor(Shape.nchw(2, 1, 2, 2), 61); Tensor b = tensor(Shape.nchw(2, 2, 2, 2), 62)) {
            Tensor y = new Concat("cat").forward(ctx, a, b);
            assertEquals(Shape.nchw(2, 3, 2, 2), y.shape());
            float[] yv = y.toFloats(), av = a.toFloats(), bv = b.toFloats();
            for (int n = 0; n < 2; n++)
                for (int q = 0; q < 4; q++) {
                    assertEquals(av[n * 4 + q], yv[(n * 3) * 4 + q]);
                    assertEquals(bv[(n * 2 + 1) * 4 + q], yv[(n * 3 + 2) * 4 + q]);
                }
        }
    }

    @Test
    void concatGradientsAndRefusals() {
        try (Tensor a = tensor(Shape.nchw(2, 2, 2, 3), 63); Tensor b = tensor(Shape.nchw(2, 3, 2, 3), 64)) {
            Concat c = new Concat("cat");
            new GradCheck(be).check(ctx -> c.forward(ctx, a, b), GradCheck.input("a", a), GradCheck.input("b", b));
        }
        try (Ctx ctx = inference(); Tensor a = be.zeros(Shape.nchw(1, 2, 3, 3)); Tensor b = be.zeros(Shape.nchw(1, 2, 4, 3))) {
            OpException e = assertThrows(OpException.class, () -> new Concat("Mixed_5b").forward(ctx, a, b));
            assertTrue(e.getMessage().startsWith("concat 'Mixed_5b'") && e.getMessage().contains("(1, 2, 4, 3)"), e.getMessage());
        }
    }

    @Test
    void splitInvertsConcat() {
        try (Ctx ctx = inference(); Tensor x = tensor(Shape.nchw(2, 5, 2, 2), 65)) {
            List<Tensor> parts = new Split("split", 2, 3).forward(ctx, x);
            assertEquals(Shape.nchw(2, 3, 2, 2), parts.get(1).shape());
            Tensor back = new Concat("cat").forward(ctx, parts);
            assertEquals(java.util.Arrays.toString(x.toFloats()), java.util.Arrays.toString(back.toFloats()));
        }
        try (Tensor x = tensor(Shape.nchw(2, 5, 2, 2), 66)) {
            Split s = new Split("split", 1, 4);
            // only the second part reaches the output: the first part's gradient is zero
            new GradCheck(be).check(ctx -> s.forward(ctx, x).get(1), GradCheck.input("x", x));
            Add add = new Add("add");
            Split s2 = new Split("split2", 2, 3);
            Concat cat = new Concat("cat");
            // both parts used, and x read a second time: the tape accumulates the two contributions
            new GradCheck(be).check(ctx -> {
                List<Tensor> p = s2.forward(ctx, x);
                return add.forward(ctx, cat.forward(ctx, p.get(1), p.get(0)), x);
            }, GradCheck.input("x", x));
        }
        try (Ctx ctx = inference(); Tensor x = be.zeros(Shape.nchw(1, 5, 1, 1))) {
            OpException e = assertThrows(OpException.class, () -> new Split("s", 2, 2).forward(ctx, x));
            assertTrue(e.getMessage().contains("sum to 4 channels"), e.getMessage());
        }
    }

    @Test
    void addAndItsGradient() {
        try (Ctx ctx = inference(); Tensor a = be.of(Shape.of(1, 2), new float[] {1, 2}); Tensor b = be.of(Shape.of(1, 2), new float[] {10, 20})) {
            float[] y = new Add("add").forward(ctx, a, b).toFloats();
            assertEquals(11f, y[0]);
            assertEquals(22f, y[1]);
        }
        try (Tensor a = tensor(Shape.nchw(2, 2, 3, 3), 67); Tensor b = tensor(Shape.nchw(2, 2, 3, 3), 68)) {
            Add add = new Add("add");
            new GradCheck(be).check(ctx -> add.forward(ctx, a, b), GradCheck.input("a", a), GradCheck.input("b", b));
            // the same tensor on both sides: dx = 2 dy
            Add twice = new Add("twice");
            new GradCheck(be).check(ctx -> twice.forward(ctx, a, a), GradCheck.input("a", a));
        }
        try (Ctx ctx = inference(); Tensor a = be.zeros(Shape.of(1, 2)); Tensor b = be.zeros(Shape.of(2, 1))) {
            OpException e = assertThrows(OpException.class, () -> new Add("unit_1").forward(ctx, a, b));
            assertEquals("add 'unit_1': shapes differ: a (1, 2), b (2, 1)", e.getMessage());
        }
    }

    @Test
    void padAndCrop() {
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.nchw(1, 1, 2, 2), new float[] {1, 2, 3, 4})) {
            Tensor y = new Pad("pad", 1, 0, 0, 2).forward(ctx, x);
            assertEquals(Shape.nchw(1, 1, 3, 4), y.shape());
            assertEquals("[0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 0.0, 0.0]", java.util.Arrays.toString(y.toFloats()));
            Tensor z = Pad.crop("crop", 1, 0, 0, 2).forward(ctx, y);
            assertEquals("[1.0, 2.0, 3.0, 4.0]", java.util.Arrays.toString(z.toFloats()));
        }
        try (Tensor x = tensor(Shape.nchw(2, 2, 3, 4), 69)) {
            Pad p = new Pad("pad", 3, 3, 1, 2);
            new GradCheck(be).check(ctx -> p.forward(ctx, x), GradCheck.input("x", x));
            Pad c = Pad.crop("crop", 1, 0, 1, 1);
            new GradCheck(be).check(ctx -> c.forward(ctx, x), GradCheck.input("x", x));
        }
        try (Ctx ctx = inference(); Tensor x = be.zeros(Shape.nchw(1, 1, 2, 2))) {
            assertThrows(OpException.class, () -> Pad.crop("crop", 2, 0, 0, 0).forward(ctx, x));
        }
    }

    @Test
    void subsampleTakesEveryStrideThPixel() {
        float[] v = new float[25];
        for (int i = 0; i < 25; i++) v[i] = i;
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.nchw(1, 1, 5, 5), v)) {
            Tensor y = new Subsample("shortcut", 2).forward(ctx, x);
            assertEquals(Shape.nchw(1, 1, 3, 3), y.shape());
            assertEquals("[0.0, 2.0, 4.0, 10.0, 12.0, 14.0, 20.0, 22.0, 24.0]", java.util.Arrays.toString(y.toFloats()));
        }
        try (Tensor x = tensor(Shape.nchw(2, 2, 4, 5), 70)) {
            Subsample s = new Subsample("shortcut", 2);
            new GradCheck(be).check(ctx -> s.forward(ctx, x), GradCheck.input("x", x));
        }
        assertThrows(OpException.class, () -> new Subsample("s", 0));
    }
}
