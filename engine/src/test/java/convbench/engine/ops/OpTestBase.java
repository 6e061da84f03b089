package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.Shape;
import convbench.engine.Tensor;
import convbench.engine.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import static convbench.engine.GradCheck.randn;

/** A CPU backend with two threads shared by an op test class, and small helpers. */
abstract class OpTestBase {
    static CpuBackend be;

    @BeforeAll static void up() { be = new CpuBackend(2); }

    @AfterAll static void down() { be.close(); }

    static Tensor tensor(Shape s, long seed) { return be.of(s, randn(s.intSize(), seed)); }

    static Ctx inference() { return Ctx.inference(be); }
}
