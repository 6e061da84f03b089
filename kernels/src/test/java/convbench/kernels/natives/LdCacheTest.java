package convbench.kernels.natives;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LdCacheTest {
    /** A cache as glibc writes it: header, entries, then the strings (offsets from the header's start). */
    static byte[] cache(String[][] entries, int[] flags) {
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        int stringsAt = 48 + 24 * entries.length;
        ByteBuffer head = ByteBuffer.allocate(stringsAt).order(ByteOrder.LITTLE_ENDIAN);
        head.put("glibc-ld.so.cache1.1".getBytes(StandardCharsets.US_ASCII));
        head.putInt(20, entries.length);
        for (int i = 0; i < entries.length; i++) {
            int key = stringsAt + strings.size();
            strings.writeBytes((entries[i][0] + "\0").getBytes(StandardCharsets.UTF_8));
            int value = stringsAt + strings.size();
            strings.writeBytes((entries[i][1] + "\0").getBytes(StandardCharsets.UTF_8));
            int e = 48 + 24 * i;
            head.putInt(e, flags[i]).putInt(e + 4, key).putInt(e + 8, value);
        }
        head.putInt(24, strings.size());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes("ld.so-1.7.0\0old-format-bytes".getBytes(StandardCharsets.US_ASCII)); // an old-format block may come first
        all.writeBytes(head.array());
        all.writeBytes(strings.toByteArray());
        return all.toByteArray();
    }

    @Test
    void parsesX8664EntriesAndSkipsOthers() {
        byte[] data = cache(new String[][] {
                {"libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"},
                {"libcuda.so.1", "/usr/lib/i386-linux-gnu/libcuda.so.1"},
                {"libcudnn.so.9", "/usr/lib/x86_64-linux-gnu/libcudnn.so.9"},
                {"libcudnn.so.9", "/opt/other/libcudnn.so.9"}},
                new int[] {0x0303, 0x0003, 0x0303, 0x0303});
        Map<String, List<Path>> m = LdCache.parse(data);
        assertEquals(List.of(Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1")), m.get("libcuda.so.1"));
        assertEquals(List.of(Path.of("/usr/lib/x86_64-linux-gnu/libcudnn.so.9"), Path.of("/opt/other/libcudnn.so.9")), m.get("libcudnn.so.9"));
    }

    @Test
    void garbageOrMissingIsEmpty() {
        assertTrue(LdCache.parse("not a cache".getBytes()).isEmpty());
        assertTrue(LdCache.read(Path.of("/nonexistent/ld.so.cache")).isEmpty());
    }

    @Test
    void agreesWithLdconfigOnThisMachine() throws Exception {
        Path cacheFile = Path.of("/etc/ld.so.cache");
        Path ldconfig = Files.isExecutable(Path.of("/sbin/ldconfig")) ? Path.of("/sbin/ldconfig") : Path.of("/usr/sbin/ldconfig");
        assumeTrue(Files.isReadable(cacheFile) && Files.isExecutable(ldconfig), "no /etc/ld.so.cache or ldconfig here");
        Process p = new ProcessBuilder(ldconfig.toString(), "-p").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Map<String, List<Path>> parsed = LdCache.read(cacheFile);
        int checked = 0;
        for (String line : out.lines().toList()) {
            // "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1"
            if (!line.startsWith("\t") || !line.contains("(libc6,x86-64") || !line.contains(" => ")) continue;
            String soname = line.trim().split(" ")[0];
            Path path = Path.of(line.substring(line.indexOf(" => ") + 4).trim());
            assertTrue(parsed.getOrDefault(soname, List.of()).contains(path), soname + " -> " + path + " missing from the parse");
            checked++;
        }
        assertTrue(checked > 10, "compared " + checked + " entries");
    }
}
