package convbench.kernels.cpu;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The CPU backend's pool of arrays: best fit up to {@link CpuBackend#FIT} times a tensor's size, counted by array length. */
class CpuAllocatorTest {
    @Test
    void aFreedArrayServesTensorsUpToFitTimesSmaller() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor big = be.alloc(Shape.of(100));
            float[] a = CpuBackend.data(big);
            big.close();
            Tensor tooSmall = be.alloc(Shape.of(100 / CpuBackend.FIT - 1)); // would waste more than the rule allows
            assertNotSame(a, CpuBackend.data(tooSmall));
            Tensor fits = be.alloc(Shape.of(100 / CpuBackend.FIT));
            assertSame(a, CpuBackend.data(fits));
            // memory in use is the arrays' length, not the tensors' size
            assertEquals(4L * (100 + 100 / CpuBackend.FIT - 1), be.memory().inUse());
            Tensor fresh = be.alloc(Shape.of(100));
            assertNotSame(a, CpuBackend.data(fresh));
            // reserved: every array made, plus the one thread's packing buffers
            assertEquals(4L * (100 + 100 + 100 / CpuBackend.FIT - 1), be.memory().reserved() - Sgemm.Buffers.bytes());
            fits.close();
            tooSmall.close();
            fresh.close();
            assertEquals(0, be.memory().inUse());
        }
    }

    @Test
    void theShortestFreeArrayIsTaken() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor t80 = be.alloc(Shape.of(80)), t64 = be.alloc(Shape.of(64)), t70 = be.alloc(Shape.of(70));
            float[] a64 = CpuBackend.data(t64), a70 = CpuBackend.data(t70);
            t80.close();
            t64.close();
            t70.close();
            Tensor t = be.alloc(Shape.of(66));
            assertSame(a70, CpuBackend.data(t));
            Tensor u = be.alloc(Shape.of(40));
            assertSame(a64, CpuBackend.data(u));
        }
    }

    @Test
    void aTensorOnALongerArrayReadsAndWritesOnlyItsOwnPart() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor big = be.alloc(Shape.of(10));
            be.fill(big, 7f);
            big.close();
            Tensor t = be.of(Shape.of(6), new float[] {1, 2, 3, 4, 5, 6});
            float[] a = CpuBackend.data(t);
            assertEquals(10, a.length);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toFloats());
            be.fill(t, 0f);
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 7, 7, 7, 7}, a);
        }
    }
}
