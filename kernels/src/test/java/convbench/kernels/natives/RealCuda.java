package convbench.kernels.natives;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real-library tier's libraries: cuDNN 9.5.1 and cuBLAS 12.6.3 from Maven Central
 * (org.bytedeco:cuda:12.6-9.5-1.5.11:linux-x86_64-redist), unpacked by the build's real-cuda profile into
 * target/real-cuda/lib. Without them (profile off, or the fetch failed) a test skips with the reason.
 */
public final class RealCuda {
    private RealCuda() {}

    /** The folder the profile unpacks into (system property convbench.realCudaDir, set by the pom). */
    public static Path dir() {
        String d = System.getProperty("convbench.realCudaDir");
        return d == null || d.isBlank() || d.startsWith("${") ? Path.of("target", "real-cuda") : Path.of(d);
    }

    /** The unpacked libraries' folder; skips the calling test, saying why, when they are not there. */
    public static Path lib() throws IOException {
        Path dir = dir(), lib = dir.resolve("lib");
        if (Files.isRegularFile(lib.resolve(".complete"))) return lib;
        Path why = dir.resolve("unavailable.txt");
        assumeTrue(false, Files.isRegularFile(why)
                ? "the real cuDNN / cuBLAS are not here: " + Files.readString(why).trim()
                : "the real-library tier was not asked for (mvn verify -Preal-cuda fetches cuDNN 9.5 and cuBLAS 12.6 from Maven Central, "
                        + "2.0 GB once, and unpacks them into " + lib + ")");
        return lib;
    }

    /** The output of a child JVM (same class path) running main with args and the given extra environment. */
    public static String child(Class<?> main, Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        assertTrue(p.exitValue() == 0, "child JVM exit " + p.exitValue() + ":\n" + out);
        return out;
    }
}
