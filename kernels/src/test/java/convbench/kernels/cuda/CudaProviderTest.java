package convbench.kernels.cuda;

import convbench.engine.BackendOptions;
import convbench.engine.BackendProvider;
import convbench.engine.BackendUnavailableException;
import convbench.engine.Backends;
import convbench.kernels.natives.LibraryFinder;
import convbench.kernels.natives.SearchEnv;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The provider as the engine finds it, on a machine without an NVIDIA driver (CI): one sentence, no exception leak, no native crash. */
class CudaProviderTest {
    static boolean driverPresent() {
        try {
            new LibraryFinder(SearchEnv.system()).findDriver();
            return true;
        } catch (LibraryFinder.NotFound e) {
            return false;
        }
    }

    @Test
    void registeredForServiceLoader() {
        boolean found = false;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) found |= p instanceof CudaProvider && p.kind().equals("cuda");
        assertTrue(found, "META-INF/services/convbench.engine.BackendProvider names CudaProvider");
    }

    @Test
    void withoutADriverTheReasonIsOneSentenceAndAutoFallsBackToTheCpu() throws Exception {
        assumeTrue(!driverPresent(), "this machine has an NVIDIA driver; the GPU tier covers it");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.open("cuda", BackendOptions.defaults().withThreads(1)));
        String m = e.getMessage();
        assertTrue(m.startsWith("no NVIDIA driver (libcuda.so.1 not found in "), m);
        assertTrue(m.contains(": install the NVIDIA driver"), m);
        assertFalse(m.contains("\n"), m);
        // the same sentence again (the loader remembers), and for cuda:1
        assertEquals(m, assertThrows(BackendUnavailableException.class, () -> new CudaProvider().open(0, BackendOptions.defaults())).getMessage());
        assertEquals(m, assertThrows(BackendUnavailableException.class, () -> Backends.open("cuda:1", BackendOptions.defaults())).getMessage());

        Backends.Opened auto = Backends.open("auto", BackendOptions.defaults().withThreads(1));
        try {
            assertEquals("cpu", auto.backend().name());
            assertEquals(m, auto.fallbackReason());
        } finally {
            auto.backend().close();
        }
        Backends.Opened cpu = Backends.open("cpu", BackendOptions.defaults().withThreads(1));
        assertNull(cpu.fallbackReason());
        cpu.backend().close();
    }
}
