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
        description = {"Checks a net's backward pass in float64 on the reference backend, at a small input.",
                "Backprop's gradients of sampled parameter elements are compared with central differences; exit 1 on a mismatch.",
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
            out.println(TextReport.f("gradcheck %s (float64, reference backend): %d of %d parameter tensors, %d element%s each",
                    s.name(), pick, all.size(), samples, samples == 1 ? "" : "s"));
            out.println(TextReport.para("input", TextReport.f("%d x 3 x %d x %d: %s", batch, in.size(), in.size(), in.why())));
            out.println(TextReport.para("checks", "L = sum(output * r), r fixed uniform in [-1, 1), training mode (batch statistics), dropout off"));
            out.println(TextReport.para("numeric", TextReport.f("(L(v + h) - L(v - h)) / 2h with h = %.3g * max(1, |v|)", step)));
            out.println(TextReport.para("ok when", TextReport.f("|backprop - numeric| <= %.3g * max(|backprop|, |numeric|) + the difference's rounding, %.0f eps sum|y r| / h",
                    tolerance, GradCheck.ROUNDING)));
            out.println(TextReport.para("kinks", "where the one-sided slopes disagree, or the difference moves when h halves, a relu or max-pool kink"
                    + " lies within h: h shrinks 100x (twice at most) until it no longer straddles one; an element that still does is skipped"));
            out.println(TextReport.para("rounding", "where rounding bounds an agreement (a tiny gradient), h grows 100x (twice at most) to resolve more"));
            out.flush();
            gc = new GradCheck(be).step(step).tolerance(tolerance).samples(samples);
            try (Tensor x = be.of(Shape.nchw(batch, 3, in.size(), in.size()), TensorDump.input(seed, batch, in.size()))) {
                res = gc.measure(ctx -> n.forward(ctx.withDropout(false), x).output(), leaves.toArray(new GradCheck.Leaf[0]));
            }
            per = GradCheck.summarise(res, leaves.toArray(new GradCheck.Leaf[0]));
        }
        out.println();
        // Parameter names without the scope they all share ("resnet_v2_50/"), cut to fit 100 columns.
        List<String> names = new ArrayList<>();
        for (GradCheck.Result r : per) names.add(r.leaf());
        String root = TextReport.sharedScope(names);
        if (!root.isEmpty()) out.println("parameters under " + root);
        int width = 9;
        for (String name : names) width = Math.max(width, name.length() - (name.startsWith(root) ? root.length() : 0));
        width = Math.min(width, 34);
        out.println(TextReport.f("%-" + width + "s  %5s %5s  %14s  %14s  %9s  %s", "parameter", "comp.", "skip.", "worst backprop", "its numeric", "rel.error", "verdict"));
        int mismatches = 0, skipped = 0, compared = 0, overSkipped = 0, zeros = 0, sharp = 0;
        double worstRel = 0;
        String worstAt = "-";
        for (GradCheck.Result r : per) {
            GradCheck.Sample worst = null;
            int bad = 0;
            for (GradCheck.Sample smp : res) {
                if (!smp.leaf().equals(r.leaf()) || smp.nearKink()) continue;
                if (!smp.ok()) bad++;
                if (!smp.resolved()) zeros++;
                else if (smp.resolution() <= 1e-3) sharp++;
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
            String name = r.leaf().startsWith(root) ? r.leaf().substring(root.length()) : r.leaf();
            if (name.length() > width) name = "..." + name.substring(name.length() - width + 3);
            out.println(TextReport.f("%-" + width + "s  %5d %5d  %14s  %14s  %9s  %s", name, r.compared(), r.skipped(),
                    worst == null ? "-" : TextReport.f("%.8g", worst.analytic()), worst == null ? "-" : TextReport.f("%.8g", worst.numeric()),
                    worst == null ? "-" : worst.resolved() ? TextReport.f("%.2e", worst.relativeError()) : "(zero)", verdict));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.println();
        boolean tooManySkipped = skipped > GradCheck.Result.skipLimit(compared + skipped, gc.maxSkippedShare());
        out.println(TextReport.f("%s: %d elements compared, %d skipped near kinks; %.1f s", mismatches == 0 && overSkipped == 0 && !tooManySkipped
                ? "gradcheck passed" : "gradcheck FAILED", compared, skipped, seconds));
        out.println(TextReport.f("worst relative error %.2e (%s)", worstRel, worstAt));
        out.println(TextReport.f("%d of the %d elements with a nonzero gradient were resolved to 0.1 %% or better (a 0.1 %% error would%n"
                + "have failed them)", sharp, compared - zeros));
        if (zeros > 0)
            out.println(TextReport.f("(zero): %d element%s whose gradient is 0 to within the difference's rounding (a dead relu's weight,%n"
                    + "        or a bias before a training-mode batch norm, which removes its shift): compared absolutely", zeros, zeros == 1 ? "" : "s"));
        out.flush();
        if (mismatches > 0)
            throw new RunFailure(mismatches + " sampled gradients of " + s.name() + " disagree with central differences beyond the tolerance: a backward pass is wrong");
        if (tooManySkipped)
            throw new RunFailure(skipped + " of " + s.name() + "'s " + (compared + skipped) + " sampled elements lie near kinks, more than "
                    + Math.round(gc.maxSkippedShare() * 100) + " %: use another --seed or a smaller --step");
        if (overSkipped > 0)
            throw new RunFailure(overSkipped + " tensors of " + s.name() + " had more than " + Math.round(gc.maxSkippedShare() * 100)
                    + " % of their elements near kinks: use another --seed or a smaller --step");
    }
}
