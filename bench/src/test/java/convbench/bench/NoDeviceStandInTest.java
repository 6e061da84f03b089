package convbench.bench;

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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * bench on a machine with an NVIDIA driver but no GPU, through the real JCuda runtime (its statically linked
 * CUDA 12.6 runtime) and a stand-in libcuda.so.1 built here with gcc: the driver's entry points that the
 * runtime asks for answer CUDA_ERROR_NO_DEVICE, its export tables are empty. {@code --device cuda} fails with
 * one sentence saying there is no device, {@code --device auto} says so and runs on the CPU. Each run is a child
 * JVM (the driver stage is loaded once per process).
 */
class NoDeviceStandInTest {
    @TempDir static Path dir;
    static Path driver;

    static final String STAND_IN = """
            #include <string.h>
            typedef int CUresult;
            CUresult cuInit(unsigned int flags) { (void) flags; return 0; }
            CUresult cuDriverGetVersion(int *v) { *v = 13000; return 0; }
            CUresult cuDeviceGetCount(int *n) { *n = 0; return 0; }
            CUresult cuGetExportTable(const void **table, const void *id) { (void) id; *table = 0; return 0; }
            static CUresult noDevice(void) { return 100; } /* CUDA_ERROR_NO_DEVICE, whatever is asked */
            CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int version, unsigned long long flags, int *status) {
                (void) version; (void) flags;
                void *f = (void *) noDevice;
                if (!strcmp(symbol, "cuGetProcAddress")) f = (void *) cuGetProcAddress_v2;
                else if (!strcmp(symbol, "cuInit")) f = (void *) cuInit;
                else if (!strcmp(symbol, "cuDriverGetVersion")) f = (void *) cuDriverGetVersion;
                else if (!strcmp(symbol, "cuDeviceGetCount")) f = (void *) cuDeviceGetCount;
                else if (!strcmp(symbol, "cuGetExportTable")) f = (void *) cuGetExportTable;
                *pfn = f;
                if (status) *status = 0; /* CU_GET_PROC_ADDRESS_SUCCESS */
                return 0;
            }
            """;

    @BeforeAll
    static void standIn() throws Exception {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT), arch = System.getProperty("os.arch", "");
        assumeTrue(os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64")), "the CUDA backend runs on Linux x86-64 only");
        assumeTrue(hasGcc(), "gcc is not installed, so no stand-in libcuda.so.1 can be built");
        driver = Files.createDirectories(dir.resolve("driver"));
        Path c = dir.resolve("libcuda.c");
        Files.writeString(c, STAND_IN);
        Process p = new ProcessBuilder("gcc", "-shared", "-fPIC", "-o", driver.resolve("libcuda.so.1").toString(), c.toString(),
                "-Wl,-soname,libcuda.so.1").redirectErrorStream(true).start();
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

    record Run(int code, String out, String err) {}

    static Run bench(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("LD_LIBRARY_PATH", driver.toString());
        pb.environment().put("CONVBENCH_NATIVE_CACHE", dir.resolve("cache").toString());
        pb.environment().put("CONVBENCH_NO_RELAUNCH", "1");
        pb.environment().remove("CUDA_HOME");
        pb.environment().remove("CUDA_PATH");
        pb.redirectError(dir.resolve("err.txt").toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        String err = Files.readString(dir.resolve("err.txt")).lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void deviceCudaSaysInOneSentenceThatThereIsNoDevice() throws Exception {
        Run r = bench("alexnet-conv", "--device", "cuda", "--batch", "1", "--steps", "1", "--warmup", "0");
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("bench: "), r.err());
        assertTrue(r.err().contains("no CUDA device (cudaErrorNoDevice"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertEquals("", r.out());
    }

    @Test
    void deviceAutoFallsBackToTheCpuSayingWhy() throws Exception {
        Run r = bench("alexnet-conv", "--device", "auto", "--batch", "1", "--steps", "1", "--warmup", "0", "--image-size", "67", "--mode", "forward");
        assertEquals(0, r.code(), r.out() + r.err());
        String backend = r.out().lines().filter(l -> l.strip().startsWith("backend ")).findFirst().orElse("");
        // the header's one short line (the whole reason is --device cuda's, and the JSON report's "gpu fallback")
        assertTrue(backend.contains("cpu (no usable GPU: no CUDA device; --device cuda says why)"), r.out());
        assertTrue(r.out().contains("alexnet-conv forward: "), r.out());
    }
}
