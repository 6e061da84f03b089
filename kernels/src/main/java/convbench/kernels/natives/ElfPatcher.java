package convbench.kernels.natives;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and rewrites the dependency names of a 64-bit little-endian ELF shared library, in pure Java.
 *
 * <p>Why: JCudnn 11.7's JNI library needs {@code libcudnn.so.8} and JCublas2 12.6's needs
 * {@code libcublas.so.12}, while current machines have cuDNN 9 and cuBLAS 13. Those libraries version
 * every symbol with a node named after their SONAME ({@code cudnnConvolutionForward@@libcudnn.so.9}),
 * so a symlink does not help: the JNI library's version-needed entry ({@code .gnu.version_r}) names
 * {@code libcudnn.so.8} and the dynamic linker refuses to bind it to {@code libcudnn.so.9}.
 * {@link #patch} renames the dependency in a copy: the DT_NEEDED entry, the version-needed entry's file
 * name (vn_file) and version name (vna_name), and vna_hash, the ELF hash of the version name.
 *
 * <p>What is needed for the two real files, and so all that is implemented: the new names have the
 * same length as the old ones ({@code libcudnn.so.8 -> libcudnn.so.9}, {@code libcublas.so.12 ->
 * libcublas.so.13}), so the strings are rewritten in place in {@code .dynstr}, padded with NUL when
 * shorter. A longer name is refused with a message (it would need a new string table), and so is a
 * rename that would also change some other name sharing the string's bytes (a suffix-merged string).
 *
 * <p>Layout read (the ELF-64 gABI): the program headers locate PT_DYNAMIC and map the dynamic section's
 * addresses (DT_STRTAB, DT_VERNEED, DT_VERDEF) to file offsets through the PT_LOAD segments; section
 * headers, when present, add the dynamic symbol table's name references to the overlap check.
 */
public final class ElfPatcher {
    private ElfPatcher() {}

    // ELF constants (gABI / LSB).
    private static final int PT_LOAD = 1, PT_DYNAMIC = 2;
    private static final long DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_STRSZ = 10, DT_SONAME = 14,
            DT_RPATH = 15, DT_RUNPATH = 29, DT_VERDEF = 0x6ffffffcL, DT_VERDEFNUM = 0x6ffffffdL,
            DT_VERNEED = 0x6ffffffeL, DT_VERNEEDNUM = 0x6fffffffL;
    private static final int SHT_DYNSYM = 11;

    /** What a library declares about its dependencies. */
    public record Info(String soname, List<String> needed, Map<String, List<String>> versionNeeds) {}

    /** The ELF hash of a name (System V gABI), as stored in vna_hash and vd_hash. */
    public static long elfHash(String name) {
        long h = 0;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = ((h << 4) + (b & 0xff)) & 0xffffffffL;
            long g = h & 0xf0000000L;
            if (g != 0) h ^= g >>> 24;
            h &= ~g & 0xffffffffL;
        }
        return h;
    }

    /** The SONAME, DT_NEEDED names and version needs of an ELF image held in memory. */
    public static Info inspect(byte[] elf, String name) throws ElfException {
        return new Parsed(new ArrayBytes(elf, name), false).info();
    }

    /** The same for a file, reading only the headers, the dynamic section and the strings (cuDNN's libraries are large). */
    public static Info inspect(Path file) throws ElfException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new Parsed(new ChannelBytes(ch, file.getFileName().toString()), false).info();
        } catch (IOException e) {
            throw new ElfException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * A copy of elf with each dependency renamed (old name -> new name) in DT_NEEDED and in the
     * version-needed entries (file name, version name and its hash).
     *
     * @param name the library's file name, for messages
     * @throws ElfException when the file is not a 64-bit little-endian ELF shared library, is truncated,
     *                      does not need an old name, or a new name is longer than the old one
     */
    public static byte[] patch(byte[] elf, Map<String, String> renames, String name) throws ElfException {
        byte[] out = elf.clone();
        ArrayBytes bytes = new ArrayBytes(out, name);
        Parsed p = new Parsed(bytes, true);
        for (Map.Entry<String, String> r : renames.entrySet()) {
            String from = r.getKey(), to = r.getValue();
            byte[] fromBytes = from.getBytes(StandardCharsets.UTF_8), toBytes = to.getBytes(StandardCharsets.UTF_8);
            if (from.isEmpty() || to.isEmpty() || to.indexOf('\0') >= 0)
                throw new ElfException("cannot rename '" + from + "' to '" + to + "' in " + name + ": names must be non-empty");
            if (toBytes.length > fromBytes.length)
                throw new ElfException("cannot rename " + from + " to " + to + " in " + name
                        + ": the new name is longer, and only same-length or shorter names are rewritten in place");
            List<Ref> targets = new ArrayList<>();
            for (Ref ref : p.refs) {
                if ((ref.kind == Kind.NEEDED || ref.kind == Kind.VN_FILE || ref.kind == Kind.VNA_NAME)
                        && p.string(ref.strOff).equals(from)) targets.add(ref);
            }
            if (targets.stream().noneMatch(t -> t.kind == Kind.NEEDED))
                throw new ElfException(name + " does not need " + from + " (it needs " + p.needed() + "), so there is nothing to rename");
            for (Ref t : targets) {
                for (Ref other : p.refs) {
                    if (other.strOff > t.strOff && other.strOff <= t.strOff + fromBytes.length)
                        throw new ElfException("cannot rename " + from + " in " + name + ": the " + other.kind.label
                                + " '" + p.string(other.strOff) + "' shares its bytes in the string table");
                }
            }
            for (Ref t : targets) {
                long at = p.strtabOff + t.strOff;
                for (int i = 0; i < fromBytes.length; i++) out[(int) at + i] = i < toBytes.length ? toBytes[i] : 0;
                if (t.kind == Kind.VNA_NAME) bytes.putU32(t.hashField, elfHash(to));
            }
        }
        return out;
    }

    // ---- parsing ----

    private enum Kind {
        NEEDED("DT_NEEDED entry"), SONAME("SONAME"), PATH("run path"), VN_FILE("version-needed file name"),
        VNA_NAME("version-needed name"), VDA_NAME("version definition"), SYMBOL("symbol name");

        final String label;

        Kind(String label) { this.label = label; }
    }

    /** A reference to a string in the dynamic string table; hashField is the vna_hash offset for VNA_NAME. */
    private record Ref(Kind kind, long strOff, long hashField) {}

    private static final class Parsed {
        final Bytes b;
        final long strtabOff, strsz;
        final List<Ref> refs = new ArrayList<>();
        final List<long[]> loads = new ArrayList<>(); // {vaddr, offset, filesz}

        /** symbols: also collect the dynamic symbols' name references (for the patcher's overlap check). */
        Parsed(Bytes b, boolean symbols) throws ElfException {
            this.b = b;
            long size = b.size();
            if (size < 4 || b.u8(0) != 0x7f || b.u8(1) != 'E' || b.u8(2) != 'L' || b.u8(3) != 'F')
                throw new ElfException(b.name() + " is not an ELF file (it does not start with 7F 45 4C 46)");
            if (size < 64) throw new ElfException(b.name() + " is truncated: " + size + " bytes is shorter than an ELF header");
            if (b.u8(4) != 2) throw new ElfException(b.name() + " is not a 64-bit ELF file");
            if (b.u8(5) != 1) throw new ElfException(b.name() + " is not a little-endian ELF file");
            long phoff = b.u64(32);
            int phentsize = b.u16(54), phnum = b.u16(56);
            if (phnum == 0 || phentsize < 56)
                throw new ElfException(b.name() + " has no program headers, so it is not a shared library");
            b.need(phoff, (long) phentsize * phnum, "its program headers");
            long dynOff = -1, dynSize = 0;
            for (int i = 0; i < phnum; i++) {
                long ph = phoff + (long) i * phentsize;
                long type = b.u32(ph);
                if (type == PT_LOAD) loads.add(new long[] {b.u64(ph + 16), b.u64(ph + 8), b.u64(ph + 32)});
                if (type == PT_DYNAMIC) {
                    dynOff = b.u64(ph + 8);
                    dynSize = b.u64(ph + 32);
                }
            }
            if (dynOff < 0) throw new ElfException(b.name() + " has no dynamic section, so it is not a shared library");
            b.need(dynOff, dynSize, "its dynamic section");
            long strtab = -1, strsz = -1, verneed = -1, verneednum = 0, verdef = -1, verdefnum = 0;
            List<long[]> strRefs = new ArrayList<>(); // {tag, value}
            for (long e = dynOff; e + 16 <= dynOff + dynSize; e += 16) {
                long tag = b.raw64(e), val = b.raw64(e + 8);
                if (tag == DT_NULL) break;
                if (tag == DT_STRTAB) strtab = val;
                else if (tag == DT_STRSZ) strsz = val;
                else if (tag == DT_VERNEED) verneed = val;
                else if (tag == DT_VERNEEDNUM) verneednum = val;
                else if (tag == DT_VERDEF) verdef = val;
                else if (tag == DT_VERDEFNUM) verdefnum = val;
                else if (tag == DT_NEEDED || tag == DT_SONAME || tag == DT_RPATH || tag == DT_RUNPATH)
                    strRefs.add(new long[] {tag, val});
            }
            if (strtab < 0 || strsz < 0) throw new ElfException(b.name() + " has no dynamic string table");
            this.strtabOff = toOffset(strtab, "its string table");
            this.strsz = strsz;
            b.need(strtabOff, strsz, "its string table");
            for (long[] r : strRefs) {
                Kind k = r[0] == DT_NEEDED ? Kind.NEEDED : r[0] == DT_SONAME ? Kind.SONAME : Kind.PATH;
                refs.add(checked(new Ref(k, r[1], -1)));
            }
            if (verneed >= 0) {
                long vn = toOffset(verneed, "its version-needed entries");
                for (int i = 0; i < verneednum; i++) {
                    b.need(vn, 16, "its version-needed entries");
                    int cnt = b.u16(vn + 2);
                    refs.add(checked(new Ref(Kind.VN_FILE, b.u32(vn + 4), -1)));
                    long aux = vn + b.u32(vn + 8);
                    for (int j = 0; j < cnt; j++) {
                        b.need(aux, 16, "its version-needed entries");
                        refs.add(checked(new Ref(Kind.VNA_NAME, b.u32(aux + 8), aux)));
                        long next = b.u32(aux + 12);
                        if (next == 0) break;
                        aux += next;
                    }
                    long next = b.u32(vn + 12);
                    if (next == 0) break;
                    vn += next;
                }
            }
            if (verdef >= 0) {
                long vd = toOffset(verdef, "its version definitions");
                for (int i = 0; i < verdefnum; i++) {
                    b.need(vd, 20, "its version definitions");
                    int cnt = b.u16(vd + 6);
                    long aux = vd + b.u32(vd + 12);
                    for (int j = 0; j < cnt; j++) {
                        b.need(aux, 8, "its version definitions");
                        refs.add(checked(new Ref(Kind.VDA_NAME, b.u32(aux), -1)));
                        long next = b.u32(aux + 4);
                        if (next == 0) break;
                        aux += next;
                    }
                    long next = b.u32(vd + 16);
                    if (next == 0) break;
                    vd += next;
                }
            }
            if (symbols) addSymbolNames();
        }

        /** Symbol names from the section headers' SHT_DYNSYM, when they use the same string table (optional). */
        private void addSymbolNames() throws ElfException {
            long shoff = b.u64(40);
            int shentsize = b.u16(58), shnum = b.u16(60);
            if (shoff == 0 || shnum == 0 || shentsize < 64 || shoff + (long) shentsize * shnum > b.size()) return;
            for (int i = 0; i < shnum; i++) {
                long sh = shoff + (long) i * shentsize;
                if (b.u32(sh + 4) != SHT_DYNSYM) continue;
                long off = b.u64(sh + 24), size = b.u64(sh + 32), entsize = b.u64(sh + 56);
                int link = (int) b.u32(sh + 40);
                if (entsize < 24 || link >= shnum || off + size > b.size()) continue;
                long linkOff = b.u64(shoff + (long) link * shentsize + 24);
                if (linkOff != strtabOff) continue;
                for (long s = off; s + entsize <= off + size; s += entsize) {
                    long name = b.u32(s);
                    if (name != 0 && name < strsz) refs.add(new Ref(Kind.SYMBOL, name, -1));
                }
            }
        }

        private Ref checked(Ref r) throws ElfException {
            if (r.strOff < 0 || r.strOff >= strsz)
                throw new ElfException(b.name() + " is damaged: a " + r.kind.label + " points outside its string table");
            return r;
        }

        long toOffset(long vaddr, String what) throws ElfException {
            for (long[] l : loads) {
                if (vaddr >= l[0] && vaddr < l[0] + l[2]) return vaddr - l[0] + l[1];
            }
            throw new ElfException(b.name() + " is damaged: " + what + " lies outside its loadable segments");
        }

        String string(long off) throws ElfException {
            java.io.ByteArrayOutputStream s = new java.io.ByteArrayOutputStream();
            long at = strtabOff + off, end = strtabOff + strsz;
            while (at < end) {
                byte[] chunk = b.read(at, (int) Math.min(64, end - at));
                for (byte c : chunk) {
                    if (c == 0) return s.toString(StandardCharsets.UTF_8);
                    s.write(c);
                }
                at += chunk.length;
            }
            throw new ElfException(b.name() + " is damaged: a string runs past the end of its string table");
        }

        List<String> needed() throws ElfException {
            List<String> n = new ArrayList<>();
            for (Ref r : refs) if (r.kind == Kind.NEEDED) n.add(string(r.strOff));
            return n;
        }

        Info info() throws ElfException {
            String soname = null;
            Map<String, List<String>> versions = new LinkedHashMap<>();
            String file = null;
            for (Ref r : refs) {
                if (r.kind == Kind.SONAME) soname = string(r.strOff);
                if (r.kind == Kind.VN_FILE) {
                    file = string(r.strOff);
                    versions.put(file, new ArrayList<>());
                }
                if (r.kind == Kind.VNA_NAME && file != null) versions.get(file).add(string(r.strOff));
            }
            return new Info(soname, needed(), versions);
        }
    }

    // ---- byte access ----

    /** Little-endian reads over an image; need() turns an out-of-range structure into a "truncated" message. */
    private abstract static class Bytes {
        abstract String name();

        abstract long size();

        abstract byte[] read(long off, int len) throws ElfException;

        void need(long off, long len, String what) throws ElfException {
            if (off < 0 || len < 0 || off + len > size())
                throw new ElfException(name() + " is truncated: bytes " + off + ".." + (off + len) + " (" + what
                        + ") lie beyond its end at byte " + size());
        }

        private ByteBuffer buf(long off, int len) throws ElfException {
            need(off, len, "its headers");
            return ByteBuffer.wrap(read(off, len)).order(ByteOrder.LITTLE_ENDIAN);
        }

        int u8(long off) throws ElfException { return buf(off, 1).get() & 0xff; }

        int u16(long off) throws ElfException { return buf(off, 2).getShort() & 0xffff; }

        long u32(long off) throws ElfException { return buf(off, 4).getInt() & 0xffffffffL; }

        long raw64(long off) throws ElfException { return buf(off, 8).getLong(); }

        /** An offset or size: negative (above 2^63) only in a damaged file. */
        long u64(long off) throws ElfException {
            long v = buf(off, 8).getLong();
            if (v < 0) throw new ElfException(name() + " is damaged: a 64-bit field at byte " + off + " is out of range");
            return v;
        }
    }

    private static final class ArrayBytes extends Bytes {
        private final byte[] a;
        private final String name;

        ArrayBytes(byte[] a, String name) {
            this.a = a;
            this.name = name;
        }

        @Override String name() { return name; }

        @Override long size() { return a.length; }

        @Override byte[] read(long off, int len) throws ElfException {
            need(off, len, "its structures");
            byte[] r = new byte[len];
            System.arraycopy(a, (int) off, r, 0, len);
            return r;
        }

        void putU32(long off, long v) {
            ByteBuffer.wrap(a, (int) off, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v);
        }
    }

    private static final class ChannelBytes extends Bytes {
        private final FileChannel ch;
        private final String name;
        private final long size;

        ChannelBytes(FileChannel ch, String name) throws IOException {
            this.ch = ch;
            this.name = name;
            this.size = ch.size();
        }

        @Override String name() { return name; }

        @Override long size() { return size; }

        @Override byte[] read(long off, int len) throws ElfException {
            need(off, len, "its structures");
            ByteBuffer bb = ByteBuffer.allocate(len);
            try {
                while (bb.hasRemaining()) {
                    if (ch.read(bb, off + bb.position()) < 0) break;
                }
            } catch (IOException e) {
                throw new ElfException("cannot read " + name + ": " + e.getMessage());
            }
            if (bb.hasRemaining()) throw new ElfException(name + " is truncated at byte " + (off + bb.position()));
            return bb.array();
        }
    }
}
