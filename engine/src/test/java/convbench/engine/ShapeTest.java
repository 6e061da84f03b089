package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ShapeTest {
    @Test
    void accessorsAndPrinting() {
        Shape s = Shape.nchw(32, 64, 56, 56);
        assertEquals(32L * 64 * 56 * 56, s.size());
        assertEquals(64 * 56 * 56, s.perItem());
        assertEquals("(32, 64, 56, 56)", s.toString());
        assertEquals(Shape.of(32, 64 * 56 * 56), s.flatten2d());
        assertEquals(Shape.nchw(8, 64, 56, 56), s.withBatch(8));
        assertEquals(Shape.nchw(4, 10, 1, 1), Shape.of(4, 10).as4d());
        assertEquals("(7,)", Shape.of(7).toString());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
    }

    @Test
    void tfSamePadding() {
        assertArrayEquals(new int[] {3, 4}, Padding.same(224, 11, 4)); // AlexNet conv1: out 56
        assertArrayEquals(new int[] {1, 1}, Padding.same(56, 3, 1));
        assertArrayEquals(new int[] {0, 1}, Padding.same(112, 3, 2)); // ResNet-style stride 2: more after
        assertArrayEquals(new int[] {0, 0}, Padding.same(27, 1, 1));
        assertArrayEquals(new int[] {3, 3}, Padding.same(17, 7, 1)); // Inception 1x7 along width
        assertArrayEquals(new int[] {0, 0}, Padding.VALID.vertical(10, 3, 1));
        assertArrayEquals(new int[] {2, 1}, Padding.explicit(2, 1, 0, 3).vertical(10, 3, 1));
        assertArrayEquals(new int[] {0, 3}, Padding.explicit(2, 1, 0, 3).horizontal(10, 3, 1));
    }

    @Test
    void viewsShareStorageUntilAllAreClosed() {
        try (MetaBackend meta = new MetaBackend()) {
            Tensor t = meta.alloc(Shape.of(2, 6));
            Tensor v = t.view(Shape.nchw(2, 3, 2, 1));
            t.close();
            assertEquals(48, meta.memory().inUse());
            v.close();
            assertEquals(0, meta.memory().inUse());
            assertThrows(IllegalStateException.class, t::storage);
            assertThrows(IllegalArgumentException.class, () -> meta.alloc(Shape.of(3)).view(Shape.of(4)));
        }
    }
}
