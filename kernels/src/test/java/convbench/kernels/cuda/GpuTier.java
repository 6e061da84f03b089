package convbench.kernels.cuda;

import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;

/**
 * Runs this module's tests without Maven, for a machine that has a GPU but no build tools (see
 * kernels/gpu-kit.sh, which packs a Java runtime and the class path next to this). One line per test:
 * PASS, FAIL with the message, or SKIP with the reason. Exit status 1 on any failure, and, with
 * CONVBENCH_REQUIRE_GPU=1, when no GPU test ran.
 *
 * <p>args: a mode, "gpu" (default: the GPU tier only), "tier1" (everything but the GPU tier) or "all",
 * then optionally the test classes to run (fully qualified); without classes, the packages
 * convbench.kernels and, where the kit carries the bench module's tests, convbench.bench (whole nets
 * on CUDA against the CPU, and bench runs of every net). The kit's run.sh starts one JVM per GPU test
 * class, so a native crash in one loses only that class.
 */
public final class GpuTier {
    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "gpu";
        if (!List.of("gpu", "tier1", "all").contains(mode)) {
            System.err.println("GpuTier: the mode is gpu, tier1 or all, not " + mode);
            System.exit(2);
        }
        List<? extends DiscoverySelector> selectors = args.length > 1
                ? Arrays.stream(args, 1, args.length).map(DiscoverySelectors::selectClass).toList()
                : List.of(DiscoverySelectors.selectPackage("convbench.kernels"), DiscoverySelectors.selectPackage("convbench.bench"));
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request().selectors(selectors);
        if (mode.equals("gpu")) b.filters(TagFilter.includeTags("gpu"));
        if (mode.equals("tier1")) b.filters(TagFilter.excludeTags("gpu"));
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener lines = new TestExecutionListener() {
            @Override public void executionSkipped(TestIdentifier t, String reason) {
                System.out.println("SKIP " + t.getDisplayName() + ": " + reason);
            }

            @Override public void executionFinished(TestIdentifier t, TestExecutionResult r) {
                String cls = t.getSource().filter(src -> src instanceof MethodSource).map(src -> ((MethodSource) src).getClassName())
                        .or(() -> t.getSource().filter(src -> src instanceof ClassSource).map(src -> ((ClassSource) src).getClassName()))
                        .map(c -> c.substring(c.lastIndexOf('.') + 1)).orElse("");
                String name = cls + " " + (t.isTest() ? t.getDisplayName() : "(set-up)");
                String why = r.getThrowable().map(e -> String.valueOf(e.getMessage()).lines().findFirst().orElse("")).orElse("");
                switch (r.getStatus()) {
                    case SUCCESSFUL -> { if (t.isTest()) System.out.println("PASS " + name); }
                    case ABORTED -> System.out.println("SKIP " + name + ": " + why);
                    case FAILED -> System.out.println("FAIL " + name + ": " + why);
                }
            }
        };
        launcher.execute(request, summary, lines);
        TestExecutionSummary s = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printTo(out);
        s.printFailuresTo(out, 30);
        boolean requireGpu = GpuSupport.required();
        long failed = s.getTotalFailureCount();
        boolean none = s.getTestsSucceededCount() == 0;
        if (failed > 0 || (requireGpu && none && !mode.equals("tier1"))) {
            out.println(failed > 0 ? failed + " test(s) failed" : "no test passed, and a GPU was required");
            System.exit(1);
        }
        System.exit(0);
    }
}
