package convbench.kernels.natives;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A second, independent ELF reader for the tests: where the patcher walks program headers and the
 * dynamic section's addresses, this one finds .dynamic, .dynstr and .gnu.version_r by section name
 * (section headers and the section-name string table) and reads them as sections. It recomputes
 * the ELF hash with its own code. If both agree on a patched file, the patch is what the dynamic
 * linker will read.
 */
final class TestElfReader {
    record Vernaux(String name, long hash, int flags, int other) {}

    record Verneed(int version, String file, List<Vernaux> aux) {}

    final List<String> needed = new ArrayList<>();
    final List<Verneed> verneeds = new ArrayList<>();
    String soname;

    private final ByteBuffer b;
    private final Map<String, long[]> sections = new HashMap<>(); // name -> {offset, size, link, info}
    private final List<long[]> byIndex = new ArrayList<>();

    TestElfReader(byte[] elf) {
        b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x464c457f) throw new IllegalArgumentException("not ELF");
        if (b.get(4) != 2 || b.get(5) != 1) throw new IllegalArgumentException("not ELF64 LE");
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3a));
        int shnum = Short.toUnsignedInt(b.getShort(0x3c));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3e));
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            byIndex.add(new long[] {Integer.toUnsignedLong(b.getInt(sh)), b.getLong(sh + 0x18), b.getLong(sh + 0x20),
                    Integer.toUnsignedLong(b.getInt(sh + 0x28)), Integer.toUnsignedLong(b.getInt(sh + 0x2c))});
        }
        long shstrOff = byIndex.get(shstrndx)[1];
        for (long[] s : byIndex) sections.put(cstring((int) (shstrOff + s[0])), new long[] {s[1], s[2], s[3], s[4]});

        long[] dynamic = sections.get(".dynamic");
        long dynstr = byIndex.get((int) dynamic[2])[1]; // the string table the .dynamic section links to
        for (int e = (int) dynamic[0]; e < dynamic[0] + dynamic[1]; e += 16) {
            long tag = b.getLong(e), val = b.getLong(e + 8);
            if (tag == 0) break;
            if (tag == 1) needed.add(cstring((int) (dynstr + val)));
            if (tag == 14) soname = cstring((int) (dynstr + val));
        }

        long[] vr = sections.get(".gnu.version_r");
        if (vr != null) {
            long str = byIndex.get((int) vr[2])[1];
            int at = (int) vr[0];
            for (int i = 0; i < vr[3]; i++) { // sh_info = number of entries
                int version = Short.toUnsignedInt(b.getShort(at));
                int cnt = Short.toUnsignedInt(b.getShort(at + 2));
                String file = cstring((int) (str + Integer.toUnsignedLong(b.getInt(at + 4))));
                List<Vernaux> aux = new ArrayList<>();
                int a = at + b.getInt(at + 8);
                for (int j = 0; j < cnt; j++) {
                    aux.add(new Vernaux(cstring((int) (str + Integer.toUnsignedLong(b.getInt(a + 8)))),
                            Integer.toUnsignedLong(b.getInt(a)), Short.toUnsignedInt(b.getShort(a + 4)),
                            Short.toUnsignedInt(b.getShort(a + 6))));
                    a += b.getInt(a + 12);
                }
                verneeds.add(new Verneed(version, file, aux));
                at += b.getInt(at + 12);
            }
        }
    }

    Verneed verneed(String file) {
        for (Verneed v : verneeds) if (v.file().equals(file)) return v;
        return null;
    }

    private String cstring(int at) {
        int end = at;
        while (b.get(end) != 0) end++;
        byte[] s = new byte[end - at];
        b.get(at, s);
        return new String(s, StandardCharsets.UTF_8);
    }

    /** The SysV ELF hash, written out as in the gABI's C code with 32-bit unsigned arithmetic. */
    static long sysvHash(String name) {
        int h = 0;
        for (byte c : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h << 4) + (c & 0xff);
            int g = h & 0xf0000000;
            if (g != 0) h ^= g >>> 24;
            h &= ~g;
        }
        return Integer.toUnsignedLong(h);
    }
}
