package convbench.nets;

import convbench.engine.Ctx;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cpu.CpuBackend;
import convbench.engine.ops.Flatten;
import convbench.engine.ops.SgdMomentum;
import convbench.engine.ops.SoftmaxCrossEntropy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A few steps of SGD with momentum on one fixed batch lower the softmax cross-entropy against fixed labels. */
class SgdTest {
    static CpuBackend cpu;

    @BeforeAll static void open() { cpu = new CpuBackend(2); }

    @AfterAll static void close() { cpu.close(); }

    @ParameterizedTest(name = "{0} at {1}x{1}, lr {3}")
    @CsvSource({
            "alexnet-conv, 67, 4, 0.0001", // output (N, 256, 1, 1): the 256 channels serve as logits
            "resnet50, 32, 4, 0.01"})
    void sgdLowersTheLoss(String name, int size, int batch, double lr) {
        int steps = 6;
        float[] losses = new float[steps];
        Flatten flat = new Flatten("flat");
        SoftmaxCrossEntropy xent = new SoftmaxCrossEntropy("xent");
        try (Net n = Nets.create(name, cpu, 10, size, 1); SgdMomentum sgd = new SgdMomentum(lr, 0.9)) {
            for (int step = 0; step < steps; step++) {
                try (Ctx c = Ctx.training(cpu, step)) {
                    Tensor logits = flat.forward(c, n.forward(c, NetRunTest.images(c, batch, size, 3)).output());
                    int k = logits.shape().dim(1);
                    float[] labels = new float[batch * k];
                    for (int i = 0; i < batch; i++) labels[i * k + (7 * i + 1) % k] = 1;
                    Tensor loss = xent.forward(c, logits, c.alloc(logits.shape()).set(labels));
                    c.tape().backward(loss);
                    losses[step] = loss.toFloats()[0];
                    sgd.step(n.model().trainable());
                }
            }
        } finally {
            xent.closePlans();
        }
        assertTrue(Float.isFinite(losses[steps - 1]) && losses[steps - 1] < 0.5 * losses[0],
                name + " losses " + java.util.Arrays.toString(losses));
    }
}
