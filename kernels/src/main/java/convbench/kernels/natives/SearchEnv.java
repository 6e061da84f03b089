package convbench.kernels.natives;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the library search looks: the environment variables, the home directory, the file-system
 * root that the standard directories (/usr/lib/x86_64-linux-gnu, /usr/local/cuda*, /opt/conda, ...)
 * are resolved against, and the linker cache. The real one is {@link #system()}; tests build fake
 * trees under a temporary root.
 */
public record SearchEnv(Map<String, String> env, Path home, Path root, Supplier<Map<String, List<Path>>> ldCache) {

    public static SearchEnv system() {
        String home = System.getenv("HOME");
        return new SearchEnv(System.getenv(), Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home")),
                Path.of("/"), () -> LdCache.read(Path.of("/etc/ld.so.cache")));
    }

    /** A directory under the root: sys("usr/lib") is /usr/lib on the real system. */
    public Path sys(String relative) { return root.resolve(relative); }

    public String get(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }
}
