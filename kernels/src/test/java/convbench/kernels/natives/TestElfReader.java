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

    /**
     * A dynamic symbol: defined here or imported (undefined), with its version: for a definition the
     * version node it is defined under (hidden: a non-default "name@version", not "name@@version"), for an
     * import the version and the file named in the version-needed entry; null when unversioned.
     */
    record Sym(String name, boolean defined, int type, String version, String file, boolean hidden) {}

    final List<String> needed = new ArrayList<>();
    final List<Verneed> verneeds = new ArrayList<>();
    /** Version definitions: index -> name (.gnu.version_d). */
    final Map<Integer, String> verdefs = new HashMap<>();
    /** The dynamic symbol table (.dynsym), index 0 left out. */
    final List<Sym> symbols = new ArrayList<>();
    String soname;

    private final ByteBuffer b;
    private final Map<String, long[]> sections = new HashMap<>(); // name -> {offset, size, link, info}
    private final List<long[]> byIndex = new ArrayList<>();

    TestElfReader(byte[] elf) { this(ByteBuffer.wrap(elf)); }

    /** Reads the file through a read-only mapping (the real cuBLAS is 108 MB). */
    static TestElfReader of(java.nio.file.Path file) throws java.io.IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            return new TestElfReader(ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size()));
        }
    }

    TestElfReader(ByteBuffer elf) {
        b = elf.order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x464c457f) throw new IllegalArgumentException("not ELF");
        if (b.get(4) != 2 || b.get(5) != 1) throw new IllegalArgumentException("not ELF64 LE");
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3a));
        int shnum = Short.toUnsignedInt(b.getShort(0x3c));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3e));
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            byIndex.add(new long[] {Integer.toUnsignedLong(b.getInt(sh)), b.getLong(sh + 0x18), b.getLong(sh + 0x20),
                    Integer.toUnsignedLong(b.getInt(sh + 0x28)), Integer.toUnsignedLong(b.getInt(sh + 0x2c)),
                    Integer.toUnsignedLong(b.getInt(sh + 4))}); // name, offset, size, link, info, type
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

        long[] vd = sections.get(".gnu.version_d");
        if (vd != null) {
            long str = byIndex.get((int) vd[2])[1];
            int at = (int) vd[0];
            for (int i = 0; i < vd[3]; i++) { // sh_info = number of entries
                int ndx = Short.toUnsignedInt(b.getShort(at + 4));
                int aux = at + b.getInt(at + 12);
                verdefs.put(ndx, cstring((int) (str + Integer.toUnsignedLong(b.getInt(aux)))));
                at += b.getInt(at + 16);
            }
        }
        Map<Integer, String[]> needIndex = new HashMap<>(); // vna_other -> {version, file}
        for (Verneed v : verneeds) for (Vernaux a : v.aux()) needIndex.put(a.other(), new String[] {a.name(), v.file()});

        long[] dynsym = null;
        for (long[] sec : byIndex) if (sec[5] == 11) dynsym = sec; // SHT_DYNSYM
        long[] versym = sections.get(".gnu.version");
        if (dynsym != null) {
            long str = byIndex.get((int) dynsym[3])[1];
            int count = (int) (dynsym[2] / 24);
            for (int i = 1; i < count; i++) {
                int at = (int) (dynsym[1] + 24L * i);
                String name = cstring((int) (str + Integer.toUnsignedLong(b.getInt(at))));
                int info = b.get(at + 4) & 0xff;
                int shndx = Short.toUnsignedInt(b.getShort(at + 6));
                int vs = versym == null ? 1 : Short.toUnsignedInt(b.getShort((int) (versym[0] + 2L * i)));
                int idx = vs & 0x7fff;
                boolean defined = shndx != 0;
                String version = null, file = null;
                if (idx > 1) {
                    if (defined) version = verdefs.get(idx);
                    else {
                        String[] need = needIndex.get(idx);
                        if (need != null) { version = need[0]; file = need[1]; }
                    }
                }
                symbols.add(new Sym(name, defined, info & 0xf, version, file, (vs & 0x8000) != 0));
            }
        }
    }

    /** The imported (undefined) symbols by name. */
    Map<String, Sym> imports() {
        Map<String, Sym> m = new java.util.TreeMap<>();
        for (Sym s : symbols) if (!s.defined()) m.put(s.name(), s);
        return m;
    }

    /** The defined symbols by name (the default version's where a name is defined more than once). */
    Map<String, Sym> exports() {
        Map<String, Sym> m = new java.util.TreeMap<>();
        for (Sym s : symbols) if (s.defined() && (!s.hidden() || !m.containsKey(s.name()))) m.put(s.name(), s);
        return m;
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
