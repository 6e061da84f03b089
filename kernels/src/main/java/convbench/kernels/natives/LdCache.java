package convbench.kernels.natives;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dynamic linker's cache, /etc/ld.so.cache (what {@code ldconfig -p} prints), read directly so
 * that no process has to be started: soname -> paths of the x86-64 libraries ldconfig found.
 *
 * <p>Format (glibc's "glibc-ld.so.cache1.1", possibly after an old-format "ld.so-1.7.0" block): a
 * 48-byte header (magic and version, 20 bytes; nlibs u32; len_strings u32; flags u8 and padding;
 * extension offset u32; 3 unused u32), then nlibs entries of 24 bytes (flags i32, key u32, value u32,
 * osversion u32, hwcap u64). key and value are offsets, from the start of that header, of the
 * soname and the path.
 */
public final class LdCache {
    private static final String MAGIC = "glibc-ld.so.cache1.1";
    private static final int FLAG_ELF_LIBC6 = 0x0003, FLAG_X8664_LIB64 = 0x0300;

    private LdCache() {}

    /** soname -> paths (in cache order); empty when the file is missing or not a cache this reader knows. */
    public static Map<String, List<Path>> read(Path cacheFile) {
        try {
            return parse(Files.readAllBytes(cacheFile));
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    static Map<String, List<Path>> parse(byte[] data) {
        Map<String, List<Path>> out = new LinkedHashMap<>();
        int base = indexOf(data, MAGIC.getBytes(StandardCharsets.US_ASCII));
        if (base < 0) return out;
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long nlibs = Integer.toUnsignedLong(b.getInt(base + 20));
        for (long i = 0; i < nlibs; i++) {
            int e = (int) (base + 48 + i * 24);
            if (e + 24 > data.length) break;
            int flags = b.getInt(e);
            if ((flags & 0xff) != FLAG_ELF_LIBC6 || (flags & 0xff00) != FLAG_X8664_LIB64) continue;
            String key = cstring(data, base + b.getInt(e + 4));
            String value = cstring(data, base + b.getInt(e + 8));
            if (key == null || value == null) continue;
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(Path.of(value));
        }
        return out;
    }

    private static String cstring(byte[] data, int at) {
        if (at < 0 || at >= data.length) return null;
        int end = at;
        while (end < data.length && data[end] != 0) end++;
        return end < data.length ? new String(data, at, end - at, StandardCharsets.UTF_8) : null;
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) if (data[i + j] != pattern[j]) continue outer;
            return i;
        }
        return -1;
    }
}
