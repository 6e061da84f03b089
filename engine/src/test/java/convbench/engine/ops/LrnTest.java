package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LrnTest extends OpTestBase {
    @Test
    void tfAlphaMultipliesThePlainSumOfSquares() {
        // Channels 1, 2, 3 at one pixel; depth_radius 1, bias 1, alpha 0.5, beta 1.
        // TF: sqr_sum[1] = 1 + 4 + 9 = 14, y[1] = 2 / (1 + 0.5 * 14) = 0.25 (cuDNN would divide alpha by n = 3).
        // sqr_sum[0] = 1 + 4 = 5, y[0] = 1 / 3.5; sqr_sum[2] = 4 + 9 = 13, y[2] = 3 / 7.5.
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.nchw(1, 3, 1, 1), new float[] {1, 2, 3})) {
            float[] y = new Lrn("lrn", 1, 1.0, 0.5, 1.0).forward(ctx, x).toFloats();
            assertEquals(1 / 3.5, y[0], 1e-6);
            assertEquals(0.25, y[1], 1e-6);
            assertEquals(3 / 7.5, y[2], 1e-6);
        }
    }

    @Test
    void gradients() {
        try (Tensor x = tensor(Shape.nchw(2, 7, 3, 3), 32)) {
            Lrn a = new Lrn("lrn", 2, 1.0, 0.2, 0.75);
            new GradCheck(be).check(ctx -> a.forward(ctx, x), GradCheck.input("x", x));
            Lrn b = new Lrn("lrn2", 1, 2.0, 0.5, 0.6);
            new GradCheck(be).check(ctx -> b.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    @Test
    void refusesWhatCudnnCannotTake() {
        OpException e = assertThrows(OpException.class, () -> new Lrn("norm1", 8, 1, 1e-4, 0.75));
        assertTrue(e.getMessage().startsWith("lrn 'norm1'") && e.getMessage().contains("window of 17"), e.getMessage());
        assertThrows(OpException.class, () -> new Lrn("norm1", 2, 0, 1e-4, 0.75));
        assertThrows(OpException.class, () -> new Lrn("norm1", 2, 1, 1e-4, 0.001));
        new Lrn("ok", 7, 1, 1e-4, 0.75); // window 15 is fine
    }
}
