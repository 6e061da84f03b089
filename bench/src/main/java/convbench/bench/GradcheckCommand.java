package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.GradCheck;
import convbench.engine.Param;
import convbench.engine.Shape;
import convbench.engine.Tensor;
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
 * A teaching tool: backprop's gradients of a sample of a net's parameters next to central differences
 * of the forward pass, on a small input. Exact agreement (to float rounding) shows the hand-written
 * backward passes are right; entries next to a relu or max-pool kink are marked, since there the
 * derivative does not exist and a finite difference straddles two slopes.
 */
@Command(name = "gradcheck", mixinStandardHelpOptions = true,
        description = {"Compares a sample of a net's parameter gradients (backprop) with central differences on a small input.",
                "Example: bench gradcheck alexnet-conv"})
final class GradcheckCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET") String net;

    @Option(names = "--image-size", paramLabel = "PX", description = "Input size (default: the net's smallest).") Integer imageSize;

    @Option(names = "--batch", defaultValue = "2", paramLabel = "N") int batch;

    @Option(names = "--params", defaultValue = "8", paramLabel = "N", description = "How many parameters to sample (default: ${DEFAULT-VALUE}, spread over the net).")
    int params;

    @Option(names = "--samples", defaultValue = "3", paramLabel = "N", description = "Elements per parameter (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--step", defaultValue = "0.001", paramLabel = "H", description = "Central-difference step (default: ${DEFAULT-VALUE}).")
    double step;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N") long seed;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEV") String device;

    @Override public void run() {
        if (batch < 2) throw new UsageException("--batch must be at least 2 (batch norm needs more than one value per channel), got " + batch);
        if (params <= 0 || samples <= 0) throw new UsageException("--params and --samples must be positive");
        if (!(step > 0)) throw new UsageException("--step must be positive, got " + step);
        Nets.Spec s = Nets.spec(net);
        Backend be = Session.open(device, BackendOptions.defaults()).backend();
        PrintWriter out = spec.commandLine().getOut();
        int mismatches = 0;
        try (be; Net probe = s.create(new convbench.engine.MetaBackend(), 1)) {
            int size = imageSize != null ? imageSize : probe.minImageSize();
            try (Net n = s.create(be, 10, size, seed)) {
                n.ensureBuilt();
                Shape shape = Shape.nchw(batch, 3, size, size);
                try (Tensor x = be.of(shape, TensorDump.input(seed, batch, size))) {
                    List<Param> all = n.model().trainable();
                    List<GradCheck.Leaf> leaves = new ArrayList<>();
                    int pick = Math.min(params, all.size());
                    for (int i = 0; i < pick; i++) leaves.add(GradCheck.param(all.get((int) ((long) i * (all.size() - 1) / Math.max(1, pick - 1)))));
                    out.println(TextReport.f("gradcheck %s at %dx%d, batch %d, %d classes, on %s: L = sum(output * r) for a fixed random r, training mode, dropout off",
                            s.name(), size, size, batch, 10, be.name()));
                    out.println(TextReport.f("central differences with step %.3g; 'kink' marks elements within a step of a relu or max-pool kink%n", step));
                    out.println(TextReport.f("%-64s %8s %14s %14s %11s  %s", "parameter", "index", "backprop", "numeric", "rel. error", "verdict"));
                    GradCheck gc = new GradCheck(be).step(step).samples(samples);
                    List<GradCheck.Sample> res = gc.measure(ctx -> n.forward(ctx.withDropout(false), x).output(), leaves.toArray(new GradCheck.Leaf[0]));
                    for (GradCheck.Sample r : res) {
                        double rel = r.error() / Math.max(1e-12, Math.max(Math.abs(r.analytic()), Math.abs(r.numeric())));
                        String verdict = r.nearKink() ? "kink (not compared)" : r.ok() ? "ok" : "MISMATCH";
                        if (!r.ok()) mismatches++;
                        out.println(TextReport.f("%-64s %8d %14.6g %14.6g %11.2e  %s", r.leaf(), r.index(), r.analytic(), r.numeric(), rel, verdict));
                    }
                }
            }
        }
        out.flush();
        if (mismatches > 0) throw new RunFailure(mismatches + " sampled gradients disagree with central differences beyond the tolerance");
    }
}
