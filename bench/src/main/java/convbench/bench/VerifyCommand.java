package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.LayerListener;
import convbench.engine.Shape;
import convbench.engine.Tape;
import convbench.engine.Tensor;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One forward-backward of a net on a device and on the reference backend (float64), from the same
 * parameters and input, compared layer by layer: each layer's output and every gradient its backward
 * writes. On a GPU it is the user's self-test of the driver, cuDNN and cuBLAS; on the CPU it checks the
 * fast kernels inside a whole net.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Runs one forward-backward of a net on --device and on the float64 reference backend from the same parameters",
                "and input, and compares every layer's output and gradients. Exit 1 beyond the tolerance, naming the first layer.",
                "Example: bench verify resnet50 --device cpu"})
final class VerifyCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET", description = "The net (see bench list).") String net;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "D",
            description = "The device checked: auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P",
            description = "fp32 or tf32 (tensor cores on the GPU; the CPU computes fp32 either way) (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--batch", defaultValue = "2", paramLabel = "N",
            description = "Images per batch, at least 2: batch norm needs more than one value per channel (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--image-size", paramLabel = "PX",
            description = "Input height and width (default: the smallest at which every layer keeps a real spatial extent, as gradcheck).")
    Integer imageSize;

    @Option(names = "--classes", defaultValue = "1000", paramLabel = "N", description = "Classes of the classifier (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seeds the parameters and the input (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "CPU backend threads (default: all cores).") Integer threads;

    /** The tolerance of a device and precision: the largest norm-wise relative error of any tensor. */
    static double tolerance(String backendName, String precision) {
        if (backendName.startsWith("cpu")) return 1e-4;
        return precision.equals("tf32") ? 3e-2 : 1e-3;
    }

    /** What one layer made in one run: its output, then each gradient it wrote (of what, and the values). */
    private static final class Record {
        double[] output;
        final List<String> gradNames = new ArrayList<>();
        final List<double[]> grads = new ArrayList<>();
    }

    /** Records every layer's output and written gradients, by layer name, in the order they run. */
    private static final class Recorder implements LayerListener {
        final Map<String, Record> layers = new LinkedHashMap<>();
        final List<String> backwardOrder = new ArrayList<>();

        @Override public void afterForward(Layer layer, Tensor y) {
            layers.computeIfAbsent(layer.name(), k -> new Record()).output = y.toDoubles();
        }

        @Override public void gradientsWritten(Layer layer, List<Tape.Write> writes) {
            Record r = layers.computeIfAbsent(layer.name(), k -> new Record());
            backwardOrder.add(layer.name());
            for (Tape.Write w : writes) {
                r.gradNames.add("d " + w.of());
                r.grads.add(w.grad().toDoubles());
            }
        }
    }

    /** ||a - ref|| / ||ref|| (the absolute ||a|| where ref is all zeros). */
    static double relativeError(double[] a, double[] ref) {
        double diff = 0, norm = 0;
        for (int i = 0; i < ref.length; i++) {
            diff += (a[i] - ref[i]) * (a[i] - ref[i]);
            norm += ref[i] * ref[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    @Override public void run() {
        if (batch < 2) throw new UsageException("--batch must be at least 2 (batch norm needs more than one value per channel), got " + batch);
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        if (!precision.equals("fp32") && !precision.equals("tf32")) throw new UsageException("--precision must be fp32 or tf32, got " + precision);
        if (threads != null && threads < 1) throw new UsageException("--threads must be at least 1, got " + threads);
        Nets.Spec s = Nets.spec(net);
        CheckInput in = CheckInput.of(s, imageSize);
        BackendOptions opts = BackendOptions.defaults().withPrecision(precision);
        if (threads != null) opts = opts.withThreads(threads);
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (Backend be = Session.open(device, opts).backend(); ReferenceBackend ref = new ReferenceBackend()) {
            if (be.name().equals("reference")) throw new UsageException("--device reference would compare the reference with itself: name cpu or cuda");
            // The CPU draws the reference's dropout masks; other devices draw their own, so dropout is off there.
            boolean dropout = be.name().startsWith("cpu");
            double tol = tolerance(be.name(), precision);
            out.println(TextReport.f("verify %s on %s%s against the reference backend (float64)", s.name(), be.name(),
                    be.name().startsWith("cpu") ? "" : " in " + precision));
            out.println(TextReport.f("  input     %d x 3 x %d x %d: %s", batch, in.size(), in.size(), in.why()));
            out.println("  step      one forward-backward in training mode, objective l2_loss of the output(s), from the same parameters and input;"
                    + (dropout ? " dropout on (the CPU draws the reference's masks)" : " dropout off (the device draws its own masks)"));
            out.println(TextReport.f("  error     ||device - reference|| / ||reference|| per tensor; tolerance %.0e for %s", tol,
                    be.name().startsWith("cpu") ? "the CPU (fp32)" : be.name() + " " + precision));
            out.flush();
            Recorder onDevice = step(s, be, in.size(), dropout), onRef = step(s, ref, in.size(), dropout);
            out.println();
            int width = 5;
            for (String name : onRef.layers.keySet()) width = Math.max(width, name.length());
            width = Math.min(width, 60);
            out.println(TextReport.f("%-" + width + "s  %12s  %12s  %s", "layer", "output", "worst grad", "verdict"));
            String firstBadOutput = null, firstBad = null;
            Map<String, String> badGradient = new LinkedHashMap<>();
            double worst = 0;
            String worstAt = "-";
            int tensors = 0;
            for (Map.Entry<String, Record> e : onRef.layers.entrySet()) {
                Record r = e.getValue(), d = onDevice.layers.get(e.getKey());
                if (d == null) throw new RunFailure("layer " + e.getKey() + " ran on the reference but not on " + be.name());
                double outErr = r.output == null ? 0 : relativeError(d.output, r.output);
                double gradErr = 0;
                String gradAt = null;
                for (int i = 0; i < r.grads.size(); i++) {
                    double g = relativeError(d.grads.get(i), r.grads.get(i));
                    if (g >= gradErr) {
                        gradErr = g;
                        gradAt = r.gradNames.get(i);
                    }
                }
                tensors += (r.output == null ? 0 : 1) + r.grads.size();
                boolean bad = outErr > tol || gradErr > tol;
                if (outErr > tol && firstBadOutput == null) firstBadOutput = e.getKey() + TextReport.f(" (its output, error %.2e)", outErr);
                if (gradErr > tol) badGradient.put(e.getKey(), e.getKey() + TextReport.f(" (%s, error %.2e)", gradAt, gradErr));
                if (Math.max(outErr, gradErr) > worst) {
                    worst = Math.max(outErr, gradErr);
                    worstAt = e.getKey() + (gradErr > outErr ? " " + gradAt : " output");
                }
                String name = e.getKey().length() > width ? "..." + e.getKey().substring(e.getKey().length() - width + 3) : e.getKey();
                out.println(TextReport.f("%-" + width + "s  %12s  %12s  %s", name, r.output == null ? "-" : TextReport.f("%.2e", outErr),
                        r.grads.isEmpty() ? "-" : TextReport.f("%.2e", gradErr), bad ? "BEYOND " + TextReport.f("%.0e", tol) : "ok"));
            }
            // The first in the order of the step: outputs forward, then gradients as backward wrote them.
            firstBad = firstBadOutput;
            if (firstBad == null)
                for (String name : onRef.backwardOrder)
                    if (badGradient.containsKey(name)) {
                        firstBad = badGradient.get(name);
                        break;
                    }
            out.println();
            double seconds = (System.nanoTime() - start) / 1e9;
            out.println(TextReport.f("%s: %d layers, %d tensors, worst error %.2e (%s), tolerance %.0e; %.1f s",
                    firstBad == null ? "verify passed" : "verify FAILED", onRef.layers.size(), tensors, worst, worstAt, tol, seconds));
            out.flush();
            if (firstBad != null)
                throw new RunFailure(s.name() + " on " + be.name() + " differs from the reference beyond " + TextReport.f("%.0e", tol)
                        + ", first at layer " + firstBad);
        }
    }

    /** One forward-backward of the net on be, recording every layer. */
    private Recorder step(Nets.Spec s, Backend be, int size, boolean dropout) {
        Recorder rec = new Recorder();
        try (Net n = s.create(be, classes, size, seed);
             Tensor x = be.of(Shape.nchw(batch, 3, size, size), TensorDump.input(seed, batch, size));
             Ctx ctx = Ctx.training(be, seed).withDropout(dropout)) {
            ctx.listener(rec);
            n.backward(ctx, n.forward(ctx, x));
        }
        return rec;
    }
}
