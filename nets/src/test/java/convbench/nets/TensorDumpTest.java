package convbench.nets;

import convbench.engine.Ctx;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tensor dump: contents, a bit-exact replay from the loaded parameters, and clear errors. */
class TensorDumpTest {
    static CpuBackend cpu;
    @TempDir Path dir;

    @BeforeAll static void open() { cpu = new CpuBackend(2); }

    @AfterAll static void close() { cpu.close(); }

    static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    /**
     * Loads the dump's parameters into a fresh net made with another seed, replays the step (training,
     * dropout off) on the dump's input, and checks output, aux output, loss, every gradient and the
     * updated moving statistics bit for bit (the CPU backend sums weight-gradient partials in a fixed
     * order for a given thread count).
     */
    static void replay(Net fresh, Path file) throws IOException {
        SafeTensors st = SafeTensors.open(file);
        TensorDump.loadParams(fresh, file);
        int batch = Integer.parseInt(st.metadata().get("batch")), size = fresh.imageSize();
        try (Ctx c = new Ctx(cpu, true, true, fresh.seed()).withDropout(false)) {
            Tensor x = c.alloc(Shape.nchw(batch, 3, size, size)).set(st.read("input"));
            Net.Outputs out = fresh.forward(c, x);
            List<Tensor> losses = fresh.backward(c, out);
            assertArrayEquals(st.bytes("output"), bytes(out.output().toFloats()), "output");
            if (out.aux() != null) assertArrayEquals(st.bytes("aux_output"), bytes(out.aux().toFloats()), "aux_output");
            float loss = 0;
            for (Tensor l : losses) loss += l.toFloats()[0];
            assertArrayEquals(st.bytes("loss"), bytes(new float[] {loss}), "loss");
        }
        for (Param p : fresh.model().trainable()) {
            assertTrue(NetRunTest.maxAbs(p.grad().toFloats()) > 0, "grad/" + p.name() + " is zero");
            assertArrayEquals(st.bytes("grad/" + p.name()), bytes(p.grad().toFloats()), "grad/" + p.name());
        }
        for (Param p : fresh.model().params())
            if (!p.trainable()) assertArrayEquals(st.bytes("updated/" + p.name()), bytes(p.value().toFloats()), "updated/" + p.name());
    }

    @Test
    void alexnetConvDumpAndReplay() throws IOException {
        Path file = dir.resolve("alexnet-conv.safetensors");
        TensorDump.Result r;
        try (Net n = new AlexNetConv(cpu, 1000, 67, 7)) {
            r = TensorDump.write(n, 2, file);
        }
        SafeTensors st = SafeTensors.open(file);
        Map<String, String> meta = st.metadata();
        assertEquals("alexnet-conv", meta.get("net"));
        assertEquals("2", meta.get("batch"));
        assertEquals("67", meta.get("image_size"));
        assertEquals("7", meta.get("seed"));
        assertTrue(meta.get("mode").startsWith("training"), meta.get("mode"));
        assertTrue(meta.get("mode").contains("dropout off"), meta.get("mode"));
        assertEquals(List.of("input", "output", "loss", "conv1/weights", "conv1/biases"), st.names().subList(0, 5));
        assertEquals(3 + 10 + 10, st.names().size()); // input, output, loss; 10 parameters; 10 gradients
        assertEquals(r.tensors(), st.names().size());
        assertEquals(Shape.nchw(2, 3, 67, 67), st.shape("input"));
        assertEquals(Shape.nchw(2, 256, 1, 1), st.shape("output"));
        assertEquals(Shape.of(1), st.shape("loss"));
        assertEquals(Shape.nchw(64, 3, 11, 11), st.shape("grad/conv1/weights"));
        assertArrayEquals(TensorDump.input(7, 2, 67), st.read("input"), "the input is the documented seeded normal");

        // loss = l2(output) = 0.5 * sum(output^2); the output's gradient is the output itself.
        float[] out = st.read("output");
        double l2 = 0;
        for (float v : out) l2 += 0.5 * v * v;
        assertEquals(l2, st.read("loss")[0], 1e-5 * l2);
        assertEquals(r.loss(), st.read("loss")[0]);

        try (Net fresh = new AlexNetConv(cpu, 1000, 67, 1234)) {
            fresh.ensureBuilt();
            assertFalse(Arrays.equals(st.read("conv1/weights"), fresh.model().param("conv1/weights").value().toFloats()));
            replay(fresh, file);
        }
    }

    /** Inception: the aux output, both l2 terms in the loss, moving statistics before and after the step. */
    @Test
    void inceptionDumpAndReplay() throws IOException {
        Path file = dir.resolve("inception3.safetensors");
        try (Net n = new InceptionV3(cpu, 10, 75, 3)) {
            TensorDump.write(n, 2, file);
        }
        SafeTensors st = SafeTensors.open(file);
        assertEquals(Shape.of(2, 10), st.shape("output"));
        assertEquals(Shape.of(2, 10), st.shape("aux_output"));
        assertEquals("l2_loss(output) + l2_loss(aux_output)", st.metadata().get("objective"));
        double l2 = 0;
        for (String t : new String[] {"output", "aux_output"}) for (float v : st.read(t)) l2 += 0.5 * v * v;
        assertEquals(l2, st.read("loss")[0], 1e-5 * l2);
        String bn = "InceptionV3/Mixed_5b/Branch_0/Conv2d_0a_1x1/BatchNorm/";
        float[] mean = st.read(bn + "moving_mean"), updated = st.read("updated/" + bn + "moving_mean");
        assertArrayEquals(new float[mean.length], mean, "the step ran with the initial moving mean");
        assertFalse(Arrays.equals(mean, updated), "the step updated the moving mean");
        assertArrayEquals(new float[64], st.read(bn + "beta"));
        assertTrue(st.contains("grad/" + bn + "beta"));
        assertFalse(st.contains("grad/" + bn + "moving_mean"), "moving statistics have no gradient");
        try (Net fresh = new InceptionV3(cpu, 10, 75, 99)) {
            replay(fresh, file);
        }
    }

    @Test
    void shapeMismatchAndMissingTensorAreNamed() throws IOException {
        Path file = dir.resolve("alexnet.safetensors");
        try (Net n = new AlexNet(cpu, 10, 67, 1)) {
            TensorDump.write(n, 1, file);
        }
        try (Net other = new AlexNet(cpu, 12, 67, 2)) {
            other.ensureBuilt();
            float[] before = other.model().param("conv_1/weights").value().toFloats();
            TensorFileException e = assertThrows(TensorFileException.class, () -> TensorDump.loadParams(other, file));
            assertEquals("tensor 'logits_layer/weights' in " + file + " has shape (10, 4096) but alexnet expects (12, 4096)"
                    + " (the file was written for alexnet)", e.getMessage());
            // Nothing was loaded: every name and shape is checked before any value changes.
            assertArrayEquals(before, other.model().param("conv_1/weights").value().toFloats());
            assertFalse(Arrays.equals(before, SafeTensors.open(file).read("conv_1/weights")));
        }
        try (Net other = new AlexNetConv(cpu, 10, 67, 1)) {
            TensorFileException e = assertThrows(TensorFileException.class, () -> TensorDump.loadParams(other, file));
            assertEquals("tensor 'conv1/weights' that alexnet-conv needs is missing from " + file
                    + " (the file was written for alexnet)", e.getMessage());
        }
    }

    @Test
    void truncatedAndCorruptFilesAreRefused() throws IOException {
        Path file = dir.resolve("a.safetensors");
        try (Net n = new AlexNetConv(cpu, 1000, 67, 1)) {
            TensorDump.write(n, 1, file);
        }
        byte[] all = Files.readAllBytes(file);

        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 100));
        try (Net n = new AlexNetConv(cpu, 1000, 67, 1)) {
            TensorFileException e = assertThrows(TensorFileException.class, () -> TensorDump.loadParams(n, cut));
            assertTrue(e.getMessage().startsWith(cut + " is truncated: tensor 'grad/conv5/biases' needs bytes"), e.getMessage());
        }
        // Expect "truncated" for a cut anywhere: in the data, in the header, in the length field.
        long headerLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        for (int keep : new int[] {(int) (8 + headerLength + 1000), (int) headerLength / 2, 5, 0}) {
            Files.write(cut, Arrays.copyOf(all, keep));
            TensorFileException e = assertThrows(TensorFileException.class, () -> SafeTensors.open(cut));
            assertTrue(e.getMessage().startsWith(cut + " is truncated"), keep + ": " + e.getMessage());
        }

        Path bad = dir.resolve("bad.safetensors");
        byte[] garbled = all.clone();
        garbled[8] = '[';
        garbled[9] = '}';
        Files.write(bad, garbled);
        TensorFileException e = assertThrows(TensorFileException.class, () -> SafeTensors.open(bad));
        assertTrue(e.getMessage().startsWith(bad + " is corrupt: its header is not valid safetensors JSON"), e.getMessage());

        byte[] huge = all.clone();
        ByteBuffer.wrap(huge, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(-5);
        Files.write(bad, huge);
        e = assertThrows(TensorFileException.class, () -> SafeTensors.open(bad));
        assertEquals(bad + " is not a safetensors file: its header length field reads -5", e.getMessage());
    }

    @Test
    void refusesABadBatch() {
        try (Net n = new AlexNetConv(cpu, 1000, 67, 1)) {
            assertThrows(IllegalArgumentException.class, () -> TensorDump.write(n, 0, dir.resolve("x.safetensors")));
        }
        assertFalse(Files.exists(dir.resolve("x.safetensors")));
    }
}
