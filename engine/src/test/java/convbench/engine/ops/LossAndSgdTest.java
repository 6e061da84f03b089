package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.Model;
import convbench.engine.OpException;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossAndSgdTest extends OpTestBase {
    @Test
    void l2LossIsHalfTheSumOfSquaresAndItsGradientIsX() {
        try (Ctx ctx = Ctx.training(be, 0); Tensor x = be.of(Shape.of(1, 3), new float[] {1, -2, 3}).requireGrad()) {
            Tensor loss = new L2Loss("loss").forward(ctx, x);
            assertEquals(7f, loss.toFloats()[0]);
            ctx.tape().backward(loss);
            assertEquals("[1.0, -2.0, 3.0]", java.util.Arrays.toString(ctx.tape().grad(x).toFloats()));
        }
    }

    @Test
    void softmaxCrossEntropyMatchesDefinition() {
        float[] logits = {1, 2, 3, 0, 0, 0};
        float[] labels = {0, 0, 1, 0.5f, 0.5f, 0};
        try (Ctx ctx = inference(); Tensor x = be.of(Shape.of(2, 3), logits); Tensor l = be.of(Shape.of(2, 3), labels)) {
            float loss = new SoftmaxCrossEntropy("xent").forward(ctx, x, l).toFloats()[0];
            double lse1 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
            double expect = ((lse1 - 3) + Math.log(3)) / 2; // row 2: -(0.5 log 1/3 + 0.5 log 1/3)
            assertEquals(expect, loss, 1e-6);
        }
        try (Tensor x = tensor(Shape.of(3, 4), 81); Tensor l = be.of(Shape.of(3, 4), new float[] {1, 0, 0, 0, 0, 0, 1, 0, .25f, .25f, .25f, .25f})) {
            SoftmaxCrossEntropy xent = new SoftmaxCrossEntropy("xent");
            new GradCheck(be).check(ctx -> xent.forward(ctx, x, l), GradCheck.input("logits", x));
        }
        try (Ctx ctx = inference(); Tensor x = be.zeros(Shape.of(2, 3)); Tensor l = be.zeros(Shape.of(2, 4))) {
            OpException e = assertThrows(OpException.class, () -> new SoftmaxCrossEntropy("xent").forward(ctx, x, l));
            assertTrue(e.getMessage().contains("(2, 4)") && e.getMessage().contains("(2, 3)"), e.getMessage());
        }
    }

    @Test
    void l2GradientCheck() {
        try (Tensor x = tensor(Shape.of(2, 5), 82)) {
            L2Loss l2 = new L2Loss("loss");
            new GradCheck(be).check(ctx -> l2.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    @Test
    void sgdWithMomentumFollowsTfMomentumOptimizer() {
        try (Model m = new Model(be, 1)) {
            Param p = m.param("w", Shape.of(2), Init.constant(1f), true);
            p.grad().set(new float[] {0.5f, -1});
            try (SgdMomentum sgd = new SgdMomentum(0.1, 0.9)) {
                sgd.step(List.of(p));  // v = g; w = 1 - 0.1 g
                float[] w = p.value().toFloats();
                assertEquals(0.95f, w[0], 1e-7);
                assertEquals(1.1f, w[1], 1e-7);
                sgd.step(List.of(p));  // v = 0.9 g + g = 1.9 g; w -= 0.1 * 1.9 g
                w = p.value().toFloats();
                assertEquals(0.95f - 0.095f, w[0], 1e-6);
                assertEquals(1.1f + 0.19f, w[1], 1e-6);
            }
        }
        assertThrows(OpException.class, () -> new SgdMomentum(0, 0.9));
        assertThrows(OpException.class, () -> new SgdMomentum(0.1, 1));
    }

    @Test
    void sgdStepsLowerALoss() {
        try (Model m = new Model(be, 2); Tensor x = tensor(Shape.of(8, 6), 83);
             Tensor labels = be.of(Shape.of(8, 3), oneHot(8, 3)); SgdMomentum sgd = new SgdMomentum(0.1, 0.9)) {
            Dense d = new Dense(m, "fc", 6, 3, true, Activation.NONE, Init.truncatedNormal(0.1), Init.zeros());
            SoftmaxCrossEntropy xent = new SoftmaxCrossEntropy("xent");
            float first = 0, last = 0;
            for (int step = 0; step < 20; step++) {
                try (Ctx ctx = Ctx.training(be, step)) {
                    Tensor loss = xent.forward(ctx, d.forward(ctx, x), labels);
                    float v = loss.toFloats()[0];
                    if (step == 0) first = v;
                    last = v;
                    ctx.tape().backward(loss);
                }
                sgd.step(m.trainable());
            }
            assertTrue(last < first * 0.5, "loss went from " + first + " to " + last);
        }
    }

    private static float[] oneHot(int n, int c) {
        float[] v = new float[n * c];
        for (int i = 0; i < n; i++) v[i * c + i % c] = 1;
        return v;
    }
}
