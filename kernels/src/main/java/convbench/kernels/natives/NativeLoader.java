package convbench.kernels.natives;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads the native side of the CUDA backend, in two stages, each once per process:
 * <ol>
 *   <li>{@link #loadDriver}: the NVIDIA driver (libcuda.so.1, by absolute path), then JCuda's runtime and
 *       driver JNI libraries (libJCudaRuntime links the CUDA runtime statically and needs only the driver);</li>
 *   <li>{@link #loadLibraries}, once a device is known to be there: cuBLAS and cuDNN by absolute path
 *       in dependency order, then the JCublas2 and JCudnn JNI libraries, patched where the installed
 *       major differs from the one they were built for (JCublas2 12.6: libcublas.so.12; JCudnn 11.7:
 *       libcudnn.so.8).</li>
 * </ol>
 *
 * <p>How the JNI libraries are made to load: each JCuda class loads its library in its static
 * initializer through {@code jcuda.LibUtils}, which asks for "JCudnn-" + the JCuda version (12.6.0) +
 * "-linux-x86_64": first {@code System.loadLibrary} (java.library.path), then, failing that, the file of
 * that name in {@code java.io.tmpdir}, which it reuses when present and otherwise extracts from the jar.
 * The 11.7.0 natives jar has no libJCudnn-12.6.0 at all. So the loader writes the (patched) library
 * under exactly that name into its own cache directory and initialises the class with
 * {@code java.io.tmpdir} pointing there for the duration of the call. LibUtils then loads our file;
 * being loaded by LibUtils it belongs to JCuda's class loader, where the JNI methods are looked up.
 *
 * <p>Every failure ends in one sentence ({@link Failure}) naming what is missing and the fix.
 */
public final class NativeLoader {
    private NativeLoader() {}

    /** A stage could not complete; the message is the one-sentence reason. */
    public static final class Failure extends Exception {
        public Failure(String message) { super(message); }
    }

    /** What was loaded from where, in load order, for the report header. */
    public static final class Report {
        private final Map<String, String> entries = new LinkedHashMap<>();

        public synchronized void put(String what, String where) { entries.put(what, where); }

        public synchronized Map<String, String> entries() { return new LinkedHashMap<>(entries); }
    }

    public static final Report REPORT = new Report();

    private static boolean driverLoaded, librariesLoaded;
    private static String driverFailure, librariesFailure;
    private static LibraryFinder.LibrarySet cublas, cudnn;

    public static synchronized LibraryFinder.LibrarySet cublas() { return cublas; }

    public static synchronized LibraryFinder.LibrarySet cudnn() { return cudnn; }

    // ---- stage 1 ----

    /** The driver and JCuda's runtime and driver bindings; throws the same reason on every call after a failure. */
    public static synchronized void loadDriver(SearchEnv env) throws Failure {
        if (driverLoaded) return;
        if (driverFailure != null) throw new Failure(driverFailure);
        try {
            platformCheck(env);
            Path libcuda = new LibraryFinder(env).findDriver();
            if (ModuleLayer.boot().findModule("java.logging").isEmpty()) // JCuda's LibUtils logs through java.util.logging
                throw new Failure("this Java runtime has no java.logging module, which JCuda's native loader needs: "
                        + "add java.logging to the jlink --add-modules list that built it");
            loadFile(libcuda, "the NVIDIA driver");
            REPORT.put("libcuda.so.1", libcuda.toString());
            initJni("jcuda.runtime.JCuda", "JCudaRuntime", jarName("JCudaRuntime", false), Map.of(), env, "JCuda runtime");
            initJni("jcuda.driver.JCudaDriver", "JCudaDriver", jarName("JCudaDriver", false), Map.of(), env, "JCuda driver API");
            driverLoaded = true;
        } catch (Failure e) {
            driverFailure = e.getMessage();
            throw e;
        } catch (LibraryFinder.NotFound e) {
            driverFailure = e.getMessage();
            throw new Failure(driverFailure);
        }
    }

    private static void platformCheck(SearchEnv env) throws Failure {
        String os = System.getProperty("os.name", ""), arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase(java.util.Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64")))
            throw new Failure("the CUDA backend runs on Linux x86-64 only, and this is " + os + " " + arch + ": use --device cpu");
        String bindNow = env.get("LD_BIND_NOW");
        if (bindNow != null)
            throw new Failure("LD_BIND_NOW is set, which makes the dynamic linker resolve every symbol JCudnn 11.7 imports, "
                    + "including ones cuDNN 9 removed: unset LD_BIND_NOW");
    }

    // ---- stage 2 ----

    /**
     * cuBLAS and cuDNN, then their JNI bindings.
     *
     * @param driverVersion the CUDA version the driver supports (cudaDriverGetVersion, e.g. 13000): a cuBLAS
     *                      newer than it is skipped
     */
    public static synchronized void loadLibraries(SearchEnv env, int driverVersion) throws Failure {
        if (librariesLoaded) return;
        if (librariesFailure != null) throw new Failure(librariesFailure);
        try {
            LibraryFinder finder = new LibraryFinder(env);
            LibraryFinder.LibrarySet blas = finder.findCublas(driverVersion / 1000);
            LibraryFinder.LibrarySet dnn = finder.findCudnn();
            loadSet(blas, Set.of());
            loadNvrtc(blas);
            loadSet(dnn, requiredCudnn(dnn.major()));
            initJni("jcuda.jcublas.JCublas2", "JCublas2", jarName("JCublas2", false), Map.of("libcublas.so.", blas.major()), env, "JCublas2");
            initJni("jcuda.jcudnn.JCudnn", "JCudnn", jarName("JCudnn", true), Map.of("libcudnn.so.", dnn.major()), env, "JCudnn");
            cublas = blas;
            cudnn = dnn;
            librariesLoaded = true;
        } catch (Failure e) {
            librariesFailure = e.getMessage();
            throw e;
        } catch (LibraryFinder.NotFound e) {
            librariesFailure = e.getMessage();
            throw new Failure(librariesFailure);
        }
    }

    /**
     * NVRTC from beside cuBLAS, when it is there: optional (without it cuDNN only lacks its runtime-compiled
     * engines), so a failure is reported, not thrown.
     */
    private static void loadNvrtc(LibraryFinder.LibrarySet blas) {
        List<Path> files = LibraryFinder.nvrtcBeside(blas);
        if (files.isEmpty()) {
            REPORT.put("NVRTC", "not found beside cuBLAS (cuDNN's runtime-compiled engines may be unavailable)");
            return;
        }
        for (Path f : files) {
            try {
                loadFile(f, "NVRTC");
            } catch (Failure e) {
                REPORT.put("NVRTC", "not loaded: " + e.getMessage());
                return;
            }
        }
        REPORT.put("NVRTC", files.get(files.size() - 1).toString());
    }

    /** The sub-libraries the legacy API needs; the others (adv, newer engines) are loaded when they load. */
    private static Set<String> requiredCudnn(int major) {
        return major >= 9
                ? Set.of("libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9")
                : Set.of("libcudnn.so.8", "libcudnn_ops_infer.so.8", "libcudnn_ops_train.so.8", "libcudnn_cnn_infer.so.8", "libcudnn_cnn_train.so.8");
    }

    /**
     * Loads a library set by absolute path in dependency order. A file named in required (or every file
     * when required is empty) must load; others that fail are recorded and skipped.
     */
    public static void loadSet(LibraryFinder.LibrarySet set, Set<String> required) throws Failure {
        List<String> skipped = new ArrayList<>();
        for (Path f : LinkOrder.order(set.files())) {
            String name = f.getFileName().toString();
            try {
                loadFile(f, set.library());
            } catch (Failure e) {
                if (required.isEmpty() || required.contains(name)) throw e;
                skipped.add(name);
            }
        }
        REPORT.put(set.library(), set.main() + " (" + set.source() + (set.files().size() > 1 ? ", " + set.files().size() + " files" : "")
                + (skipped.isEmpty() ? "" : ", not loaded: " + String.join(", ", skipped)) + ")");
    }

    private static void loadFile(Path f, String what) throws Failure {
        try {
            System.load(f.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new Failure(what + " could not be loaded from " + f + " (" + dlerror(e) + "): "
                    + "check that it matches this machine's driver, or point LD_LIBRARY_PATH / CUDNN_PATH at another installation");
        }
    }

    // ---- the JNI libraries ----

    /** JCudnn on Maven Central stops at 11.7.0 (the cuDNN 8.4 API); the other natives follow JCuda. */
    public static final String JCUDNN_NATIVES_VERSION = "11.7.0";

    /** The file in the natives jar: lib/libJCudnn-11.7.0-linux-x86_64.so, lib/libJCublas2-12.6.0-linux-x86_64.so, ... */
    public static String jarName(String base, boolean jcudnn) {
        String version = jcudnn ? JCUDNN_NATIVES_VERSION : jcuda.JCudaVersion.get();
        return "lib/" + jcuda.LibUtils.createLibraryFileName(base + "-" + version + "-linux-x86_64");
    }

    /**
     * Prepares the JNI library and initialises the JCuda class that loads it.
     *
     * @param renameMajors for each DT_NEEDED prefix ("libcudnn.so."), the installed major to point it at
     */
    public static void initJni(String className, String base, String resource, Map<String, Integer> renameMajors,
                               SearchEnv env, String what) throws Failure {
        String target = jcuda.LibUtils.createLibraryFileName(jcuda.LibUtils.createPlatformLibraryName(base + "-" + jcuda.JCudaVersion.get()));
        JniLibraries.Prepared prepared;
        try {
            byte[] input = JniLibraries.resource(NativeLoader.class.getClassLoader(), resource);
            if (input == null)
                throw new Failure("the " + what + " JNI library " + resource + " is not on the class path: use bench.jar, which bundles the JCuda natives");
            Map<String, String> renames = new LinkedHashMap<>();
            if (!renameMajors.isEmpty()) {
                ElfPatcher.Info info = ElfPatcher.inspect(input, resource);
                renameMajors.forEach((prefix, major) -> renames.putAll(JniLibraries.renamesFor(info, prefix, major)));
            }
            Path root = JniLibraries.cacheRoot(env.env(), env.home());
            try {
                prepared = JniLibraries.prepare(input, resource, target, renames, root);
            } catch (IOException e) {
                // an unwritable home (a container user without one): fall back to the temporary directory
                Path fallback = JniLibraries.temporaryRoot();
                try {
                    prepared = JniLibraries.prepare(input, resource, target, renames, fallback);
                } catch (IOException e2) {
                    throw new Failure("the " + what + " JNI library could not be written to " + root + " (" + e.getMessage() + ") nor to "
                            + fallback + " (" + e2.getMessage() + "): set CONVBENCH_NATIVE_CACHE to a writable directory");
                }
            }
        } catch (ElfException e) {
            throw new Failure("the " + what + " JNI library could not be patched because " + e.getMessage()
                    + ": report this with the jcuda-natives version");
        } catch (IOException e) {
            throw new Failure("the " + what + " JNI library could not be read from the class path (" + e.getMessage()
                    + "): use bench.jar, which bundles the JCuda natives");
        }
        initClass(className, prepared.file().getParent(), what, prepared.file());
        REPORT.put(what + " JNI", prepared.note());
    }

    /** Runs the class's static initializer (which loads its JNI library) with java.io.tmpdir pointing at dir. */
    static void initClass(String className, Path dir, String what, Path file) throws Failure {
        synchronized (System.class) {
            String old = System.getProperty("java.io.tmpdir");
            try {
                System.setProperty("java.io.tmpdir", dir.toString());
                Class.forName(className, true, NativeLoader.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new Failure(className + " is not on the class path: use bench.jar, which bundles JCuda");
            } catch (LinkageError | RuntimeException e) {
                throw new Failure("the " + what + " JNI library " + file + " could not be loaded (" + dlerror(e)
                        + "): check the CUDA libraries named in this message, or report it with this line");
            } finally {
                if (old != null) System.setProperty("java.io.tmpdir", old);
            }
        }
    }

    private static final Pattern ULE = Pattern.compile("UnsatisfiedLinkError: ([^\\n\\r]+)");

    /** The dynamic linker's own words, from a (possibly nested, multi-line) UnsatisfiedLinkError. */
    static String dlerror(Throwable t) {
        String last = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m == null) continue;
            Matcher mm = ULE.matcher(m);
            while (mm.find()) last = mm.group(1).trim();
            if (last == null && c instanceof UnsatisfiedLinkError) last = m.lines().findFirst().orElse(m).trim();
        }
        if (last != null) return last;
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
