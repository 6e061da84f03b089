package convbench.kernels.natives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ELF patcher on the real JNI libraries from the Maven natives jars (on the test class path as
 * lib/... resources), checked with an independent reader ({@link TestElfReader}) and, where binutils
 * is installed, with readelf.
 */
class ElfPatcherTest {
    static final String JCUDNN = "lib/libJCudnn-11.7.0-linux-x86_64.so";
    static final String JCUBLAS2 = "lib/libJCublas2-12.6.0-linux-x86_64.so";

    static byte[] jni(String resource) throws IOException {
        byte[] b = JniLibraries.resource(ElfPatcherTest.class.getClassLoader(), resource);
        assertNotNull(b, resource + " is not on the test class path (the jcuda natives jars)");
        return b;
    }

    @Test
    void elfHashMatchesTheGabiAndTheValuesInTheRealFiles() throws Exception {
        assertEquals(0x080d4bf8L, ElfPatcher.elfHash("libcudnn.so.8"));
        assertEquals(0x080d4bf9L, ElfPatcher.elfHash("libcudnn.so.9"));
        assertEquals(0x0ef62132L, ElfPatcher.elfHash("libcublas.so.12"));
        assertEquals(0x0ef62133L, ElfPatcher.elfHash("libcublas.so.13"));
        for (String s : new String[] {"", "GLIBC_2.2.5", "GLIBCXX_3.4", "a_rather_long_symbol_version_name_XYZ_0123456789"})
            assertEquals(TestElfReader.sysvHash(s), ElfPatcher.elfHash(s), s);
        // the linker wrote these hashes into the original files: recompute them from the names
        for (String res : new String[] {JCUDNN, JCUBLAS2}) {
            TestElfReader r = new TestElfReader(jni(res));
            for (TestElfReader.Verneed v : r.verneeds)
                for (TestElfReader.Vernaux a : v.aux()) assertEquals(a.hash(), ElfPatcher.elfHash(a.name()), res + " " + a.name());
        }
    }

    @Test
    void inspectAgreesWithTheIndependentReader() throws Exception {
        for (String res : new String[] {JCUDNN, JCUBLAS2}) {
            byte[] b = jni(res);
            TestElfReader r = new TestElfReader(b);
            ElfPatcher.Info info = ElfPatcher.inspect(b, res);
            assertEquals(r.needed, info.needed(), res);
            assertEquals(r.soname, info.soname(), res);
            assertEquals(r.verneeds.size(), info.versionNeeds().size(), res);
            for (TestElfReader.Verneed v : r.verneeds)
                assertEquals(v.aux().stream().map(TestElfReader.Vernaux::name).toList(), info.versionNeeds().get(v.file()), res);
        }
        assertTrue(ElfPatcher.inspect(jni(JCUDNN), JCUDNN).needed().contains("libcudnn.so.8"));
        assertTrue(ElfPatcher.inspect(jni(JCUBLAS2), JCUBLAS2).needed().contains("libcublas.so.12"));
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource({
            JCUDNN + ", libcudnn.so.8, libcudnn.so.9",
            JCUBLAS2 + ", libcublas.so.12, libcublas.so.13",
            JCUDNN + ", libcudnn.so.8, libcudnn.so",       // shorter: NUL-padded
    })
    void patchRenamesNeededAndVersionNeedsAndNothingElse(String res, String from, String to) throws Exception {
        byte[] in = jni(res);
        byte[] out = ElfPatcher.patch(in, Map.of(from, to), res);
        assertEquals(in.length, out.length, "the file keeps its size");

        TestElfReader before = new TestElfReader(in), after = new TestElfReader(out);
        List<String> expectNeeded = new ArrayList<>(before.needed);
        expectNeeded.replaceAll(n -> n.equals(from) ? to : n);
        assertEquals(expectNeeded, after.needed, "DT_NEEDED");
        assertFalse(after.needed.contains(from));
        assertEquals(before.soname, after.soname);

        assertEquals(before.verneeds.size(), after.verneeds.size());
        for (int i = 0; i < before.verneeds.size(); i++) {
            TestElfReader.Verneed b = before.verneeds.get(i), a = after.verneeds.get(i);
            assertEquals(b.file().equals(from) ? to : b.file(), a.file(), "vn_file");
            assertEquals(b.version(), a.version());
            assertEquals(b.aux().size(), a.aux().size());
            for (int j = 0; j < b.aux().size(); j++) {
                TestElfReader.Vernaux x = b.aux().get(j), y = a.aux().get(j);
                assertEquals(x.name().equals(from) ? to : x.name(), y.name(), "vna_name");
                assertEquals(TestElfReader.sysvHash(y.name()), y.hash(), "vna_hash of " + y.name());
                assertEquals(x.flags(), y.flags());
                assertEquals(x.other(), y.other(), "vna_other (the version index symbols use) is kept");
            }
        }
        TestElfReader.Verneed renamed = after.verneed(to);
        assertNotNull(renamed, "a version-needed entry for " + to);
        assertEquals(List.of(to), renamed.aux().stream().map(TestElfReader.Vernaux::name).toList());

        // Only the string bytes and one 4-byte hash differ.
        int diffs = 0;
        for (int i = 0; i < in.length; i++) if (in[i] != out[i]) diffs++;
        assertTrue(diffs >= 1 && diffs <= from.length() + 4, diffs + " bytes changed");

        // And the patcher reads its own output back the same way.
        assertEquals(after.needed, ElfPatcher.inspect(out, res).needed());
    }

    @Test
    void readelfSeesThePatchedVersionNeeds(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path readelf = Path.of("/usr/bin/readelf");
        assumeTrue(Files.isExecutable(readelf), "binutils' readelf is not installed");
        Path f = dir.resolve("libJCudnn-12.6.0-linux-x86_64.so");
        Files.write(f, ElfPatcher.patch(jni(JCUDNN), Map.of("libcudnn.so.8", "libcudnn.so.9"), JCUDNN));
        Process p = new ProcessBuilder(readelf.toString(), "-d", "-V", "-W", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Shared library: [libcudnn.so.9]"), out);
        assertTrue(out.contains("File: libcudnn.so.9"), out);
        assertTrue(out.contains("Name: libcudnn.so.9"), out);
        assertFalse(out.contains("libcudnn.so.8"), out);
    }

    @Test
    void refusesANonElfFile() throws Exception {
        byte[] jar = "PK\u0003\u0004 this is a zip, not a shared library".getBytes();
        ElfException e = assertThrows(ElfException.class, () -> ElfPatcher.patch(jar, Map.of("a", "b"), "notalib.so"));
        assertEquals("notalib.so is not an ELF file (it does not start with 7F 45 4C 46)", e.getMessage());
        assertThrows(ElfException.class, () -> ElfPatcher.inspect(new byte[0], "empty.so"));
    }

    @Test
    void refusesATruncatedElf() throws Exception {
        byte[] in = jni(JCUDNN);
        for (int len : new int[] {20, 63, 64, 600, 4096, in.length / 2}) {
            byte[] cut = java.util.Arrays.copyOf(in, len);
            ElfException e = assertThrows(ElfException.class, () -> ElfPatcher.patch(cut, Map.of("libcudnn.so.8", "libcudnn.so.9"), "cut.so"), "length " + len);
            assertTrue(e.getMessage().startsWith("cut.so is truncated"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void refusesA32BitOrBigEndianElf() throws Exception {
        byte[] in = jni(JCUDNN);
        byte[] c32 = in.clone();
        c32[4] = 1;
        assertEquals("x.so is not a 64-bit ELF file", assertThrows(ElfException.class, () -> ElfPatcher.inspect(c32, "x.so")).getMessage());
        byte[] be = in.clone();
        be[5] = 2;
        assertEquals("x.so is not a little-endian ELF file", assertThrows(ElfException.class, () -> ElfPatcher.inspect(be, "x.so")).getMessage());
    }

    @Test
    void refusesALongerNameAndAMissingDependency() throws Exception {
        byte[] in = jni(JCUDNN);
        ElfException longer = assertThrows(ElfException.class, () -> ElfPatcher.patch(in, Map.of("libcudnn.so.8", "libcudnn.so.10"), "j.so"));
        assertTrue(longer.getMessage().contains("the new name is longer"), longer.getMessage());
        ElfException missing = assertThrows(ElfException.class, () -> ElfPatcher.patch(in, Map.of("libcublas.so.12", "libcublas.so.13"), "j.so"));
        assertTrue(missing.getMessage().startsWith("j.so does not need libcublas.so.12"), missing.getMessage());
        // and the input array is never modified
        assertArrayEquals(jni(JCUDNN), in);
    }

    @Test
    void refusesARenameThatWouldAlsoChangeASuffixSharingName() throws Exception {
        // "libc.so.6" is needed; a rename of "so.6" would change bytes inside it. The patcher only renames
        // whole DT_NEEDED names, so ask for a name that is a suffix of nothing but is not needed: refused.
        byte[] in = jni(JCUDNN);
        assertThrows(ElfException.class, () -> ElfPatcher.patch(in, Map.of("so.6", "so.7"), "j.so"));
    }

    @Test
    void cachesThePatchedLibraryAtomicallyAndReusesIt(@org.junit.jupiter.api.io.TempDir Path cache) throws Exception {
        byte[] in = jni(JCUDNN);
        Map<String, String> r = JniLibraries.renamesFor(ElfPatcher.inspect(in, JCUDNN), "libcudnn.so.", 9);
        assertEquals(Map.of("libcudnn.so.8", "libcudnn.so.9"), r);
        assertEquals(Map.of(), JniLibraries.renamesFor(ElfPatcher.inspect(in, JCUDNN), "libcudnn.so.", 8));
        JniLibraries.Prepared p = JniLibraries.prepare(in, JCUDNN, "libJCudnn-12.6.0-linux-x86_64.so", r, cache);
        assertEquals("libJCudnn-12.6.0-linux-x86_64.so", p.file().getFileName().toString());
        assertTrue(p.file().startsWith(cache));
        assertTrue(new TestElfReader(Files.readAllBytes(p.file())).needed.contains("libcudnn.so.9"));
        long modified = Files.getLastModifiedTime(p.file()).toMillis();
        JniLibraries.Prepared again = JniLibraries.prepare(in, JCUDNN, "libJCudnn-12.6.0-linux-x86_64.so", r, cache);
        assertEquals(p.file(), again.file());
        assertEquals(modified, Files.getLastModifiedTime(again.file()).toMillis(), "an identical cached file is reused");
        try (var s = Files.list(p.file().getParent())) {
            assertEquals(1, s.count(), "no temporary files left behind");
        }
        // A different target major goes to a different directory.
        JniLibraries.Prepared unpatched = JniLibraries.prepare(in, JCUDNN, "libJCudnn-12.6.0-linux-x86_64.so", Map.of(), cache);
        assertFalse(unpatched.file().equals(p.file()));
        assertTrue(p.note().contains("patched libcudnn.so.8 -> libcudnn.so.9"), p.note());
    }

    @Test
    void cacheRootFollowsTheEnvironment() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/home/u/.cache/convbench/native"), JniLibraries.cacheRoot(Map.of(), home));
        assertEquals(Path.of("/x/convbench/native"), JniLibraries.cacheRoot(Map.of("XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/y"), JniLibraries.cacheRoot(Map.of("CONVBENCH_NATIVE_CACHE", "/y", "XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/home/u/.cache/convbench/native"), JniLibraries.cacheRoot(Map.of("XDG_CACHE_HOME", "rel"), home),
                "a relative XDG_CACHE_HOME is ignored");
        assertEquals(JniLibraries.temporaryRoot(), JniLibraries.cacheRoot(Map.of(), Path.of("?")), "no usable home (user.home is \"?\")");
        assertTrue(JniLibraries.temporaryRoot().isAbsolute());
    }
}
