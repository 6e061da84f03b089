package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.reference.ReferenceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import static convbench.engine.GradCheck.randn;

/**
 * The reference backend (float64, each op's own plain loops) shared by an op test class, and small
 * helpers. The op tests pin the reference arithmetic down (hand-worked values, TF's conventions, the
 * float64 gradient check); the fast kernels are tested against it in convbench.kernels.cpu.CpuVsReferenceTest.
 */
abstract class OpTestBase {
    static ReferenceBackend be;

    @BeforeAll static void up() { be = new ReferenceBackend(); }

    @AfterAll static void down() { be.close(); }

    static Tensor tensor(Shape s, long seed) { return be.of(s, randn(s.intSize(), seed)); }

    static Ctx inference() { return Ctx.inference(be); }
}
