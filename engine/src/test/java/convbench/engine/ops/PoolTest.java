package convbench.engine.ops;

import convbench.engine.spec.PoolMode;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.OpException;
import convbench.engine.Padding;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolTest extends OpTestBase {
    @Test
    void averagePoolingLeavesPaddingOutOfTheDivisor() {
        // A 2x2 input of ones, 3x3 SAME average pool: every window holds only real ones, so every output is 1 (not 4/9).
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.nchw(1, 1, 2, 2), new float[] {1, 1, 1, 1})) {
            float[] y = Pool.avg("avg", 3, 1, Padding.SAME).forward(ctx, x).toFloats();
            for (float v : y) assertEquals(1f, v, 1e-7);
        }
        // Max pooling pads with -infinity: all-negative inputs keep their own maximum, not 0.
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.nchw(1, 1, 2, 2), new float[] {-4, -3, -2, -1})) {
            float[] y = Pool.max("max", 3, 1, Padding.SAME).forward(ctx, x).toFloats();
            for (float v : y) assertEquals(-1f, v);
        }
    }

    @ParameterizedTest(name = "{0} {1}x{1}/{2} {3}")
    @CsvSource({"MAX, 3, 2, VALID", "MAX, 2, 2, SAME", "MAX, 3, 1, SAME", "AVG, 3, 1, SAME", "AVG, 3, 2, SAME", "AVG, 2, 2, VALID"})
    void gradients(String mode, int k, int s, String pad) {
        Padding p = pad.equals("SAME") ? Padding.SAME : Padding.VALID;
        Pool pool = mode.equals("MAX") ? Pool.max("pool", k, s, p) : Pool.avg("pool", k, s, p);
        try (Tensor x = tensor(Shape.nchw(2, 2, 7, 6), 22)) {
            new GradCheck(be).samples(80).check(ctx -> pool.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    @Test
    void globalAveragePool() {
        try (Ctx ctx = inference(); Tensor x = tensor(Shape.nchw(2, 3, 4, 5), 23)) {
            GlobalAvgPool g = new GlobalAvgPool("pool5");
            Tensor y = g.forward(ctx, x);
            assertEquals(Shape.nchw(2, 3, 1, 1), y.shape());
            float[] xv = x.toFloats(), yv = y.toFloats();
            for (int pl = 0; pl < 6; pl++) {
                double s = 0;
                for (int q = 0; q < 20; q++) s += xv[pl * 20 + q];
                assertEquals(s / 20, yv[pl], 1e-5);
            }
            new GradCheck(be).check(c -> g.forward(c, x), GradCheck.input("x", x));
        }
    }

    @Test
    void badArguments() {
        try (Ctx ctx = inference(); Tensor x = be.zeros(Shape.nchw(1, 2, 2, 2))) {
            OpException e = assertThrows(OpException.class, () -> Pool.max("pool1", 3, 2, Padding.VALID).forward(ctx, x));
            assertTrue(e.getMessage().startsWith("max_pool 'pool1'") && e.getMessage().contains("3x3") && e.getMessage().contains("(1, 2, 2, 2)"), e.getMessage());
            e = assertThrows(OpException.class, () -> new Pool("p", PoolMode.AVG, 2, 2, -1, 1, Padding.VALID).forward(ctx, x));
            assertTrue(e.getMessage().contains("stride -1x1 must be positive"), e.getMessage());
        }
    }
}
