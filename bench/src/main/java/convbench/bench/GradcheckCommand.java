package convbench.bench;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.reference.ReferenceBackend;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.TensorDump;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A teaching tool and the proof of the backward passes: backprop's gradients of a sample of a net's
 * parameters next to central differences of its forward, all on the reference backend in float64,
 * where they agree to about 1e-9 unless a backward is wrong (a 0.1 % error in one term fails).
 * Elements within a step of a relu or max-pool kink are counted as skipped, never compared; too many
 * fail the check too.
 */
@Command(name = "gradcheck", mixinStandardHelpOptions = true,
        description = {"Checks a net's backward pass: backprop's gradients of sampled parameter elements against central differences,",
                "in float64 on the reference backend, at a small input. Exit 1 on a mismatch.",
                "Example: bench gradcheck alexnet-conv"})
final class GradcheckCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET", description = "The net (see bench list).") String net;

    @Option(names = "--image-size", paramLabel = "PX",
            description = "Input height and width (default: the smallest at which every layer keeps a real spatial extent; the output says which and why).")
    Integer imageSize;

    @Option(names = "--batch", defaultValue = "2", paramLabel = "N",
            description = "Images per batch, at least 2: batch norm needs more than one value per channel (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--params", defaultValue = "16", paramLabel = "N",
            description = "Parameter tensors to check, spread evenly from the first layer to the last (default: ${DEFAULT-VALUE}, or all when fewer).")
    int params;

    @Option(names = "--samples", defaultValue = "2", paramLabel = "N", description = "Elements sampled per tensor (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--step", defaultValue = "1e-6", paramLabel = "H",
            description = "Relative central-difference step: h = H * max(1, |v|) (default: ${DEFAULT-VALUE}).")
    double step;

    @Option(names = "--tolerance", defaultValue = "1e-6", paramLabel = "R",
            description = "Relative tolerance of |backprop - numeric| (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--classes", defaultValue = "10", paramLabel = "N", description = "Classes of the classifier (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seeds the parameters and the input (default: ${DEFAULT-VALUE}).")
    long seed;

    /** A sample's relative error, or 0 where it has none (a zero gradient). */
    private static double rel(GradCheck.Sample s) { return s.resolved() ? s.relativeError() : 0; }

    @Override public void run() {
        if (batch < 2) throw new UsageException("--batch must be at least 2 (batch norm needs more than one value per channel), got " + batch);
        if (params <= 0 || samples <= 0) throw new UsageException("--params and --samples must be positive");
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        if (!(step > 0 && step < 1)) throw new UsageException("--step must be in (0, 1), got " + step);
        if (!(tolerance > 0)) throw new UsageException("--tolerance must be positive, got " + tolerance);
        Nets.Spec s = Nets.spec(net);
        CheckInput in = CheckInput.of(s, imageSize);
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        GradCheck gc;
        List<GradCheck.Sample> res;
        List<GradCheck.Result> per;
        try (ReferenceBackend be = new ReferenceBackend(); Net n = s.create(be, classes, in.size(), seed)) {
            n.ensureBuilt();
            List<Param> all = n.model().trainable();
            int pick = Math.min(params, all.size());
            List<GradCheck.Leaf> leaves = new ArrayList<>();
            for (int i = 0; i < pick; i++) leaves.add(GradCheck.param(all.get((int) ((long) i * (all.size() - 1) / Math.max(1, pick - 1)))));
            out.println(TextReport.f("gradcheck %s on the reference backend (float64): %d of %d parameter tensors, %d element%s each",
                    s.name(), pick, all.size(), samples, samples == 1 ? "" : "s"));
            out.println(TextReport.f("  input     %d x 3 x %d x %d: %s", batch, in.size(), in.size(), in.why()));
            out.println("  checks    L = sum(output * r), r fixed uniform in [-1, 1), training mode (batch statistics), dropout off");
            out.println(TextReport.f("  numeric   (L(v + h) - L(v - h)) / 2h with h = %.3g * max(1, |v|)", step));
            out.println(TextReport.f("  ok when   |backprop - numeric| <= %.3g * max(|backprop|, |numeric|) + the difference's rounding (%.0f eps sum|y r| / h)", tolerance, GradCheck.ROUNDING));
            out.println("  kinks     where the one-sided slopes disagree, or the difference moves when h halves, a relu or max-pool kink lies within h:");
            out.println("            h shrinks 100x (twice at most) until it no longer straddles one; an element that still does is skipped");
            out.flush();
            gc = new GradCheck(be).step(step).tolerance(tolerance).samples(samples);
            try (Tensor x = be.of(Shape.nchw(batch, 3, in.size(), in.size()), TensorDump.input(seed, batch, in.size()))) {
                res = gc.measure(ctx -> n.forward(ctx.withDropout(false), x).output(), leaves.toArray(new GradCheck.Leaf[0]));
            }
            per = GradCheck.summarise(res, leaves.toArray(new GradCheck.Leaf[0]));
        }
        out.println();
        int width = 9;
        for (GradCheck.Result r : per) width = Math.max(width, r.leaf().length());
        out.println(TextReport.f("%-" + width + "s  %8s  %7s  %14s  %14s  %10s  %s", "parameter", "compared", "skipped", "worst backprop", "its numeric", "rel. error", "verdict"));
        int mismatches = 0, skipped = 0, compared = 0, overSkipped = 0, zeros = 0;
        double worstRel = 0;
        String worstAt = "-";
        for (GradCheck.Result r : per) {
            GradCheck.Sample worst = null;
            int bad = 0;
            for (GradCheck.Sample smp : res) {
                if (!smp.leaf().equals(r.leaf()) || smp.nearKink()) continue;
                if (!smp.ok()) bad++;
                if (!smp.resolved()) zeros++;
                if (worst == null || rel(smp) > rel(worst)) worst = smp;
            }
            boolean tooManySkipped = r.skipped() > GradCheck.Result.skipLimit(r.compared() + r.skipped(), gc.maxSkippedShare());
            mismatches += bad;
            skipped += r.skipped();
            compared += r.compared();
            if (tooManySkipped) overSkipped++;
            if (worst != null && worst.resolved() && worst.relativeError() >= worstRel) {
                worstRel = worst.relativeError();
                worstAt = r.leaf();
            }
            String verdict = bad > 0 ? "MISMATCH (" + bad + ")" : tooManySkipped ? "TOO MANY SKIPPED" : "ok";
            out.println(TextReport.f("%-" + width + "s  %8d  %7d  %14s  %14s  %10s  %s", r.leaf(), r.compared(), r.skipped(),
                    worst == null ? "-" : TextReport.f("%.8g", worst.analytic()), worst == null ? "-" : TextReport.f("%.8g", worst.numeric()),
                    worst == null ? "-" : worst.resolved() ? TextReport.f("%.2e", worst.relativeError()) : "(zero)", verdict));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.println();
        out.println(TextReport.f("%s: %d elements compared, %d skipped near kinks, worst relative error %.2e (%s); %.1f s",
                mismatches == 0 && overSkipped == 0 ? "gradcheck passed" : "gradcheck FAILED", compared, skipped, worstRel, worstAt, seconds));
        if (zeros > 0)
            out.println(TextReport.f("(zero): %d element%s whose gradient is 0 to within the difference's rounding (a bias before a batch norm in training mode,",
                    zeros, zeros == 1 ? "" : "s") + " whose shift the normalisation removes): compared absolutely, no relative error");
        out.flush();
        if (mismatches > 0)
            throw new RunFailure(mismatches + " sampled gradients of " + s.name() + " disagree with central differences beyond the tolerance: a backward pass is wrong");
        if (overSkipped > 0)
            throw new RunFailure(overSkipped + " tensors of " + s.name() + " had more than " + Math.round(gc.maxSkippedShare() * 100)
                    + " % of their elements near kinks: use another --seed or a smaller --step");
    }
}
