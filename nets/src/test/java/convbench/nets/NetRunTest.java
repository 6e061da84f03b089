package convbench.nets;

import convbench.engine.Ctx;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every net runs forward (inference) and forward-backward (training) on the CPU backend at a small size. */
class NetRunTest {
    static CpuBackend cpu;

    @BeforeAll static void open() { cpu = new CpuBackend(2); }

    @AfterAll static void close() { cpu.close(); }

    static Tensor images(Ctx c, int batch, int size, long seed) {
        return c.alloc(Shape.nchw(batch, 3, size, size)).set(TensorDump.input(seed, batch, size));
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) m = Math.max(m, Math.abs(f));
        return m;
    }

    static void assertFinite(float[] v, String what) {
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i])) throw new AssertionError(what + "[" + i + "] = " + v[i]);
    }

    static Map<String, float[]> state(Net n) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Param p : n.model().params()) if (!p.trainable()) m.put(p.name(), p.value().toFloats());
        return m;
    }

    @ParameterizedTest(name = "{0} at {1}x{1}, batch {2}")
    @CsvSource({
            "alexnet-conv, 67, 2",
            "alexnet, 67, 2",
            "vgg16, 32, 2",
            "inception3, 75, 2",
            "resnet50, 64, 2",
            "resnet101, 32, 2",
            "resnet152, 32, 2",
            "resnet200, 32, 2"})
    void forwardAndForwardBackward(String name, int size, int batch) {
        int classes = 10;
        try (Net n = Nets.create(name, cpu, classes, size, 11)) {
            Shape expected = name.equals("alexnet-conv") ? Shape.nchw(batch, 256, 1, 1) : Shape.of(batch, classes);

            // Inference: finite outputs of the right shapes, deterministic, moving statistics untouched.
            float[] first;
            Map<String, float[]> stateBefore;
            try (Ctx c = Ctx.inference(cpu)) {
                Net.Outputs out = n.forward(c, images(c, batch, size, 5));
                stateBefore = state(n);
                assertEquals(expected, out.output().shape());
                if (name.equals("inception3")) assertEquals(Shape.of(batch, classes), out.aux().shape());
                else assertNull(out.aux());
                first = out.output().toFloats();
                assertFinite(first, name + " inference output");
                assertTrue(maxAbs(first) > 0, name + " output is all zeros");
            }
            try (Ctx c = Ctx.inference(cpu)) {
                assertArrayEquals(first, n.forward(c, images(c, batch, size, 5)).output().toFloats(), "inference is deterministic");
            }
            Map<String, float[]> stateAfter = state(n);
            for (String k : stateBefore.keySet()) assertArrayEquals(stateBefore.get(k), stateAfter.get(k), k + " changed in inference");

            // Training forward-backward on the l2 objective: every trainable parameter gets a finite, non-zero gradient.
            try (Ctx c = Ctx.training(cpu, 3)) {
                Net.Outputs out = n.forward(c, images(c, batch, size, 5));
                List<Tensor> losses = n.backward(c, out);
                assertEquals(out.aux() == null ? 1 : 2, losses.size());
                for (Tensor l : losses) {
                    float v = l.toFloats()[0];
                    assertTrue(Float.isFinite(v) && v > 0, name + " loss " + v);
                }
                assertFinite(out.output().toFloats(), name + " training output");
            }
            assertFalse(n.model().trainable().isEmpty());
            for (Param p : n.model().trainable()) {
                float[] g = p.grad().toFloats();
                assertFinite(g, "grad of " + p.name());
                assertTrue(maxAbs(g) > 0, "no gradient reached " + p.name());
            }
            // Training updates every moving mean and variance.
            Map<String, float[]> trained = state(n);
            assertEquals(stateBefore.keySet(), trained.keySet());
            for (String k : trained.keySet()) assertFalse(java.util.Arrays.equals(stateBefore.get(k), trained.get(k)), k + " not updated");
            boolean hasBatchNorm = name.startsWith("inception") || name.startsWith("resnet");
            assertEquals(hasBatchNorm, !trained.isEmpty());
        }
    }

    /**
     * In training mode every path from a ResNet v2 conv bias (root conv1, shortcut, conv3) to the loss
     * passes a batch norm on batch statistics, which removes any per-channel constant: their gradient is
     * zero up to rounding. On the moving statistics (inference) it is not.
     */
    @Test
    void resnetBiasesBeforeBatchNormHaveNoGradientInTraining() {
        try (Net n = new ResNetV2(50, cpu, 10, 64, 11)) {
            String logits = "resnet_v2_50/logits/biases";
            String[] absorbed = {"resnet_v2_50/conv1/biases", "resnet_v2_50/block1/unit_1/bottleneck_v2/shortcut/biases",
                    "resnet_v2_50/block2/unit_3/bottleneck_v2/conv3/biases", "resnet_v2_50/block4/unit_3/bottleneck_v2/conv3/biases"};
            for (boolean training : new boolean[] {true, false}) {
                try (Ctx c = new Ctx(cpu, training, true, 3)) {
                    n.backward(c, n.forward(c, images(c, 2, 64, 5)));
                }
                double scale = maxAbs(n.model().param(logits).grad().toFloats());
                assertTrue(scale > 0.1, "logits bias gradient " + scale);
                for (String b : absorbed) {
                    double g = maxAbs(n.model().param(b).grad().toFloats());
                    if (training) assertTrue(g < 1e-3 * scale, b + " gradient " + g + " vs logits " + scale);
                    else assertTrue(g > 1e-3 * scale, b + " gradient " + g + " vs logits " + scale);
                }
            }
        }
    }

    /** VGG16 without batch norm: training with dropout off is inference; with dropout it differs per step seed. */
    @Test
    void vggDropoutOnlyWhenTraining() {
        try (Net n = new Vgg16(cpu, 10, 32, 11)) {
            float[] inference, noDropout, drop1, drop2;
            try (Ctx c = Ctx.inference(cpu)) {
                inference = n.forward(c, images(c, 2, 32, 5)).output().toFloats();
            }
            try (Ctx c = Ctx.training(cpu, 1).withDropout(false)) {
                noDropout = n.forward(c, images(c, 2, 32, 5)).output().toFloats();
            }
            try (Ctx c = Ctx.training(cpu, 1)) {
                drop1 = n.forward(c, images(c, 2, 32, 5)).output().toFloats();
            }
            try (Ctx c = Ctx.training(cpu, 2)) {
                drop2 = n.forward(c, images(c, 2, 32, 5)).output().toFloats();
            }
            assertArrayEquals(inference, noDropout);
            assertFalse(java.util.Arrays.equals(inference, drop1));
            assertFalse(java.util.Arrays.equals(drop1, drop2));
        }
    }

    @Test
    void forwardRefusesOtherShapes() {
        try (Net n = new AlexNetConv(cpu, 1000, 67, 1); Ctx c = Ctx.inference(cpu)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> n.forward(c, c.alloc(Shape.nchw(1, 3, 68, 68))));
            assertEquals("alexnet-conv takes images of shape (N, 3, 67, 67), got (1, 3, 68, 68)", e.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> n.forward(c, c.alloc(Shape.nchw(1, 1, 67, 67))));
            assertTrue(n.model().layers().isEmpty(), "nothing built by a refused call");
        }
    }
}
