package convbench.kernels.natives;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole library stage of the native loader on a machine without a GPU: stub libcublas.so.13 /
 * libcudnn.so.9 (built here with gcc, each exporting a few functions under the version node named
 * after its SONAME, as the real ones do) are found through LD_LIBRARY_PATH, loaded in dependency
 * order, and the patched JCublas2 12.6 / JCudnn 11.7 JNI libraries are loaded through JCuda's own
 * class initialisers, which then call into the stubs. This is what the dynamic linker would refuse
 * without the patch ("version `libcudnn.so.8' not found"). Runs in a child JVM.
 */
class JniStubLoadTest {
    @TempDir static Path dir;
    static Path cublas, cudnn;

    static void gcc(Path out, String source, String soname, String... extra) throws Exception {
        Path c = out.resolveSibling(soname + ".c"), map = out.resolveSibling(soname + ".map");
        Files.writeString(c, source);
        Files.writeString(map, soname + " { global: *; };\n");
        List<String> cmd = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-o", out.toString(), c.toString(),
                "-Wl,-soname," + soname, "-Wl,--version-script=" + map, "-Wl,--no-as-needed"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "gcc: " + log);
    }

    static boolean hasGcc() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @BeforeAll
    static void stubs() throws Exception {
        assumeTrue(hasGcc(), "gcc is not installed, so no stub CUDA libraries can be built");
        cublas = Files.createDirectories(dir.resolve("cu13/lib"));
        cudnn = Files.createDirectories(dir.resolve("cudnn/lib"));
        gcc(cublas.resolve("libcublasLt.so.13"), "int cublasLtStub(void) { return 13; }\n", "libcublasLt.so.13");
        gcc(cublas.resolve("libcublas.so.13"), """
                int cublasLtStub(void);
                int cublasGetProperty(int type, int *value) { *value = type == 0 ? cublasLtStub() : 1; return 0; }
                """, "libcublas.so.13", "-L" + cublas, "-l:libcublasLt.so.13");
        gcc(cudnn.resolve("libcudnn_graph.so.9"), "int cudnnGraphStub(void) { return 90700; }\n", "libcudnn_graph.so.9");
        gcc(cudnn.resolve("libcudnn_ops.so.9"), "int cudnnOpsStub(void) { return 0; }\n", "libcudnn_ops.so.9",
                "-L" + cudnn, "-l:libcudnn_graph.so.9");
        gcc(cudnn.resolve("libcudnn_cnn.so.9"), "int cudnnCnnStub(void) { return 0; }\n", "libcudnn_cnn.so.9",
                "-L" + cudnn, "-l:libcudnn_ops.so.9");
        // libcudnn.so.9 needs libcudnn_graph.so.9 and has no RUNPATH: it only loads if the graph library is loaded first.
        gcc(cudnn.resolve("libcudnn.so.9"), """
                #include <stddef.h>
                int cudnnGraphStub(void);
                size_t cudnnGetVersion(void) { return (size_t) cudnnGraphStub(); }
                const char *cudnnGetErrorString(int s) { return s == 2000 ? "CUDNN_STATUS_BAD_PARAM" : "CUDNN_STATUS_STUB"; }
                """, "libcudnn.so.9", "-L" + cudnn, "-l:libcudnn_graph.so.9");
        // An optional sub-library whose own dependency is missing: skipped, not fatal.
        Path missing = Files.createDirectories(dir.resolve("elsewhere"));
        gcc(missing.resolve("libmissingdep.so.1"), "int missingDep(void) { return 1; }\n", "libmissingdep.so.1");
        gcc(cudnn.resolve("libcudnn_adv.so.9"), "int missingDep(void);\nint advStub(void) { return missingDep(); }\n",
                "libcudnn_adv.so.9", "-L" + missing, "-l:libmissingdep.so.1");
    }

    @Test
    void patchedJniLibrariesLoadAgainstVersionedStubsAndCallThrough() throws Exception {
        Path cache = Files.createDirectories(dir.resolve("cache"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), StubLoadMain.class.getName(),
                cublas + ":" + cudnn, cache.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("tmpdir restored: true"), out);
        assertTrue(out.contains("cudnnGetVersion: 90700"), out);
        assertTrue(out.contains("cudnnGetErrorString(2000): CUDNN_STATUS_BAD_PARAM"), out);
        assertTrue(out.contains("cublasGetProperty(MAJOR): 0 13"), out);
        assertTrue(out.contains("report: cuDNN = " + cudnn.resolve("libcudnn.so.9") + " (LD_LIBRARY_PATH, 5 files, not loaded: libcudnn_adv.so.9)"), out);
        assertTrue(out.contains("report: cuBLAS = " + cublas.resolve("libcublas.so.13") + " (LD_LIBRARY_PATH, 2 files)"), out);
        assertTrue(out.contains("report: JCudnn JNI = " + cache), out);
        assertTrue(out.contains("libJCudnn-12.6.0-linux-x86_64.so (from lib/libJCudnn-11.7.0-linux-x86_64.so, patched libcudnn.so.8 -> libcudnn.so.9)"), out);
        assertTrue(out.contains("libJCublas2-12.6.0-linux-x86_64.so (from lib/libJCublas2-12.6.0-linux-x86_64.so, patched libcublas.so.12 -> libcublas.so.13)"), out);
        String order = out.lines().filter(l -> l.startsWith("cudnn order: ")).findFirst().orElseThrow();
        List<String> names = List.of(order.substring("cudnn order: ".length()).split(","));
        assertTrue(names.indexOf("libcudnn_graph.so.9") < names.indexOf("libcudnn.so.9"), order);
        assertTrue(names.indexOf("libcudnn_graph.so.9") < names.indexOf("libcudnn_ops.so.9"), order);
        assertTrue(names.indexOf("libcudnn_ops.so.9") < names.indexOf("libcudnn_cnn.so.9"), order);
        assertTrue(out.contains("done"), out);
    }

    @Test
    void anUnpatchedLinkIsWhatTheLinkerRefuses() throws Exception {
        assumeTrue(ModuleLayer.boot().findModule("jdk.compiler").isPresent(), "this runtime cannot launch a source file (no jdk.compiler)");
        // The control: a libcudnn.so.8 name pointing at the cuDNN 9 stub, as a symlink would, fails on the version.
        Path linkDir = Files.createDirectories(dir.resolve("symlinked"));
        Files.copy(cudnn.resolve("libcudnn.so.9"), linkDir.resolve("libcudnn.so.8"));
        Files.copy(cudnn.resolve("libcudnn_graph.so.9"), linkDir.resolve("libcudnn_graph.so.9"));
        Path jni = dir.resolve("libJCudnn-unpatched.so");
        Files.write(jni, ElfPatcherTest.jni(ElfPatcherTest.JCUDNN));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path src = dir.resolve("Load.java");
        Files.writeString(src, "public class Load { public static void main(String[] a) { System.load(a[0]); } }");
        ProcessBuilder pb = new ProcessBuilder(java, src.toString(), jni.toString()).redirectErrorStream(true);
        pb.environment().put("LD_LIBRARY_PATH", linkDir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertTrue(out.contains("version `libcudnn.so.8' not found"), out);
    }
}
