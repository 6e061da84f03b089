package convbench.kernels.natives;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the NVIDIA driver (libcuda.so.1), cuBLAS (libcublas.so.13 / .12 with libcublasLt) and cuDNN
 * (libcudnn.so.9 / .8 with its sub-libraries) on this machine without starting a process.
 *
 * <p>Places named by the environment (CUDNN_PATH, CUDA_HOME / CUDA_PATH, LD_LIBRARY_PATH) come first, and
 * there the first place that has the library wins, its newer major first: what the user pointed at is
 * used. Everywhere else the newer major wins over the order (cuBLAS 13 in a Python environment over a
 * stray cuBLAS 12 in /usr/lib: cuDNN 9 for CUDA 13 opens libcublasLt.so.13 itself), then the order:
 * <ol>
 *   <li>cuDNN only: {@code $CUDNN_PATH/lib}, {@code $CUDNN_PATH/lib64}, {@code $CUDNN_PATH};</li>
 *   <li>{@code $CUDA_HOME} then {@code $CUDA_PATH}: {@code lib64}, {@code targets/x86_64-linux/lib}, {@code lib};</li>
 *   <li>each directory of {@code LD_LIBRARY_PATH}, in order;</li>
 *   <li>the linker cache, /etc/ld.so.cache (what {@code ldconfig -p} lists);</li>
 *   <li>the system directories (/usr/lib/x86_64-linux-gnu, /lib/x86_64-linux-gnu, /usr/lib64, /lib64,
 *       /usr/lib, /usr/local/lib), then the CUDA toolkits (/usr/local/cuda, then /usr/local/cuda-X.Y
 *       newest first: lib64, targets/x86_64-linux/lib, lib);</li>
 *   <li>the NVIDIA wheels of Python environments: {@code site-packages/nvidia/cudnn/lib} for cuDNN,
 *       {@code nvidia/cu13/lib}, {@code nvidia/cublas/lib}, {@code nvidia/cu12/lib} for cuBLAS, in the
 *       site-packages of $VIRTUAL_ENV, $CONDA_PREFIX, $PYTHONPATH, virtual environments on $PATH,
 *       ~/.local, /usr/local, /usr, conda / miniforge / pyenv installs and their envs, ~/.venv, ~/venv
 *       and the directories under /opt with their .venv / venv (/opt/torch/.venv on the reference GPU image).</li>
 * </ol>
 * The driver is looked for in LD_LIBRARY_PATH, the linker cache, the system directories and the
 * container locations (/usr/local/nvidia/lib64, /usr/lib/wsl/lib); a toolkit's {@code stubs}
 * directory never counts (its libcuda.so is a link-time stub).
 */
public final class LibraryFinder {
    /** A place searched and why (for messages). */
    public record Location(Path dir, String source) {
        /** Named by the user's environment (a variable), rather than a place searched by default. */
        public boolean explicit() { return EXPLICIT.contains(source); }
    }

    private static final Set<String> EXPLICIT = Set.of("CUDNN_PATH", "CUDA_HOME", "CUDA_PATH", "LD_LIBRARY_PATH");

    /**
     * The places to try for a library with these majors (newest first), as (place, major) in order: the
     * explicit places each with every major, then every major over the other places.
     */
    private static List<Map.Entry<Location, Integer>> candidates(List<Location> locations, int... majors) {
        List<Map.Entry<Location, Integer>> out = new ArrayList<>();
        for (Location l : locations) if (l.explicit()) for (int m : majors) out.add(Map.entry(l, m));
        for (int m : majors) for (Location l : locations) if (!l.explicit()) out.add(Map.entry(l, m));
        return out;
    }

    /**
     * One library and the files to load with it: cuBLAS is libcublasLt + libcublas, cuDNN is libcudnn and
     * its libcudnn_*.so.N sub-libraries from the same directory.
     */
    public record LibrarySet(String library, int major, Path dir, Path main, List<Path> files, String source) {
        public String soname() { return main.getFileName().toString(); }
    }

    /** Nothing usable found; the message is one sentence naming what is missing, where it looked, and the fix. */
    public static final class NotFound extends Exception {
        public NotFound(String message) { super(message); }
    }

    private static final Pattern VERSIONED_CUDA = Pattern.compile("cuda-(\\d+)(?:\\.(\\d+))?");
    private static final Pattern PYTHON_DIR = Pattern.compile("python3(?:\\.(\\d+))?");

    private final SearchEnv env;
    private Map<String, List<Path>> ldCache;

    public LibraryFinder(SearchEnv env) { this.env = env; }

    // ---- the three searches ----

    public Path findDriver() throws NotFound {
        for (Location l : driverLocations()) {
            Path p = l.dir.resolve("libcuda.so.1");
            if (!isStub(p) && Files.isRegularFile(p)) return p;
        }
        throw new NotFound("no NVIDIA driver (libcuda.so.1 not found in " + describe("LD_LIBRARY_PATH")
                + ", the linker cache, /usr/lib/x86_64-linux-gnu, /usr/lib64, /usr/lib or /usr/local/nvidia/lib64)"
                + ": install the NVIDIA driver, or run the container with the GPU exposed (docker run --gpus all)");
    }

    /**
     * @param maxMajor the newest cuBLAS major the driver supports (13 needs a CUDA 13 driver); a newer one
     *                 found is skipped and named in the message when nothing else is found
     */
    public LibrarySet findCublas(int maxMajor) throws NotFound {
        List<String> skipped = new ArrayList<>();
        for (Map.Entry<Location, Integer> c : candidates(cublasLocations(), 13, 12)) {
            Location l = c.getKey();
            int major = c.getValue();
            Path main = l.dir.resolve("libcublas.so." + major), lt = l.dir.resolve("libcublasLt.so." + major);
            if (!Files.isRegularFile(main) || !Files.isRegularFile(lt)) continue;
            if (major > maxMajor) {
                if (!skipped.contains(main.toString())) skipped.add(main.toString());
                continue;
            }
            return new LibrarySet("cuBLAS", major, l.dir, main, List.of(lt, main), l.source);
        }
        String why = skipped.isEmpty() ? "" : " (" + String.join(", ", skipped) + " needs a newer driver than this one)";
        throw new NotFound("no cuBLAS (libcublas.so.13 or libcublas.so.12 with libcublasLt) found in "
                + describe("CUDA_HOME") + ", " + describe("CUDA_PATH") + ", " + describe("LD_LIBRARY_PATH")
                + ", the linker cache, the system directories, /usr/local/cuda*/lib64 or the nvidia wheels of "
                + sitePackagesSummary() + why
                + ": install the CUDA toolkit's cuBLAS (or pip install nvidia-cublas) or add its directory to LD_LIBRARY_PATH");
    }

    public LibrarySet findCudnn() throws NotFound {
        for (Map.Entry<Location, Integer> c : candidates(cudnnLocations(), 9, 8)) {
            Location l = c.getKey();
            int major = c.getValue();
            Path main = l.dir.resolve("libcudnn.so." + major);
            if (!Files.isRegularFile(main)) continue;
            List<Path> files = new ArrayList<>();
            files.add(main);
            Pattern sub = Pattern.compile("libcudnn_[A-Za-z0-9_]+\\.so\\." + major);
            try (Stream<Path> s = Files.list(l.dir)) {
                s.filter(p -> sub.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p))
                        .sorted().forEach(files::add);
            } catch (IOException e) {
                continue;
            }
            return new LibrarySet("cuDNN", major, l.dir, main, List.copyOf(files), l.source);
        }
        throw new NotFound("no cuDNN (libcudnn.so.9 or libcudnn.so.8) found in " + describe("CUDNN_PATH") + ", "
                + describe("CUDA_HOME") + ", " + describe("LD_LIBRARY_PATH")
                + ", the linker cache, the system directories, /usr/local/cuda*/lib64 or the nvidia wheels of "
                + sitePackagesSummary()
                + ": install cuDNN 9 (for example pip install nvidia-cudnn-cu13) or set CUDNN_PATH to the directory that holds libcudnn.so.9");
    }

    /**
     * NVRTC beside cuBLAS (same CUDA major), in load order: libnvrtc-builtins.so.N[.x] first (NVRTC opens it
     * by name, and the redistributed NVRTC has no RUNPATH to find it), then libnvrtc.so.N. cuDNN 9 opens
     * NVRTC by name for its runtime-compiled engines; loaded first, the name resolves. Empty when absent.
     */
    public static List<Path> nvrtcBeside(LibrarySet cublas) {
        Pattern builtins = Pattern.compile("libnvrtc-builtins\\.so\\." + cublas.major() + "(\\.\\d+)*");
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(cublas.dir())) {
            s.filter(p -> builtins.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString().length())) // the soname before longer names
                    .limit(1).forEach(out::add);
        } catch (IOException e) {
            return List.of();
        }
        Path nvrtc = cublas.dir().resolve("libnvrtc.so." + cublas.major());
        if (Files.isRegularFile(nvrtc)) out.add(nvrtc);
        return out;
    }

    // ---- where each search looks, in order ----

    public List<Location> driverLocations() {
        List<Location> out = new ArrayList<>();
        ldLibraryPath(out);
        cache(out, "libcuda.so.1");
        systemDirs(out);
        for (String d : new String[] {"usr/local/nvidia/lib64", "usr/local/nvidia/lib", "usr/lib/wsl/lib"})
            out.add(new Location(env.sys(d), "the container driver directories"));
        return dedupe(out);
    }

    public List<Location> cublasLocations() {
        List<Location> out = new ArrayList<>();
        cudaHome(out);
        ldLibraryPath(out);
        cache(out, "libcublas.so.13", "libcublas.so.12");
        systemDirs(out);
        toolkitDirs(out);
        for (Path site : sitePackages())
            for (String pkg : new String[] {"cu13", "cublas", "cu12"})
                out.add(new Location(site.resolve("nvidia").resolve(pkg).resolve("lib"), "the Python wheels in " + site));
        return dedupe(out);
    }

    public List<Location> cudnnLocations() {
        List<Location> out = new ArrayList<>();
        String cudnnPath = env.get("CUDNN_PATH");
        if (cudnnPath != null) {
            Path p = Path.of(cudnnPath);
            out.add(new Location(p.resolve("lib"), "CUDNN_PATH"));
            out.add(new Location(p.resolve("lib64"), "CUDNN_PATH"));
            out.add(new Location(p, "CUDNN_PATH"));
        }
        cudaHome(out);
        ldLibraryPath(out);
        cache(out, "libcudnn.so.9", "libcudnn.so.8");
        systemDirs(out);
        toolkitDirs(out);
        for (Path site : sitePackages())
            out.add(new Location(site.resolve("nvidia").resolve("cudnn").resolve("lib"), "the Python wheels in " + site));
        return dedupe(out);
    }

    private void cudaHome(List<Location> out) {
        for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String v = env.get(var);
            if (v == null) continue;
            Path p = Path.of(v);
            for (String sub : new String[] {"lib64", "targets/x86_64-linux/lib", "lib"}) out.add(new Location(p.resolve(sub), var));
        }
    }

    private void ldLibraryPath(List<Location> out) {
        String v = env.get("LD_LIBRARY_PATH");
        if (v == null) return;
        for (String d : v.split(":")) if (!d.isBlank()) out.add(new Location(Path.of(d), "LD_LIBRARY_PATH"));
    }

    private void cache(List<Location> out, String... sonames) {
        if (ldCache == null) ldCache = env.ldCache().get();
        for (String s : sonames) {
            for (Path p : ldCache.getOrDefault(s, List.of())) {
                Path dir = p.getParent();
                if (dir != null) out.add(new Location(dir, "the linker cache"));
            }
        }
    }

    private void systemDirs(List<Location> out) {
        for (String d : new String[] {"usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib64", "lib64", "usr/lib", "usr/local/lib"})
            out.add(new Location(env.sys(d), "the system library directories"));
    }

    private void toolkitDirs(List<Location> out) {
        List<Path> toolkits = new ArrayList<>();
        toolkits.add(env.sys("usr/local/cuda"));
        toolkits.addAll(versionedToolkits());
        for (Path t : toolkits)
            for (String sub : new String[] {"lib64", "targets/x86_64-linux/lib", "lib"})
                out.add(new Location(t.resolve(sub), "the CUDA toolkit in " + t));
    }

    /** /usr/local/cuda-X.Y, newest first. */
    private List<Path> versionedToolkits() {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(env.sys("usr/local"))) {
            s.filter(p -> VERSIONED_CUDA.matcher(p.getFileName().toString()).matches()).forEach(found::add);
        } catch (IOException e) {
            return found;
        }
        found.sort(Comparator.comparingInt((Path p) -> version(VERSIONED_CUDA, p)).reversed());
        return found;
    }

    /** cuda-12.4 -> 12004; python3.11 -> 11 (python3 -> 0): for newest-first sorting. */
    private static int version(Pattern pat, Path p) {
        Matcher m = pat.matcher(p.getFileName().toString());
        if (!m.matches()) return -1;
        int v = 0;
        for (int g = 1; g <= m.groupCount(); g++) v = v * 1000 + (m.group(g) == null ? 0 : Integer.parseInt(m.group(g)));
        return v;
    }

    private static boolean isStub(Path p) {
        for (Path part : p) if (part.toString().equals("stubs")) return true;
        return false;
    }

    private static List<Location> dedupe(List<Location> in) {
        Set<Path> seen = new LinkedHashSet<>();
        List<Location> out = new ArrayList<>();
        for (Location l : in) if (seen.add(l.dir.normalize())) out.add(l);
        return out;
    }

    private String describe(String var) {
        String v = env.get(var);
        return var + (v == null ? " (not set)" : " (" + v + ")");
    }

    // ---- Python environments ----

    /** site-packages / dist-packages directories that exist, in order of preference, without running Python. */
    public List<Path> sitePackages() {
        List<Path> prefixes = new ArrayList<>();
        List<Path> direct = new ArrayList<>();
        for (String var : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = env.get(var);
            if (v != null) prefixes.add(Path.of(v));
        }
        String pythonPath = env.get("PYTHONPATH");
        if (pythonPath != null) for (String d : pythonPath.split(":")) if (!d.isBlank()) direct.add(Path.of(d));
        String path = env.get("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                Path p = Path.of(d);
                if (p.getFileName() != null && p.getFileName().toString().equals("bin") && p.getParent() != null
                        && Files.isRegularFile(p.getParent().resolve("pyvenv.cfg"))) prefixes.add(p.getParent());
            }
        }
        prefixes.add(env.home().resolve(".local"));
        prefixes.add(env.sys("usr/local"));
        prefixes.add(env.sys("usr"));
        List<Path> condas = new ArrayList<>(List.of(env.sys("opt/conda"), env.sys("opt/miniconda3"), env.sys("opt/anaconda3"),
                env.home().resolve("miniconda3"), env.home().resolve("anaconda3"), env.home().resolve("miniforge3"),
                env.home().resolve("mambaforge"), env.home().resolve(".conda")));
        for (Path c : condas) {
            prefixes.add(c);
            prefixes.addAll(children(c.resolve("envs")));
        }
        prefixes.addAll(children(env.home().resolve(".pyenv").resolve("versions")));
        prefixes.add(env.home().resolve(".venv"));
        prefixes.add(env.home().resolve("venv"));
        for (Path opt : children(env.sys("opt"))) { // /opt/venv, /opt/torch/.venv, ...
            prefixes.add(opt);
            prefixes.add(opt.resolve(".venv"));
            prefixes.add(opt.resolve("venv"));
        }

        Set<Path> out = new LinkedHashSet<>();
        for (Path d : direct) if (Files.isDirectory(d)) out.add(d);
        for (Path prefix : prefixes) {
            for (String lib : new String[] {"lib", "lib64"}) {
                List<Path> pythons = new ArrayList<>(children(prefix.resolve(lib)));
                pythons.removeIf(p -> !PYTHON_DIR.matcher(p.getFileName().toString()).matches());
                pythons.sort(Comparator.comparingInt((Path p) -> version(PYTHON_DIR, p)).reversed());
                for (Path py : pythons)
                    for (String sp : new String[] {"site-packages", "dist-packages"})
                        if (Files.isDirectory(py.resolve(sp))) out.add(py.resolve(sp));
            }
        }
        return List.copyOf(out);
    }

    private String sitePackagesSummary() {
        int n = sitePackages().size();
        return n == 0 ? "any Python environment (none found)" : n == 1 ? "1 Python site-packages directory" : n + " Python site-packages directories";
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
