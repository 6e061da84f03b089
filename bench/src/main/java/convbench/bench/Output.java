package convbench.bench;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files the commands write (reports, charts, dumps): checked before any work, so a run is never
 * done only to fail at the end, and written whole: a temporary file beside the target, then a
 * rename, so nothing half-written is left. Files get the permissions the umask gives (0644 under
 * umask 022), like any file a program creates.
 */
final class Output {
    private Output() {}

    /** Fails with the cause (no such folder, not a folder, a folder given as the file, permission, read-only) unless path can be written. */
    static void check(Path path) {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs))
            throw new RunFailure("cannot write " + path + ": it is a folder; name a file, e.g. " + path.resolve("report.json"));
        if (dir != null && !Files.exists(dir)) throw new RunFailure("cannot write " + path + ": the folder " + dir + " does not exist");
        if (dir != null && !Files.isDirectory(dir)) throw new RunFailure("cannot write " + path + ": " + dir + " is not a folder");
        Path probe = temporary(abs);
        try {
            Files.write(probe, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw failure(path, dir, e);
        } finally {
            deleteQuietly(probe);
        }
        if (Files.exists(abs) && !Files.isWritable(abs)) throw new RunFailure("cannot write " + path + ": permission denied");
    }

    /** Writes the bytes whole: a temporary file in the same folder, then an atomic rename over the target. */
    static void write(Path path, byte[] content) {
        Path abs = path.toAbsolutePath();
        Path tmp = temporary(abs);
        try {
            Files.write(tmp, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw failure(path, abs.getParent(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** A hidden name beside the target (created with the default permissions, unlike Files.createTempFile's 0600). */
    private static Path temporary(Path abs) {
        return abs.resolveSibling("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    }

    /** The cause in words, never the temporary file's name. */
    private static RunFailure failure(Path path, Path dir, IOException e) {
        String where = dir == null ? "" : " in " + dir;
        String why;
        if (e instanceof AccessDeniedException) why = "permission denied" + where;
        else if (e instanceof NoSuchFileException) why = dir != null && Files.isDirectory(dir) ? dir + " takes no new files" : "the folder " + dir + " does not exist";
        else if (e instanceof FileSystemException fe && fe.getReason() != null) {
            String reason = fe.getReason();
            why = reason.toLowerCase(java.util.Locale.ROOT).contains("read-only") ? (dir == null ? "" : dir + " is on a ") + "read-only file system"
                    : reason + where;
        } else why = e.getClass().getSimpleName() + where;
        return new RunFailure("cannot write " + path + ": " + why, e);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // nothing was created, or it cannot be removed either
        }
    }
}
