package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendUnavailableException;
import convbench.engine.Backends;
import convbench.engine.Ctx;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cpu.CpuBackend;
import convbench.kernels.cuda.CrossCheck;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.TensorDump;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gpu tier for whole nets: every net at a small batch on CUDA against the CPU backend (same seed,
 * so the same parameters; the same input), forward in inference mode and forward-backward in
 * training mode with dropout off (outputs, losses, every parameter gradient); and a bench run of each
 * net on the GPU. Skipped, with the reason, where no CUDA device opens; failed instead when
 * CONVBENCH_REQUIRE_GPU=1.
 */
@Tag("gpu")
class NetsGpuTest {
    /** Whole nets accumulate rounding over many layers (and cuDNN picks other algorithms than the CPU). */
    static final double TOLERANCE = 2e-3;

    static Backend cuda;
    static CpuBackend cpu;
    static String reason;

    @BeforeAll static void open() {
        try {
            cuda = Backends.open("cuda", BackendOptions.defaults().withThreads(2)).backend();
            cpu = new CpuBackend(Math.min(8, Runtime.getRuntime().availableProcessors()));
        } catch (BackendUnavailableException | RuntimeException e) {
            reason = e.getMessage();
            System.out.println("[gpu tier] whole-net tests skipped: no usable CUDA device: " + reason);
        }
    }

    @AfterAll static void close() {
        if (cuda != null) cuda.close();
        if (cpu != null) cpu.close();
    }

    @BeforeEach void assumeGpu() {
        if (cuda != null) return;
        String env = System.getenv("CONVBENCH_REQUIRE_GPU");
        if ("1".equals(env) || "true".equalsIgnoreCase(env)) fail("a GPU was required (CONVBENCH_REQUIRE_GPU) but " + reason);
        assumeTrue(false, "no usable CUDA device: " + reason);
    }

    /** Outputs, then the loss, then every trainable parameter's gradient, in order, from one step. */
    static List<float[]> step(Backend be, String name, int batch, int size, boolean backward) {
        List<float[]> out = new ArrayList<>();
        try (Net net = Nets.create(name, be, 1000, size, 5)) {
            net.ensureBuilt();
            try (Tensor x = be.of(Shape.nchw(batch, 3, size, size), TensorDump.input(5, batch, size));
                 Ctx ctx = backward ? new Ctx(be, true, true, 5).withDropout(false) : Ctx.inference(be)) {
                Net.Outputs o = net.forward(ctx, x);
                for (Tensor t : o.all()) out.add(t.toFloats());
                if (backward) {
                    float loss = 0;
                    for (Tensor l : net.backward(ctx, o)) loss += l.toFloats()[0];
                    out.add(new float[] {loss});
                }
            }
            if (backward) for (Param p : net.model().trainable()) out.add(p.grad().toFloats());
        }
        return out;
    }

    @ParameterizedTest(name = "{0} at {1}x{1}, batch {2}")
    @CsvSource({"alexnet-conv, 67, 2", "alexnet, 67, 2", "vgg16, 32, 2", "inception3, 75, 2",
            "resnet50, 64, 2", "resnet101, 32, 2", "resnet152, 32, 2", "resnet200, 32, 2"})
    void netMatchesTheCpuBackend(String name, int size, int batch) {
        for (boolean backward : new boolean[] {false, true}) {
            List<float[]> expected = step(cpu, name, batch, size, backward);
            List<float[]> actual = step(cuda, name, batch, size, backward);
            assertEquals(expected.size(), actual.size());
            for (int i = 0; i < expected.size(); i++) {
                CrossCheck.Result r = CrossCheck.compare(name + (backward ? " forward-backward" : " forward") + " tensor " + i,
                        expected.get(i), actual.get(i));
                System.out.println("[gpu tier] " + r);
                r.assertWithin(TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "bench {0} on cuda")
    @CsvSource({"alexnet-conv", "alexnet", "vgg16", "inception3", "resnet50", "resnet101", "resnet152", "resnet200"})
    void benchRunsEveryNetOnTheGpu(String name) {
        BenchCliTest.Out r = BenchCliTest.run(name, "--device", "cuda", "--batch", "4", "--steps", "3", "--warmup", "2", "--mode", "all");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("backend        cuda"), r.out());
        assertTrue(r.out().contains("Forward across 3 steps") && r.out().contains("Train across 3 steps"), r.out());
    }
}
