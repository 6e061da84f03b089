package convbench.nets;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import convbench.engine.tensor.Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The safetensors format (float32 only): an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]} (byte
 * offsets into the data after the header) plus a "__metadata__" map of strings, then the tensors'
 * little-endian bytes. The header is padded with spaces to a multiple of 8 bytes.
 *
 * <p>{@link #write} writes to a temporary file next to the target and moves it into place, so a
 * failure leaves no half-written file. {@link #open} reads and checks the header (JSON, dtypes,
 * offsets against the file's size); tensors are read on demand with {@link #read}.
 */
public final class SafeTensors {
    /** One tensor to write; values are asked for when its bytes are written. */
    public record Entry(String name, Shape shape, Supplier<float[]> values) {}

    /** A tensor in an opened file: shape and byte range within the data section. */
    private record Info(Shape shape, long begin, long end) {}

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final String METADATA = "__metadata__";
    private static final long MAX_HEADER = 100L << 20; // the format's own limit: 100 MB
    private static final int CHUNK = 1 << 18;           // floats per write / read

    private final Path path;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, Info> tensors;

    private SafeTensors(Path path, long dataStart, Map<String, String> metadata, Map<String, Info> tensors) {
        this.path = path;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    // ---- writing ----

    /** Writes entries in order, atomically: the file appears complete or not at all. */
    public static void write(Path file, Map<String, String> metadata, List<Entry> entries) throws IOException {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add(METADATA, meta);
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (Entry e : entries) {
            if (e.name().equals(METADATA) || !seen.add(e.name()))
                throw new IllegalArgumentException("tensor name '" + e.name() + "' is reserved or used twice");
            long bytes = 4 * e.shape().size();
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (int d : e.shape().dims()) shape.add(d);
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            t.add("data_offsets", offsets);
            header.add(e.name(), t);
            offset += bytes;
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir))
            throw new NoSuchFileException(String.valueOf(dir), null, "the directory for " + file + " does not exist");
        // A new file next to the target (so the move is a rename), made with the usual permissions.
        Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(json);
                while (head.hasRemaining()) head.put((byte) ' ');
                head.flip();
                writeFully(ch, head);
                ByteBuffer buf = ByteBuffer.allocate(4 * CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                for (Entry e : entries) {
                    float[] v = e.values().get();
                    if (v.length != e.shape().size())
                        throw new IllegalStateException("tensor '" + e.name() + "' has " + v.length + " values for shape " + e.shape());
                    for (int from = 0; from < v.length; from += CHUNK) {
                        int n = Math.min(CHUNK, v.length - from);
                        buf.clear();
                        buf.asFloatBuffer().put(v, from, n);
                        buf.limit(4 * n);
                        writeFully(ch, buf);
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    // ---- reading ----

    /** Opens a file and checks its header; every tensor's bytes are known to lie within the file. */
    public static SafeTensors open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8)
                throw new TensorFileException(file + " is truncated or not a safetensors file: it holds only " + size + " bytes");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.flip().getLong();
            if (n <= 0 || n > MAX_HEADER)
                throw new TensorFileException(file + " is not a safetensors file: its header length field reads " + n);
            if (n > size - 8)
                throw new TensorFileException(file + " is truncated: its header needs " + n + " bytes but only "
                        + (size - 8) + " follow the length field");
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headBuf, 8, file);
            String json = new String(headBuf.array(), StandardCharsets.UTF_8);
            JsonObject header;
            try {
                JsonElement e = JsonParser.parseString(json);
                if (!e.isJsonObject()) throw new JsonParseException("the header is not a JSON object");
                header = e.getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new TensorFileException(file + " is corrupt: its header is not valid safetensors JSON (" + e.getMessage() + ")");
            }
            long dataSize = size - 8 - n;
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, Info> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals(METADATA)) {
                    if (!e.getValue().isJsonObject()) throw corrupt(file, "__metadata__ is not a map of strings");
                    for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
                        if (!isString(m.getValue())) throw corrupt(file, "__metadata__ value '" + m.getKey() + "' is not a string");
                        meta.put(m.getKey(), m.getValue().getAsString());
                    }
                    continue;
                }
                tensors.put(e.getKey(), info(file, e.getKey(), e.getValue(), dataSize));
            }
            return new SafeTensors(file, 8 + n, Collections.unmodifiableMap(meta), Collections.unmodifiableMap(tensors));
        }
    }

    private static Info info(Path file, String name, JsonElement el, long dataSize) throws TensorFileException {
        try {
            JsonObject t = el.getAsJsonObject();
            String dtype = t.get("dtype").getAsString();
            if (!dtype.equals("F32"))
                throw new TensorFileException("tensor '" + name + "' in " + file + " has dtype " + dtype + "; only F32 is supported");
            JsonArray s = t.getAsJsonArray("shape");
            int[] dims = new int[s.size()];
            long count = 1;
            for (int i = 0; i < dims.length; i++) {
                long d = s.get(i).getAsLong();
                if (d < 0 || d > Integer.MAX_VALUE) throw corrupt(file, "tensor '" + name + "' has dimension " + d);
                dims[i] = (int) d;
                count *= d;
            }
            JsonArray o = t.getAsJsonArray("data_offsets");
            if (o.size() != 2) throw corrupt(file, "tensor '" + name + "' has " + o.size() + " data offsets, not 2");
            long begin = o.get(0).getAsLong(), end = o.get(1).getAsLong();
            if (begin < 0 || end - begin != 4 * count)
                throw corrupt(file, "tensor '" + name + "' spans bytes " + begin + ".." + end + " of the data, which does not hold "
                        + count + " float32 values");
            if (end > dataSize)
                throw new TensorFileException(file + " is truncated: tensor '" + name + "' needs bytes " + begin + ".." + end
                        + " of the data section but the file holds only " + dataSize);
            return new Info(Shape.of(dims), begin, end);
        } catch (RuntimeException e) { // a missing field, or one of the wrong JSON type
            throw corrupt(file, "the header entry of tensor '" + name + "' is malformed (" + e.getMessage() + ")");
        }
    }

    private static boolean isString(JsonElement e) {
        return e.isJsonPrimitive() && ((JsonPrimitive) e).isString();
    }

    private static TensorFileException corrupt(Path file, String what) {
        return new TensorFileException(file + " is corrupt: " + what);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path file) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new TensorFileException(file + " is truncated: it ended while being read (changed on disk?)");
            pos += r;
        }
    }

    public Path path() { return path; }

    /** The __metadata__ map (empty when the file has none). */
    public Map<String, String> metadata() { return metadata; }

    /** Tensor names in header order. */
    public List<String> names() { return new ArrayList<>(tensors.keySet()); }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** The shape of a tensor; null when the file has no such tensor. */
    public Shape shape(String name) {
        Info i = tensors.get(name);
        return i == null ? null : i.shape();
    }

    /** A tensor's values. */
    public float[] read(String name) throws IOException {
        Info i = tensors.get(name);
        if (i == null) throw new TensorFileException("tensor '" + name + "' is missing from " + path);
        float[] out = new float[i.shape().intSize()];
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(4 * CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            long pos = dataStart + i.begin();
            for (int from = 0; from < out.length; from += CHUNK) {
                int n = Math.min(CHUNK, out.length - from);
                buf.clear().limit(4 * n);
                readFully(ch, buf, pos, path);
                buf.flip();
                buf.asFloatBuffer().get(out, from, n);
                pos += 4L * n;
            }
        }
        return out;
    }

    /** A tensor's raw little-endian bytes (for bit-exact comparisons). */
    public byte[] bytes(String name) throws IOException {
        Info i = tensors.get(name);
        if (i == null) throw new TensorFileException("tensor '" + name + "' is missing from " + path);
        long len = i.end() - i.begin();
        if (len > Integer.MAX_VALUE - 8) throw new TensorFileException("tensor '" + name + "' is too large to read as one byte array");
        ByteBuffer b = ByteBuffer.allocate((int) len);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            readFully(ch, b, dataStart + i.begin(), path);
        }
        return b.array();
    }
}
