package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ActivationTest extends OpTestBase {
    @Test
    void reluForward() {
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.of(1, 4), new float[] {-2, 0, 0.5f, 3})) {
            float[] y = new Relu("relu").forward(ctx, x).toFloats();
            assertEquals(0f, y[0]);
            assertEquals(0f, y[1]);
            assertEquals(0.5f, y[2]);
            assertEquals(3f, y[3]);
        }
    }

    @Test
    void reluGradient() {
        try (Tensor x = tensor(Shape.nchw(2, 3, 4, 5), 11)) {
            Relu r = new Relu("relu");
            var res = new GradCheck(be).samples(120).check(ctx -> r.forward(ctx, x), GradCheck.input("x", x));
            assertEquals(120, res.get(0).compared() + res.get(0).skipped());
        }
    }

    @Test
    void softmaxForwardSumsToOneAndMatchesDefinition() {
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.of(2, 3), new float[] {1, 2, 3, 1000, 1000, 1000})) {
            float[] y = new Softmax("sm").forward(ctx, x).toFloats();
            double e1 = Math.exp(1), e2 = Math.exp(2), e3 = Math.exp(3), s = e1 + e2 + e3;
            assertEquals(e1 / s, y[0], 1e-6);
            assertEquals(e3 / s, y[2], 1e-6);
            assertEquals(1.0 / 3, y[4], 1e-6); // large logits do not overflow
        }
        try (Ctx ctx = inference(); Tensor x = tensor(Shape.nchw(2, 4, 3, 3), 12)) {
            float[] y = new Softmax("sm").forward(ctx, x).toFloats();
            for (int n = 0; n < 2; n++)
                for (int q = 0; q < 9; q++) {
                    double s = 0;
                    for (int c = 0; c < 4; c++) s += y[(n * 4 + c) * 9 + q];
                    assertEquals(1.0, s, 1e-5);
                }
        }
    }

    @Test
    void softmaxGradient() {
        try (Tensor x = tensor(Shape.of(3, 5), 13); Tensor x4 = tensor(Shape.nchw(2, 3, 2, 2), 14)) {
            Softmax s = new Softmax("sm");
            new GradCheck(be).check(ctx -> s.forward(ctx, x), GradCheck.input("x", x));
            Softmax s4 = new Softmax("sm4");
            new GradCheck(be).check(ctx -> s4.forward(ctx, x4), GradCheck.input("x", x4));
        }
    }

    @Test
    void softmaxRefusesOtherRanks() {
        try (Ctx ctx = inference(); Tensor x = be.zeros(Shape.of(5))) {
            assertThrows(OpException.class, () -> new Softmax("sm").forward(ctx, x));
        }
    }
}
