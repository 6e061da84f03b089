package convbench.kernels.natives;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JCuda JNI libraries, taken from the natives jars on the class path ({@code lib/...} resources),
 * patched where the installed CUDA library's major differs from the one they were built against, and
 * written into a per-user cache: {@code <cache>/<sha256 of input and renames>/<file name JCuda looks for>}.
 * Writes are atomic (a temporary file in the same directory, then a rename), so a crashed or
 * concurrent run never leaves a half-written library; an identical existing file is reused.
 */
public final class JniLibraries {
    /** Bumped when the patcher's output for the same input could change. */
    private static final String PATCHER_VERSION = "elf-patcher-1";

    private JniLibraries() {}

    /** A prepared JNI library: where it is, what it came from and what was renamed in it. */
    public record Prepared(Path file, String resource, Map<String, String> renames) {
        public String note() {
            StringBuilder s = new StringBuilder(file.toString()).append(" (from ").append(resource);
            if (!renames.isEmpty()) {
                s.append(", patched");
                renames.forEach((a, b) -> s.append(' ').append(a).append(" -> ").append(b));
            }
            return s.append(')').toString();
        }
    }

    /**
     * The cache root: $CONVBENCH_NATIVE_CACHE, else $XDG_CACHE_HOME/convbench/native (when absolute, as the
     * XDG spec asks), else ~/.cache/convbench/native, else, with no usable home (a container user without
     * one: user.home is "?"), convbench-USER/native in the temporary directory.
     */
    public static Path cacheRoot(Map<String, String> env, Path home) {
        String explicit = env.get("CONVBENCH_NATIVE_CACHE");
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "convbench", "native");
        if (home != null && home.isAbsolute()) return home.resolve(".cache").resolve("convbench").resolve("native");
        return temporaryRoot();
    }

    /** convbench-USER/native in java.io.tmpdir: the fallback when the home cache cannot be used. */
    public static Path temporaryRoot() {
        return Path.of(System.getProperty("java.io.tmpdir"), "convbench-" + System.getProperty("user.name", "user"), "native");
    }

    /** The bytes of a class-path resource such as "lib/libJCudnn-11.7.0-linux-x86_64.so", or null. */
    public static byte[] resource(ClassLoader loader, String name) throws IOException {
        try (InputStream in = loader.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /**
     * Renames for a JNI library: each DT_NEEDED name {@code prefix + major} with another major than the
     * installed one becomes {@code prefix + installedMajor}.
     */
    public static Map<String, String> renamesFor(ElfPatcher.Info info, String prefix, int installedMajor) {
        Map<String, String> r = new LinkedHashMap<>();
        for (String n : info.needed()) {
            if (n.startsWith(prefix) && !n.equals(prefix + installedMajor)) r.put(n, prefix + installedMajor);
        }
        return r;
    }

    /**
     * Patches (when renames is not empty) and caches one JNI library.
     *
     * @param input      the library's bytes
     * @param resource   where they came from, for the report
     * @param targetName the file name to write (the name JCuda's loader looks for)
     */
    public static Prepared prepare(byte[] input, String resource, String targetName, Map<String, String> renames, Path cacheRoot)
            throws ElfException, IOException {
        byte[] out = renames.isEmpty() ? input : ElfPatcher.patch(input, renames, resource);
        Path dir = cacheRoot.resolve(key(input, targetName, renames));
        Path target = dir.resolve(targetName);
        if (!(Files.isRegularFile(target) && Files.size(target) == out.length && java.util.Arrays.equals(Files.readAllBytes(target), out))) {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".partial-", ".so");
            try {
                Files.write(tmp, out);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        return new Prepared(target, resource, Map.copyOf(renames));
    }

    private static String key(byte[] input, String targetName, Map<String, String> renames) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(PATCHER_VERSION.getBytes(StandardCharsets.UTF_8));
            md.update(input);
            md.update(targetName.getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, String> e : new TreeMap<>(renames).entrySet())
                md.update(("\0" + e.getKey() + "\0" + e.getValue()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
