package convbench.kernels.cuda;

import convbench.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrossCheckTest {
    @Test
    void maxNormRelativeError() {
        CrossCheck.Result r = CrossCheck.compare("x", new float[] {1, -4, 0.5f}, new float[] {1, -4.002f, 0.5f});
        assertEquals(1, r.at());
        assertEquals(0.002 / 4, r.worst(), 1e-6);
        assertTrue(r.within(1e-3));
        assertFalse(r.within(1e-4));
        assertTrue(assertThrows(AssertionError.class, () -> r.assertWithin(1e-4)).getMessage().contains("largest at [1]"));
        assertEquals(0, CrossCheck.compare("z", new float[] {0, 0}, new float[] {0, 0}).worst());
    }

    @Test
    void nanIsNeverWithinTolerance() {
        CrossCheck.Result r = CrossCheck.compare("n", new float[] {1, 2}, new float[] {1, Float.NaN});
        assertEquals(1, r.nonFinite());
        assertFalse(r.within(1));
        assertThrows(AssertionError.class, () -> CrossCheck.compare("len", new float[1], new float[2]));
        // the same non-finite value on both sides agrees, and does not spoil the scale of the finite ones
        CrossCheck.Result same = CrossCheck.compare("same", new float[] {Float.NaN, 4, Float.POSITIVE_INFINITY},
                new float[] {Float.NaN, 4.004f, Float.POSITIVE_INFINITY});
        assertEquals(0, same.nonFinite());
        assertEquals(0.001, same.worst(), 1e-6);
        assertEquals(1, same.at());
        CrossCheck.Result other = CrossCheck.compare("other", new float[] {Float.NEGATIVE_INFINITY, 1}, new float[] {Float.POSITIVE_INFINITY, 1});
        assertEquals(1, other.nonFinite());
        assertEquals(0, other.at());
        assertFalse(other.within(1));
    }

    @Test
    void runsOneComputationOnTwoBackends() {
        try (CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(1)) {
            CrossCheck.Result r = CrossCheck.run("fill", a, b, be -> be.of(convbench.engine.tensor.Shape.of(3), new float[] {1, 2, 3}).toFloats());
            assertEquals(0, r.worst());
            assertTrue(r.what().contains("cpu vs cpu"));
        }
    }
}
