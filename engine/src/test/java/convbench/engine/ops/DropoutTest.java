package convbench.engine.ops;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DropoutTest extends OpTestBase {
    @Test
    void keepsAboutKeepAndScalesByItsInverse() {
        int n = 100_000;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        try (Ctx ctx = new Ctx(be, true, false, 5); Tensor x = be.of(Shape.of(1, n), ones)) {
            float[] y = new Dropout("drop", 0.5).forward(ctx, x).toFloats();
            int kept = 0;
            for (float v : y) {
                assertTrue(v == 0f || v == 2f, "value " + v);
                if (v != 0) kept++;
            }
            assertEquals(0.5, kept / (double) n, 0.01);
        }
    }

    @Test
    void seededAndDifferentPerStepSeed() {
        try (Tensor x = tensor(Shape.of(4, 50), 51)) {
            Dropout d = new Dropout("drop", 0.8);
            float[] a, b, c;
            try (Ctx ctx = new Ctx(be, true, false, 9)) { a = d.forward(ctx, x).toFloats(); }
            try (Ctx ctx = new Ctx(be, true, false, 9)) { b = d.forward(ctx, x).toFloats(); }
            try (Ctx ctx = new Ctx(be, true, false, 10)) { c = d.forward(ctx, x).toFloats(); }
            assertArrayEquals(a, b);
            assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
        }
    }

    @Test
    void identityInInferenceOrWhenTurnedOff() {
        try (Tensor x = tensor(Shape.of(2, 8), 52)) {
            Dropout d = new Dropout("drop", 0.5);
            try (Ctx ctx = inference()) { assertSame(x, d.forward(ctx, x)); }
            try (Ctx ctx = new Ctx(be, true, true, 1).withDropout(false)) { assertSame(x, d.forward(ctx, x)); }
        }
    }

    @Test
    void gradientUsesTheSameMask() {
        try (Tensor x = tensor(Shape.of(3, 20), 53)) {
            Dropout d = new Dropout("drop", 0.6);
            new GradCheck(be).check(ctx -> d.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    @Test
    void refusesBadKeep() {
        OpException e = assertThrows(OpException.class, () -> new Dropout("fc6_drop", 0));
        assertEquals("dropout 'fc6_drop': keep probability 0.0 must be in (0, 1]", e.getMessage());
        assertThrows(OpException.class, () -> new Dropout("d", 1.5));
    }
}
