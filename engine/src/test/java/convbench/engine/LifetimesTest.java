package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import convbench.engine.reference.ReferenceBackend;
import convbench.engine.ops.Add;
import convbench.engine.ops.Flatten;
import convbench.engine.ops.Relu;
import org.junit.jupiter.api.Test;

import static convbench.engine.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LifetimesTest {
    static final Relu r3 = new Relu("r3");

    /** y = flatten(relu(relu(relu(x))) + relu(relu(x))): a chain, a tensor read twice, and a view. */
    static float[] step(Backend be, Lifetimes l, Tensor x, Relu r1, Relu r2, Add add, Flatten f, long[] peak) {
        be.resetPeakMemory();
        try (Ctx ctx = Ctx.inference(be).lifetimes(l)) {
            Tensor a = r1.forward(ctx, x);       // read by r2 only
            Tensor b = r2.forward(ctx, a);       // read by r3 and add
            Tensor c = r3.forward(ctx, b);       // read by add
            Tensor d = add.forward(ctx, c, b);   // b and c are free after this
            Tensor y = f.forward(ctx, d);        // a view of d: d's storage stays alive
            if (l != null && l.recorded() && peak != null) {
                assertTrue(a.isClosed() && b.isClosed() && c.isClosed(), "a, b, c go back to the allocator after their last reader");
                assertTrue(d.isClosed(), "d is closed after flatten, its storage kept alive by the view");
                assertFalse(y.isClosed());
            }
            float[] out = y.toFloats();
            if (peak != null) peak[0] = be.memory().peakInUse();
            return out;
        }
    }

    @Test
    void laterStepsFreeActivationsAfterTheirLastReader() {
        try (ReferenceBackend be = new ReferenceBackend(); Tensor x = be.of(Shape.nchw(2, 3, 8, 8), randn(384, 1))) {
            Relu r1 = new Relu("r1"), r2 = new Relu("r2");
            Add add = new Add("add");
            Flatten f = new Flatten("flat");
            long[] plain = {0}, first = {0}, second = {0};
            float[] expected = step(be, null, x, r1, r2, add, f, plain);
            Lifetimes l = new Lifetimes();
            long base = be.memory().inUse();
            float[] a = step(be, l, x, r1, r2, add, f, first);
            assertTrue(l.recorded());
            float[] b = step(be, l, x, r1, r2, add, f, second);
            assertArrayEquals(expected, a);
            assertArrayEquals(expected, b);
            assertEquals(plain[0], first[0], "the recording step holds everything, like a plain step");
            // x, then a, b, c, d live at the add; with lifetimes a is gone by then (tensors of 384 floats)
            assertEquals(5 * 384 * x.dtype().bytes, first[0]);
            assertEquals(4 * 384 * x.dtype().bytes, second[0]);
            assertEquals(base, be.memory().inUse(), "nothing leaks");
        }
    }

    @Test
    void aStepThatDiffersStopsFreeing() {
        try (ReferenceBackend be = new ReferenceBackend(); Tensor x = be.of(Shape.nchw(1, 1, 2, 2), new float[] {1, -1, 2, -2});
             Tensor x2 = be.of(Shape.nchw(1, 1, 1, 4), new float[] {1, -1, 2, -2})) {
            Relu r1 = new Relu("r1"), r2 = new Relu("r2");
            Add add = new Add("add");
            Flatten f = new Flatten("flat");
            Lifetimes l = new Lifetimes();
            step(be, l, x, r1, r2, add, f, null);
            // another input shape: the allocations no longer match the recording, so nothing is freed early
            float[] y = step(be, l, x2, r1, r2, add, f, null);
            assertArrayEquals(new float[] {2, 0, 4, 0}, y); // relu(relu(relu(x))) + relu(relu(x))
        }
    }
}
