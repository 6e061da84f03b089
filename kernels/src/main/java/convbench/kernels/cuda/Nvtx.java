package convbench.kernels.cuda;

import convbench.kernels.natives.ElfException;
import convbench.kernels.natives.JniLibraries;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * NVTX ranges (Nsight Systems' timeline) through a small JNI shim over NVTX3's header-only API
 * ({@code src/main/c/convbench_nvtx.c}), built by the kernels module where gcc and a CUDA toolkit's nvtx3
 * headers are present and packed in the jar. NVTX3 needs no library at run time: under {@code nsys profile}
 * it loads nsys's injection library itself (NVTX_INJECTION64_PATH); without a tool a range costs one
 * indirect call. Where the shim was not built, or cannot load, every call is a no-op and
 * {@link #enable()} says why in one line.
 *
 * <p>Ranges are per thread and nest: {@link #push} opens one, {@link #pop} closes the innermost.
 */
public final class Nvtx {
    private Nvtx() {}

    /** Where the build puts the shim in the jar. */
    static final String RESOURCE = "convbench/kernels/linux-x86_64/libconvbench_nvtx.so";

    private static boolean tried;
    private static volatile boolean loaded;
    private static String note;

    /**
     * Loads the shim once. Returns null when NVTX ranges will be recorded (by a tool, when one is attached),
     * else the one-line reason they will not.
     */
    public static synchronized String enable() {
        if (tried) return loaded ? null : note;
        tried = true;
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT), arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64")))
            return note = "NVTX ranges are off: the NVTX shim is built for Linux x86-64 only";
        try {
            byte[] lib = JniLibraries.resource(Nvtx.class.getClassLoader(), RESOURCE);
            if (lib == null)
                return note = "NVTX ranges are off: this build has no NVTX shim (it is built where gcc and a CUDA toolkit's "
                        + "nvtx3 headers are present: set CUDA_HOME, or -Dnvtx.include=DIR, and rebuild)";
            Map<String, String> env = System.getenv();
            Path root = JniLibraries.cacheRoot(env, Path.of(System.getProperty("user.home", "?")));
            Path file;
            try {
                file = JniLibraries.prepare(lib, RESOURCE, "libconvbench_nvtx.so", Map.of(), root).file();
            } catch (IOException e) {
                file = JniLibraries.prepare(lib, RESOURCE, "libconvbench_nvtx.so", Map.of(), JniLibraries.temporaryRoot()).file();
            }
            System.load(file.toAbsolutePath().toString());
            loaded = true;
            return null;
        } catch (IOException | ElfException | UnsatisfiedLinkError e) {
            return note = "NVTX ranges are off: the NVTX shim could not be loaded (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")";
        }
    }

    /** True once {@link #enable()} has loaded the shim. */
    public static synchronized boolean enabled() { return loaded; }

    /** Opens a range on this thread (a no-op unless enabled). */
    public static void push(String name) {
        if (loaded) push0(name);
    }

    /** Closes this thread's innermost range (a no-op unless enabled). */
    public static void pop() {
        if (loaded) pop0();
    }

    /** A point on the timeline (a no-op unless enabled). */
    public static void mark(String name) {
        if (loaded) mark0(name);
    }

    private static native int push0(String name);

    private static native int pop0();

    private static native void mark0(String name);
}
