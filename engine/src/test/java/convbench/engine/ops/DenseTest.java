package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.Model;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenseTest extends OpTestBase {
    static Dense dense(Model m, int in, int out, boolean bias, Activation act) {
        return new Dense(m, "fc", in, out, bias, act, Init.truncatedNormal(0.5), Init.truncatedNormal(0.5));
    }

    @Test
    void hardWorkedExample() {
        try (Model m = new Model(be, 1); Ctx ctx = inference()) {
            Dense d = dense(m, 2, 2, true, Activation.NONE);
            d.weights().value().set(new float[] {1, 2, 3, 4}); // rows: output units
            d.biases().value().set(new float[] {0.5f, -1});
            try (Tensor x = be.of(Shape.of(1, 2), new float[] {1, 1})) {
                float[] y = d.forward(ctx, x).toFloats();
                assertEquals(3.5f, y[0]);
                assertEquals(6f, y[1]);
                assertEquals(4L, d.macs());
            }
        }
    }

    @Test
    void gradients() {
        try (Model m = new Model(be, 2); Tensor x = tensor(Shape.of(4, 9), 2)) {
            Dense d = dense(m, 9, 5, true, Activation.RELU);
            new GradCheck(be).check(ctx -> d.forward(ctx, x), GradCheck.input("x", x),
                    GradCheck.param(d.weights()), GradCheck.param(d.biases()));
            Dense nb = new Dense(m, "fc2", 9, 3, false, Activation.NONE, Init.truncatedNormal(0.5), Init.zeros());
            new GradCheck(be).check(ctx -> nb.forward(ctx, x), GradCheck.input("x", x), GradCheck.param(nb.weights()));
        }
    }

    @Test
    void refusesAnUnflattenedOrMismatchedInput() {
        try (Model m = new Model(be, 3); Ctx ctx = inference(); Tensor x = be.zeros(Shape.nchw(2, 3, 2, 2)); Tensor z = be.zeros(Shape.of(2, 7))) {
            Dense d = dense(m, 12, 4, true, Activation.NONE);
            OpException e = assertThrows(OpException.class, () -> d.forward(ctx, x));
            assertTrue(e.getMessage().startsWith("dense 'fc'") && e.getMessage().contains("(2, 3, 2, 2)") && e.getMessage().contains("(N, 12)"), e.getMessage());
            e = assertThrows(OpException.class, () -> d.forward(ctx, z));
            assertTrue(e.getMessage().contains("(2, 7)"), e.getMessage());
        }
    }

    @Test
    void flattenKeepsNchwOrderAndPassesGradientsThrough() {
        try (Model m = new Model(be, 4); Ctx ctx = inference(); Tensor x = tensor(Shape.nchw(2, 3, 2, 2), 4)) {
            Flatten f = new Flatten("flat");
            Tensor y = f.forward(ctx, x);
            assertEquals(Shape.of(2, 12), y.shape());
            assertEquals(java.util.Arrays.toString(x.toFloats()), java.util.Arrays.toString(y.toFloats()), "flatten");
            Dense d = dense(m, 12, 3, true, Activation.NONE);
            new GradCheck(be).check(c -> d.forward(c, f.forward(c, x)), GradCheck.input("x", x), GradCheck.param(d.weights()));
        }
    }
}
