package convbench.nets;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import convbench.engine.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors reader and writer. */
class SafeTensorsTest {
    @TempDir Path dir;

    static List<SafeTensors.Entry> twoTensors() {
        float[] a = {1f, -2.5f, 3e-39f, Float.MAX_VALUE, -0f, 6f};
        float[] b = {0.1f};
        return List.of(new SafeTensors.Entry("layer/weights", Shape.of(2, 3), () -> a),
                new SafeTensors.Entry("loss", Shape.of(1), () -> b));
    }

    @Test
    void layoutFollowsTheFormat() throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.write(f, Map.of("net", "x"), twoTensors());
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "the header is padded to 8 bytes");
        assertEquals(8 + n + 4 * 7, all.length);
        JsonObject h = JsonParser.parseString(new String(all, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("x", h.getAsJsonObject("__metadata__").get("net").getAsString());
        JsonObject w = h.getAsJsonObject("layer/weights");
        assertEquals("F32", w.get("dtype").getAsString());
        assertEquals("[2,3]", w.get("shape").toString());
        assertEquals("[0,24]", w.get("data_offsets").toString());
        assertEquals("[24,28]", h.getAsJsonObject("loss").get("data_offsets").toString());
        // Little-endian float32 data right after the header.
        assertEquals(-2.5f, ByteBuffer.wrap(all, (int) (8 + n) + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    @Test
    void readsBackWhatItWrote() throws IOException {
        Path f = dir.resolve("t.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("net", "alexnet");
        meta.put("note", "quotes \" and <html> & unicode \u00e9");
        SafeTensors.write(f, meta, twoTensors());
        SafeTensors st = SafeTensors.open(f);
        assertEquals(meta, st.metadata());
        assertEquals(List.of("layer/weights", "loss"), st.names());
        assertEquals(Shape.of(2, 3), st.shape("layer/weights"));
        assertNull(st.shape("nope"));
        assertArrayEquals(twoTensors().get(0).values().get(), st.read("layer/weights"));
        assertArrayEquals(new float[] {0.1f}, st.read("loss"));
        TensorFileException e = assertThrows(TensorFileException.class, () -> st.read("nope"));
        assertEquals("tensor 'nope' is missing from " + f, e.getMessage());
    }

    @Test
    void largeTensorsCrossTheChunkSize() throws IOException {
        float[] big = new float[(1 << 18) * 3 + 17];
        for (int i = 0; i < big.length; i++) big[i] = i * 0.5f;
        Path f = dir.resolve("big.safetensors");
        SafeTensors.write(f, Map.of(), List.of(new SafeTensors.Entry("big", Shape.of(big.length), () -> big)));
        assertArrayEquals(big, SafeTensors.open(f).read("big"));
        assertTrue(SafeTensors.open(f).metadata().isEmpty());
    }

    /** A failure while writing leaves neither the target nor a temporary file; an existing file is kept. */
    @Test
    void writesAtomically() throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.write(f, Map.of("v", "1"), twoTensors());
        List<SafeTensors.Entry> failing = List.of(twoTensors().get(0),
                new SafeTensors.Entry("boom", Shape.of(3), () -> { throw new IllegalStateException("device lost"); }));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SafeTensors.write(f, Map.of("v", "2"), failing));
        assertEquals("device lost", e.getMessage());
        assertEquals("1", SafeTensors.open(f).metadata().get("v"), "the old file is untouched");
        Path g = dir.resolve("never.safetensors");
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(g, Map.of(), failing));
        assertFalse(Files.exists(g));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
        // A wrong number of values is refused the same way.
        List<SafeTensors.Entry> wrong = List.of(new SafeTensors.Entry("w", Shape.of(4), () -> new float[3]));
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(g, Map.of(), wrong));
        assertFalse(Files.exists(g));
        // Overwriting replaces the file whole.
        SafeTensors.write(f, Map.of("v", "3"), twoTensors());
        assertEquals("3", SafeTensors.open(f).metadata().get("v"));
        assertThrows(NoSuchFileException.class, () -> SafeTensors.write(dir.resolve("no/such/dir/x.safetensors"), Map.of(), twoTensors()));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(g, Map.of(), List.of(twoTensors().get(1), twoTensors().get(1))));
    }

    @Test
    void refusesOtherDtypesAndBadOffsets() throws IOException {
        Path f = dir.resolve("h.safetensors");
        writeRaw(f, "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
        assertEquals("tensor 'a' in " + f + " has dtype F16; only F32 is supported",
                assertThrows(TensorFileException.class, () -> SafeTensors.open(f)).getMessage());
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8);
        assertEquals(f + " is corrupt: tensor 'a' spans bytes 0..4 of the data, which does not hold 2 float32 values",
                assertThrows(TensorFileException.class, () -> SafeTensors.open(f)).getMessage());
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":\"x\"}}", 8);
        assertTrue(assertThrows(TensorFileException.class, () -> SafeTensors.open(f)).getMessage()
                .startsWith(f + " is corrupt: the header entry of tensor 'a' is malformed"));
        writeRaw(f, "{\"__metadata__\":{\"n\":3}}", 0);
        assertEquals(f + " is corrupt: __metadata__ value 'n' is not a string",
                assertThrows(TensorFileException.class, () -> SafeTensors.open(f)).getMessage());
    }

    private static void writeRaw(Path f, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(f, b.array());
    }
}
