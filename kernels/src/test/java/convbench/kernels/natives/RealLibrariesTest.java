package convbench.kernels.natives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real-library tier, part 1 (see {@link RealCuda}): the real cuDNN 9.5.1 and cuBLAS 12.6.3, no GPU.
 * <ul>
 *   <li>the project's own loader finds and loads them and the patched JCudnn / JCublas2 JNI libraries (lazy
 *       binding), says what it loaded from where, and host-side calls go through;</li>
 *   <li>every cuDNN and cuBLAS function the project's sources call is imported by the (patched) JNI library
 *       under the version of the installed library and exported by the real library at that version, read from
 *       the ELF symbol and version tables with the tests' own ELF reader;</li>
 *   <li>the list of functions cuDNN 9 removed (which {@link RemovedCudnnCallsTest} keeps out of the sources) is
 *       exactly what JCudnn 11.7 imports and the real libcudnn.so.9 does not export, and JCublas2 12.6 finds
 *       every one of its imports in the real cuBLAS 12.6.</li>
 * </ul>
 */
class RealLibrariesTest {
    static final String JCUDNN = "lib/libJCudnn-11.7.0-linux-x86_64.so";
    static final String JCUBLAS2 = "lib/libJCublas2-12.6.0-linux-x86_64.so";

    @TempDir Path cache;

    @Test
    void theProjectsLoaderLoadsTheRealLibrariesThroughThePatchedJniLibraries() throws Exception {
        Path lib = RealCuda.lib().toAbsolutePath();
        long t0 = System.nanoTime();
        String out = RealCuda.child(RealLoadMain.class, Map.of(), lib.toString(), cache.toString());
        System.out.println("RealLoadMain (" + (System.nanoTime() - t0) / 1_000_000 + " ms):\n" + out);
        assertTrue(out.contains("report: cuDNN = " + lib.resolve("libcudnn.so.9") + " (LD_LIBRARY_PATH, 4 files)"), out);
        assertTrue(out.contains("report: cuBLAS = " + lib.resolve("libcublas.so.12") + " (LD_LIBRARY_PATH, 2 files)"), out);
        assertTrue(out.contains("libJCudnn-12.6.0-linux-x86_64.so (from " + JCUDNN + ", patched libcudnn.so.8 -> libcudnn.so.9)"), out);
        assertTrue(out.contains("libJCublas2-12.6.0-linux-x86_64.so (from " + JCUBLAS2 + ")"), out); // 12 = 12: no patch
        assertTrue(out.contains("report: JCudnn JNI = " + cache), out);
        assertTrue(out.contains("cudnnGetVersion: 90501"), out);
        assertTrue(out.contains("cudnnGetProperty: 0:9 0:5 0:1"), out);
        assertTrue(out.contains("cudnnGetErrorString(2000): CUDNN_STATUS_BAD_PARAM"), out);
        assertTrue(out.contains("cudnnGetErrorString(3000): CUDNN_STATUS_NOT_SUPPORTED"), out);
        assertTrue(out.contains("cublasGetProperty: 0:12 0:6 0:3"), out);
        assertTrue(out.contains("cudnnCreate: 1001"), out); // CUDNN_STATUS_NOT_INITIALIZED: no driver
        assertTrue(out.contains("cublasCreate: 1"), out); // CUBLAS_STATUS_NOT_INITIALIZED
        assertTrue(out.contains("done"), out);
    }

    /** Java names of the JCudnn / JCublas2 methods the project's main sources call. */
    static Map<String, Set<String>> calledFunctions() throws Exception {
        Set<String> dnn = methodNames("jcuda.jcudnn.JCudnn"), blas = methodNames("jcuda.jcublas.JCublas2");
        Pattern call = Pattern.compile("(?<!new )\\b((?:cudnn|cublas)[A-Z]\\w*)\\s*\\(");
        Map<String, Set<String>> found = new TreeMap<>(Map.of("cudnn", new TreeSet<>(), "cublas", new TreeSet<>()));
        for (Path f : mainSources()) {
            Matcher m = call.matcher(Files.readString(f, StandardCharsets.UTF_8));
            while (m.find()) {
                String name = m.group(1);
                if (dnn.contains(name)) found.get("cudnn").add(name);
                else if (blas.contains(name)) found.get("cublas").add(name);
            }
        }
        return found;
    }

    /** Every .java file under a module's src/main/java (tests run in the kernels module's folder). */
    static List<Path> mainSources() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String module : new String[] {"engine", "kernels", "nets", "bench"}) {
            Path src = Path.of("..", module, "src", "main", "java");
            if (!Files.isDirectory(src)) continue;
            try (Stream<Path> s = Files.walk(src)) {
                files.addAll(s.filter(p -> p.toString().endsWith(".java")).toList());
            }
        }
        assertTrue(files.size() > 50, "the sources were not found from " + Path.of("").toAbsolutePath());
        return files;
    }

    static Set<String> methodNames(String className) throws ClassNotFoundException {
        Class<?> c = Class.forName(className, false, RealLibrariesTest.class.getClassLoader()); // not initialised: nothing is loaded
        return Stream.of(c.getDeclaredMethods()).map(Method::getName).collect(Collectors.toSet());
    }

    static TestElfReader patchedJni(String resource, String from, String to) throws Exception {
        byte[] in = JniLibraries.resource(RealLibrariesTest.class.getClassLoader(), resource);
        return new TestElfReader(from.equals(to) ? in : ElfPatcher.patch(in, Map.of(from, to), resource));
    }

    @Test
    void everyFunctionTheProjectCallsIsExportedByTheRealLibraryAtTheImportedVersion() throws Exception {
        Path lib = RealCuda.lib();
        Map<String, Set<String>> called = calledFunctions();
        assertTrue(called.get("cudnn").size() > 50, "cuDNN calls found: " + called.get("cudnn"));
        assertTrue(called.get("cublas").size() >= 5, "cuBLAS calls found: " + called.get("cublas"));
        check(called.get("cudnn"), patchedJni(JCUDNN, "libcudnn.so.8", "libcudnn.so.9"), TestElfReader.of(lib.resolve("libcudnn.so.9")), "libcudnn.so.9");
        check(called.get("cublas"), patchedJni(JCUBLAS2, "libcublas.so.12", "libcublas.so.12"), TestElfReader.of(lib.resolve("libcublas.so.12")), "libcublas.so.12");
        System.out.println("called and exported at their version: " + called.get("cudnn").size() + " cuDNN functions, "
                + called.get("cublas").size() + " cuBLAS functions " + called.get("cublas"));
    }

    /** Each Java name's C function (the name, or cuBLAS's name_v2) is imported at soname's version and exported there. */
    private static void check(Set<String> javaNames, TestElfReader jni, TestElfReader real, String soname) {
        Map<String, TestElfReader.Sym> imports = jni.imports(), exports = real.exports();
        assertEquals(soname, real.soname);
        List<String> wrong = new ArrayList<>();
        for (String j : javaNames) {
            TestElfReader.Sym imp = imports.containsKey(j + "_v2") ? imports.get(j + "_v2") : imports.get(j);
            if (imp == null) { wrong.add(j + ": not imported by the JNI library"); continue; }
            if (!soname.equals(imp.version()) || !soname.equals(imp.file())) {
                wrong.add(imp.name() + ": imported at " + imp.version() + " from " + imp.file());
                continue;
            }
            TestElfReader.Sym exp = exports.get(imp.name());
            if (exp == null) wrong.add(imp.name() + ": not exported by " + soname);
            else if (!soname.equals(exp.version()) || exp.type() != 2) // STT_FUNC
                wrong.add(imp.name() + ": exported as " + exp);
        }
        assertEquals(List.of(), wrong, soname);
    }

    @Test
    void theRemovedListIsWhatCudnn9RemovedAndJCublas2FindsAllItsImports() throws Exception {
        Path lib = RealCuda.lib();
        TestElfReader cudnn = TestElfReader.of(lib.resolve("libcudnn.so.9"));
        Map<String, TestElfReader.Sym> exports = cudnn.exports();
        Set<String> missing = new TreeSet<>();
        for (TestElfReader.Sym s : patchedJni(JCUDNN, "libcudnn.so.8", "libcudnn.so.9").imports().values())
            if ("libcudnn.so.9".equals(s.file()) && !"libcudnn.so.9".equals(exports.containsKey(s.name()) ? exports.get(s.name()).version() : null))
                missing.add(s.name());
        assertEquals(RemovedCudnnCallsTest.removed(), missing, "JCudnn 11.7's imports that cuDNN 9.5 does not export");

        Map<String, TestElfReader.Sym> blasExports = TestElfReader.of(lib.resolve("libcublas.so.12")).exports();
        int n = 0;
        List<String> unresolved = new ArrayList<>();
        for (TestElfReader.Sym s : patchedJni(JCUBLAS2, "libcublas.so.12", "libcublas.so.12").imports().values()) {
            if (!"libcublas.so.12".equals(s.file())) continue;
            n++;
            TestElfReader.Sym e = blasExports.get(s.name());
            if (e == null || !"libcublas.so.12".equals(e.version())) unresolved.add(s.name());
        }
        assertEquals(List.of(), unresolved);
        assertEquals(494, n, "JCublas2 12.6's cuBLAS imports");
    }
}
