package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.Model;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BatchNormTest extends OpTestBase {
    @Test
    void trainingNormalisesWithBatchStatisticsAndUpdatesMovingAverages() {
        try (Model m = new Model(be, 1)) {
            BatchNorm bn = new BatchNorm(m, "bn", 2, true, 1e-3, 0.9, Activation.NONE);
            bn.gamma().value().set(new float[] {2, 1});
            bn.beta().value().set(new float[] {0.5f, 0});
            // Channel 0 holds 1, 2, 3, 4 (two images x 2 pixels): mean 2.5, biased var 1.25, unbiased 5/3.
            float[] xv = {1, 2, 10, 10, 3, 4, 10, 10};
            try (Ctx ctx = new Ctx(be, true, false, 0); Tensor x = be.of(Shape.nchw(2, 2, 1, 2), xv)) {
                float[] y = bn.forward(ctx, x).toFloats();
                double inv = 1 / Math.sqrt(1.25 + 1e-3);
                assertEquals(2 * (1 - 2.5) * inv + 0.5, y[0], 1e-5);
                assertEquals(2 * (4 - 2.5) * inv + 0.5, y[5], 1e-5);
                assertEquals(0, y[2], 1e-5); // channel 1 is constant: xhat = 0, y = beta
                float[] mm = bn.movingMean().value().toFloats(), mv = bn.movingVariance().value().toFloats();
                assertEquals(0.1 * 2.5, mm[0], 1e-6);          // 0.9 * 0 + 0.1 * mean
                assertEquals(0.9 + 0.1 * 5.0 / 3, mv[0], 1e-6); // 0.9 * 1 + 0.1 * unbiased var
                assertEquals(0.1 * 10, mm[1], 1e-5);
            }
        }
    }

    @Test
    void inferenceUsesMovingStatistics() {
        try (Model m = new Model(be, 2)) {
            BatchNorm bn = new BatchNorm(m, "bn", 1, false, 1e-3, 0.9997, Activation.RELU);
            bn.movingMean().value().set(new float[] {1});
            bn.movingVariance().value().set(new float[] {4});
            bn.beta().value().set(new float[] {-0.25f});
            try (Ctx ctx = inference(); Tensor x = be.of(Shape.nchw(1, 1, 1, 3), new float[] {3, 1, -1})) {
                float[] y = bn.forward(ctx, x).toFloats();
                double inv = 1 / Math.sqrt(4 + 1e-3);
                assertEquals(2 * inv - 0.25, y[0], 1e-6);
                assertEquals(0, y[1], 0); // -0.25 -> relu 0
                assertEquals(0, y[2], 0);
                assertEquals(1f, bn.movingMean().value().toFloats()[0]); // unchanged
            }
        }
    }

    @Test
    void noScaleHasNoGammaParameter() {
        try (Model m = new Model(be, 3)) {
            new BatchNorm(m, "Conv/BatchNorm", 4, false, 1e-3, 0.9997, Activation.NONE);
            assertEquals(4, m.trainableCount()); // beta only
            assertEquals(8, m.stateCount());     // moving mean and variance
            assertFalse(m.params().stream().anyMatch(p -> p.name().endsWith("gamma")));
            assertEquals("Conv/BatchNorm/beta", m.params().get(0).name());
        }
    }

    @Test
    void trainingGradients() {
        try (Model m = new Model(be, 4); Tensor x = tensor(Shape.nchw(3, 2, 2, 3), 41)) {
            BatchNorm bn = new BatchNorm(m, "bn", 2, true, 1e-3, 0.9, Activation.NONE);
            bn.gamma().value().set(new float[] {1.5f, -0.7f});
            bn.beta().value().set(new float[] {0.2f, 0.1f});
            new GradCheck(be).check(ctx -> bn.forward(ctx, x), GradCheck.input("x", x),
                    GradCheck.param(bn.gamma()), GradCheck.param(bn.beta()));
            BatchNorm noScale = new BatchNorm(m, "bn2", 2, false, 1e-3, 0.9, Activation.RELU);
            new GradCheck(be).check(ctx -> noScale.forward(ctx, x), GradCheck.input("x", x), GradCheck.param(noScale.beta()));
        }
    }

    @Test
    void inferenceGradients() {
        try (Model m = new Model(be, 5); Tensor x = tensor(Shape.nchw(2, 2, 2, 2), 42)) {
            BatchNorm bn = new BatchNorm(m, "bn", 2, true, 1e-3, 0.9, Activation.NONE);
            bn.movingMean().value().set(new float[] {0.3f, -0.2f});
            bn.movingVariance().value().set(new float[] {2f, 0.5f});
            bn.gamma().value().set(new float[] {1.2f, 0.8f});
            new GradCheck(be).training(false).check(ctx -> bn.forward(ctx, x), GradCheck.input("x", x),
                    GradCheck.param(bn.gamma()), GradCheck.param(bn.beta()));
        }
    }

    @Test
    void badArguments() {
        try (Model m = new Model(be, 6)) {
            BatchNorm bn = new BatchNorm(m, "bn", 3, true, 1e-3, 0.9, Activation.NONE);
            try (Ctx ctx = inference(); Tensor x = be.zeros(Shape.nchw(1, 4, 2, 2))) {
                OpException e = assertThrows(OpException.class, () -> bn.forward(ctx, x));
                assertEquals("batch_norm 'bn': input has 4 channels, parameters have 3 (x (1, 4, 2, 2))", e.getMessage());
            }
            try (Ctx ctx = new Ctx(be, true, false, 0); Tensor x = be.zeros(Shape.nchw(1, 3, 1, 1))) {
                assertThrows(OpException.class, () -> bn.forward(ctx, x));
            }
            assertThrows(OpException.class, () -> new BatchNorm(m, "bad", 3, true, 0, 0.9, Activation.NONE));
        }
    }
}
