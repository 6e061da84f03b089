package convbench.kernels.cuda;

import convbench.engine.BackendOptions;
import convbench.engine.BackendUnavailableException;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Opening a CUDA backend for the GPU tier (JUnit tag "gpu"). Where none can be opened the tests are
 * skipped with the provider's one-sentence reason, or fail with it when the run asks for a GPU
 * (-Dconvbench.requireGpu=true or CONVBENCH_REQUIRE_GPU=1: use that on the GPU machine, so a broken
 * install cannot pass as "skipped").
 */
final class GpuSupport {
    private GpuSupport() {}

    static boolean required() {
        String p = System.getProperty("convbench.requireGpu", "");
        String e = System.getenv("CONVBENCH_REQUIRE_GPU");
        return p.equalsIgnoreCase("true") || "1".equals(e) || "true".equalsIgnoreCase(e);
    }

    /** Why the last open failed (null when it worked). */
    static String reason;
    private static boolean announced;

    /**
     * cuda:0 with the given precision and algorithm choice, or null (with {@link #reason}) when there is
     * none. Called from @BeforeAll; each test then calls {@link #assume(Object)} in @BeforeEach, so the
     * report lists every test as skipped with the reason (a skip in @BeforeAll would hide them).
     */
    static CudaBackend open(String precision, String convAlgo) {
        try {
            CudaBackend b = (CudaBackend) new CudaProvider().open(0, BackendOptions.defaults().withThreads(1)
                    .withPrecision(precision).withConvAlgo(convAlgo));
            reason = null;
            return b;
        } catch (BackendUnavailableException e) {
            reason = e.getMessage();
            if (!announced) { // once per run, so the build log states why the gpu tier did not run
                announced = true;
                System.out.println("[gpu tier] skipped: no usable CUDA device: " + reason);
            }
            return null;
        }
    }

    /** Skips the current test (or fails it, when a GPU is required) if the backend could not be opened. */
    static void assume(Object backend) {
        if (backend != null) return;
        if (required()) fail("a GPU was required (convbench.requireGpu) but " + reason);
        assumeTrue(false, "no usable CUDA device: " + reason);
    }
}
