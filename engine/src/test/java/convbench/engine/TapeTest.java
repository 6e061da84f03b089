package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import convbench.engine.reference.ReferenceBackend;
import convbench.engine.init.Init;
import convbench.engine.ops.Add;
import convbench.engine.ops.BatchNorm;
import convbench.engine.ops.Conv2d;
import convbench.engine.ops.Dense;
import convbench.engine.ops.Flatten;
import convbench.engine.ops.L2Loss;
import convbench.engine.ops.Relu;
import convbench.engine.spec.Activation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static convbench.engine.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TapeTest {
    static ReferenceBackend be;

    @BeforeAll static void up() { be = new ReferenceBackend(); }

    @AfterAll static void down() { be.close(); }

    @Test
    void gradientsAccumulateWhereBranchesJoin() {
        // y = relu(x) + x: dL/dx = dy * ([x > 0] + 1)
        float[] xv = {-1, 2, -3, 4};
        try (Ctx ctx = Ctx.training(be, 0); Tensor x = be.of(Shape.of(1, 4), xv).requireGrad()) {
            Tensor y = new Add("add").forward(ctx, new Relu("relu").forward(ctx, x), x);
            ctx.tape().backward(new L2Loss("loss").forward(ctx, y));
            float[] yv = y.toFloats(), g = ctx.tape().grad(x).toFloats();
            for (int i = 0; i < 4; i++) assertEquals(yv[i] * (xv[i] > 0 ? 2 : 1), g[i], 1e-6);
        }
    }

    @Test
    void resnetStyleUnitChecksOut() {
        // out = x + conv(relu(bn(x))): the shortcut aliases the add's gradient, bn accumulates into it,
        // and relu's backward runs in place on its gradient; central differences confirm the result.
        try (Model m = new Model(be, 3); Tensor x = be.of(Shape.nchw(2, 3, 4, 4), randn(96, 3))) {
            BatchNorm bn = new BatchNorm(m, "preact", 3, true, 1e-5, 0.997, Activation.RELU);
            Conv2d conv = new Conv2d(m, "conv", 3, 3, 3, 3, 1, 1, Padding.SAME, true, Activation.NONE,
                    Init.truncatedNormal(0.3), Init.truncatedNormal(0.3));
            Add add = new Add("add");
            new GradCheck(be).check(ctx -> add.forward(ctx, x, conv.forward(ctx, bn.forward(ctx, x))),
                    GradCheck.input("x", x), GradCheck.param(conv.weights()), GradCheck.param(bn.gamma()), GradCheck.param(bn.beta()));
        }
    }

    @Test
    void parametersOffThePathGetZeroGradients() {
        try (Model m = new Model(be, 4); Tensor x = be.of(Shape.of(2, 3), randn(6, 4))) {
            Dense used = new Dense(m, "used", 3, 2, true, Activation.NONE, Init.truncatedNormal(1), Init.zeros());
            Dense unused = new Dense(m, "unused", 3, 2, true, Activation.NONE, Init.truncatedNormal(1), Init.zeros());
            unused.weights().grad().set(new float[] {1, 1, 1, 1, 1, 1}); // stale value from an earlier step
            try (Ctx ctx = Ctx.training(be, 0)) {
                Tensor a = used.forward(ctx, x);
                unused.forward(ctx, x);
                ctx.tape().backward(new L2Loss("loss").forward(ctx, a));
            }
            for (float v : unused.weights().grad().toFloats()) assertEquals(0f, v);
            boolean any = false;
            for (float v : used.weights().grad().toFloats()) any |= v != 0;
            assertTrue(any);
        }
    }

    @Test
    void inputsWithoutRequireGradGetNoGradientAndGradientsAreFreed() {
        try (Model m = new Model(be, 5); Tensor x = be.of(Shape.nchw(1, 2, 2, 2), randn(8, 5))) {
            Flatten f = new Flatten("flat");
            Dense d = new Dense(m, "fc", 8, 2, true, Activation.RELU, Init.truncatedNormal(1), Init.zeros());
            long before = 0;
            for (int step = 0; step < 2; step++) {
                if (step == 1) before = be.memory().inUse(); // after step 0 made the parameters' gradient buffers
                try (Ctx ctx = Ctx.training(be, 0)) {
                    Tensor y = d.forward(ctx, f.forward(ctx, x));
                    ctx.tape().backward(new L2Loss("loss").forward(ctx, y));
                    assertNull(ctx.tape().grad(x));
                    assertFalse(x.requiresGrad());
                }
            }
            assertEquals(before, be.memory().inUse(), "the step's tensors and gradients all went back to the pool");
        }
    }

    @Test
    void backwardTwiceOrFromANonScalarIsRefused() {
        try (Ctx ctx = Ctx.training(be, 0); Tensor x = be.of(Shape.of(1, 2), new float[] {1, 2}).requireGrad()) {
            Tensor y = new Relu("r").forward(ctx, x);
            assertThrows(IllegalArgumentException.class, () -> ctx.tape().backward(y));
        }
        try (Ctx ctx = Ctx.training(be, 0); Tensor x = be.of(Shape.of(1, 2), new float[] {1, 2}).requireGrad()) {
            Tensor l = new L2Loss("l").forward(ctx, x);
            ctx.tape().backward(l);
            assertThrows(IllegalStateException.class, () -> ctx.tape().backward(l));
        }
    }

    @Test
    void modelReusesLayersByCallOrder() {
        try (Model m = new Model(be, 6)) {
            for (int pass = 0; pass < 2; pass++) {
                m.beginPass();
                try (var s = m.scope("block1")) {
                    Relu r = m.layer("relu", Relu::new);
                    assertEquals("block1/relu", r.name());
                }
                m.endPass();
            }
            assertEquals(1, m.layers().size());
            m.beginPass();
            assertThrows(IllegalStateException.class, () -> m.layer("other", Relu::new));
        }
    }
}
