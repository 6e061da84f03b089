package convbench.nets;

import convbench.engine.Param;
import convbench.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seeds' initialisers, and deterministic initialisation from the seed. */
class InitTest {
    static CpuBackend cpu;

    @BeforeAll static void open() { cpu = new CpuBackend(2); }

    @AfterAll static void close() { cpu.close(); }

    /** {min, max, mean, stddev} of a parameter's values. */
    static double[] stats(Net n, String name) {
        Param p = n.model().param(name);
        if (p == null) throw new AssertionError("no parameter " + name);
        float[] v = p.value().toFloats();
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE, sum = 0, sq = 0;
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
            sum += f;
            sq += (double) f * f;
        }
        double mean = sum / v.length;
        return new double[] {min, max, mean, Math.sqrt(sq / v.length - mean * mean)};
    }

    static void constant(Net n, String name, double value) {
        double[] s = stats(n, name);
        assertEquals(value, s[0], 0, name);
        assertEquals(value, s[1], 0, name);
    }

    /** truncated normal(0, sd): within 2 sd, its stddev about 0.88 sd. */
    static void truncatedNormal(Net n, String name, double sd) {
        double[] s = stats(n, name);
        assertTrue(s[0] >= -2 * sd && s[1] <= 2 * sd, name + " outside 2 stddev: " + s[0] + ".." + s[1]);
        assertEquals(0.88 * sd, s[3], 0.05 * sd, name + " stddev");
        assertEquals(0, s[2], 0.05 * sd, name + " mean");
    }

    @Test
    void alexnetsTruncatedNormal() {
        try (Net n = new AlexNetConv(cpu, 1000, 67, 1)) {
            n.ensureBuilt();
            truncatedNormal(n, "conv1/weights", 0.1);
            truncatedNormal(n, "conv5/weights", 0.1);
            constant(n, "conv1/biases", 0);
        }
        try (Net n = new AlexNet(cpu, 10, 67, 1)) {
            n.ensureBuilt();
            truncatedNormal(n, "conv_2/weights", 0.1);
            truncatedNormal(n, "dense_1/weights", 0.1);
            constant(n, "logits_layer/biases", 0);
        }
    }

    @Test
    void vggXavierAndBiases() {
        try (Net n = new Vgg16(cpu, 10, 32, 1)) {
            n.ensureBuilt();
            // Glorot uniform: limit sqrt(6 / (fan_in + fan_out)), stddev limit / sqrt(3).
            double limit = Math.sqrt(6.0 / (64 * 9 + 128 * 9));
            double[] s = stats(n, "conv2_1/weights");
            assertTrue(s[0] >= -limit && s[1] <= limit && s[1] > 0.95 * limit);
            assertEquals(limit / Math.sqrt(3), s[3], 0.02 * limit);
            double fc = Math.sqrt(6.0 / (4096 + 4096));
            assertEquals(fc / Math.sqrt(3), stats(n, "fc7/weights")[3], 0.02 * fc);
            constant(n, "conv1_1/biases", 0);
            constant(n, "fc6/biases", 0.1f);
            constant(n, "fc8/biases", 0.1f);
        }
    }

    @Test
    void inceptionTruncatedNormalsAndBatchNorm() {
        try (Net n = new InceptionV3(cpu, 10, 299, 1)) {
            n.ensureBuilt();
            String p = "InceptionV3/";
            truncatedNormal(n, p + "Mixed_6b/Branch_1/Conv2d_0b_1x7/weights", 0.1);
            truncatedNormal(n, p + "AuxLogits/Conv2d_2a_5x5/weights", 0.01);
            truncatedNormal(n, p + "AuxLogits/Conv2d_2b_1x1/weights", 0.001);
            truncatedNormal(n, p + "Logits/Conv2d_1c_1x1/weights", 0.1);
            constant(n, p + "Logits/Conv2d_1c_1x1/biases", 0);
            constant(n, p + "Conv2d_1a_3x3/BatchNorm/beta", 0);
            constant(n, p + "Conv2d_1a_3x3/BatchNorm/moving_mean", 0);
            constant(n, p + "Conv2d_1a_3x3/BatchNorm/moving_variance", 1);
        }
    }

    @Test
    void resnetVarianceScaling() {
        try (Net n = new ResNetV2(50, cpu, 10, 64, 1)) {
            n.ensureBuilt();
            // slim.variance_scaling_initializer(): truncated normal with stddev sqrt(1.3 * 2 / fan_in), so about sqrt(2 / fan_in).
            String u = "resnet_v2_50/block3/unit_2/bottleneck_v2/";
            double fanIn = 256 * 9;
            double[] s = stats(n, u + "conv2/weights");
            assertEquals(Math.sqrt(2 / fanIn), s[3], 0.03 * Math.sqrt(2 / fanIn));
            assertTrue(s[1] <= 2 * Math.sqrt(2.6 / fanIn));
            constant(n, u + "conv3/biases", 0);
            constant(n, u + "preact/gamma", 1);
            constant(n, u + "preact/beta", 0);
            constant(n, u + "conv1/BatchNorm/moving_variance", 1);
        }
    }

    @Test
    void sameSeedSameParameters() {
        try (Net a = new AlexNetConv(cpu, 1000, 67, 42); Net b = new AlexNetConv(cpu, 1000, 67, 42);
             Net c = new AlexNetConv(cpu, 1000, 67, 43)) {
            a.ensureBuilt();
            b.ensureBuilt();
            c.ensureBuilt();
            for (Param p : a.model().params()) {
                float[] va = p.value().toFloats();
                assertArrayEquals(va, b.model().param(p.name()).value().toFloats(), p.name());
                if (p.name().endsWith("weights"))
                    assertFalse(java.util.Arrays.equals(va, c.model().param(p.name()).value().toFloats()), p.name());
            }
        }
    }
}
