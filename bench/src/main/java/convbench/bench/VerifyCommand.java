package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.Ctx;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One forward-backward of a net on a device and on the reference backend (float64), from the same
 * parameters and input, compared layer by layer: each layer's output and every gradient its backward
 * writes. On a GPU it is the user's self-test of the driver, cuDNN and cuBLAS; on the CPU it checks the
 * fast kernels inside a whole net.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks a device against the float64 reference backend, layer by layer, on one forward-backward of a net.",
                "Both start from the same parameters and input; every layer's output and gradients are compared.",
                "Exit 1 beyond the tolerance, naming the first layer. Example: bench verify resnet50 --device cpu"})
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

    @Option(names = "--threads", paramLabel = "N", description = "CPU backend threads (default: all cores, at most 4 x the cores).") Integer threads;

    @Option(names = "--cpu-conv", defaultValue = "auto", paramLabel = "A",
            description = "The CPU's convolutions: auto | direct | winograd2 | winograd4, as for run (default: ${DEFAULT-VALUE}; "
                    + "checked at 1e-4, winograd4 at 1e-3, as a GPU's FP32).")
    String cpuConv;

    /**
     * The tolerance of a device and precision: the largest norm-wise relative error of any tensor. The CPU's
     * direct and F(2x2, 3x3) convolutions round about as the reference's float32 model does; F(4x4, 3x3)'s
     * transforms add tens of times that (CpuVsReferenceTest), as cuDNN's Winograd does on a GPU, so it
     * gets the GPU's FP32 tolerance.
     */
    static double tolerance(String backendName, String precision, String cpuConv) {
        if (backendName.startsWith("cpu")) return cpuConv.equals("winograd4") ? 1e-3 : 1e-4;
        return precision.equals("tf32") ? 3e-2 : 1e-3;
    }

    @Override public void run() {
        if (batch < 2) throw new UsageException("--batch must be at least 2 (batch norm needs more than one value per channel), got " + batch);
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        if (!precision.equals("fp32") && !precision.equals("tf32")) throw new UsageException("--precision must be fp32 or tf32, got " + precision);
        StepOptions.checkThreads(threads);
        Nets.Spec s = Nets.spec(net);
        CheckInput in = CheckInput.of(s, imageSize);
        StepOptions.checkCpuConv(cpuConv);
        BackendOptions opts = BackendOptions.defaults().withPrecision(precision).withCpuConv(cpuConv);
        if (threads != null) opts = opts.withThreads(threads);
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (Backend be = Session.open(device, opts).backend(); ReferenceBackend ref = new ReferenceBackend()) {
            if (be.name().equals("reference")) throw new UsageException("--device reference would compare the reference with itself: name cpu or cuda");
            // The CPU draws the reference's dropout masks; other devices draw their own, so dropout is off there.
            boolean dropout = be.name().startsWith("cpu");
            double tol = tolerance(be.name(), precision, cpuConv);
            out.println(TextReport.f("verify %s on %s%s against the reference backend (float64)", s.name(), be.name(),
                    be.name().startsWith("cpu") ? "" : " in " + precision));
            out.println(TextReport.para("input", TextReport.f("%d x 3 x %d x %d: %s", batch, in.size(), in.size(), in.why())));
            out.println(TextReport.para("step", "one forward-backward in training mode, objective l2_loss of the output(s), from the same parameters and input; "
                    + (dropout ? "dropout on (the CPU draws the reference's masks)" : "dropout off (the device draws its own masks)")));
            out.println(TextReport.para("error", TextReport.f("||device - reference|| / ||reference|| per tensor; allowed: %.0e (%s), or %.0f x the noise", tol,
                    be.name().startsWith("cpu") ? "the CPU, fp32, convolutions " + cpuConv : be.name() + " " + precision, NOISE_FACTOR)));
            out.println(TextReport.para("noise", "the same error of a reference run that rounds every op's outputs to float32 and whose"
                    + " parameters and input moved by float32's rounding: the drift rounding alone causes"));
            out.println(TextReport.para("kinks", TextReport.f("where the two disagree on a relu output's sign within %.0f x the layer's rms difference"
                    + " of 0, or on a max pool's winner between cells that close, the reference takes the device's decision, so both"
                    + " backward passes route alike", VerifyRecorder.KINK)));
            out.flush();
            VerifyRecorder onDevice = step(s, be, in.size(), dropout, false, null);
            VerifyRecorder onRef = step(s, ref, in.size(), dropout, false, onDevice), noisy;
            try (ReferenceBackend rounding = ReferenceBackend.roundingToFloat32()) {
                noisy = step(s, rounding, in.size(), dropout, true, onDevice);
            }
            out.println();
            // Layer names without the scope they all share ("resnet_v2_50/"), cut to fit 100 columns.
            String root = TextReport.sharedScope(onRef.layers.keySet());
            if (!root.isEmpty()) out.println("layers under " + root);
            int width = 5;
            for (String name : onRef.layers.keySet()) width = Math.max(width, name.length() - (name.startsWith(root) ? root.length() : 0));
            width = Math.min(width, 50);
            out.println(TextReport.f("%-" + width + "s  %9s %9s  %10s %9s  %s", "layer", "output", "(noise)", "worst grad", "(noise)", "verdict"));
            String firstBadOutput = null, firstBad = null;
            Map<String, String> badGradient = new LinkedHashMap<>();
            double worst = 0;
            String worstAt = "-";
            int tensors = 0;
            for (Map.Entry<String, VerifyRecorder.Record> e : onRef.layers.entrySet()) {
                VerifyRecorder.Record r = e.getValue(), d = onDevice.layers.get(e.getKey()), b = noisy.layers.get(e.getKey());
                if (d == null || b == null) throw new RunFailure("layer " + e.getKey() + " ran on the reference but not on " + be.name());
                Error outErr = r.output == null ? null : Error.of(d.output, b.output, r.output, 0, tol);
                double layerScale = 0; // the largest gradient this layer writes: what "numerically zero" is measured against
                for (double[] g : r.grads) layerScale = Math.max(layerScale, norm(g));
                Error gradErr = null;
                String gradAt = null;
                for (int i = 0; i < r.grads.size(); i++) {
                    Error g = Error.of(d.grads.get(i), b.grads.get(i), r.grads.get(i), layerScale, tol);
                    if (gradErr == null || g.share() >= gradErr.share()) {
                        gradErr = g;
                        gradAt = r.gradNames.get(i);
                    }
                }
                tensors += (r.output == null ? 0 : 1) + r.grads.size();
                boolean outBad = outErr != null && outErr.bad(), gradBad = gradErr != null && gradErr.bad();
                if (outBad && firstBadOutput == null) firstBadOutput = e.getKey() + TextReport.f(" (its output, error %.2e)", outErr.error());
                if (gradBad) badGradient.put(e.getKey(), e.getKey() + TextReport.f(" (%s, error %.2e)", gradAt, gradErr.error()));
                for (Error x : new Error[] {outErr, gradErr})
                    if (x != null && x.error() > worst) {
                        worst = x.error();
                        worstAt = e.getKey() + (x == gradErr ? " " + gradAt : " output");
                    }
                String name = e.getKey().startsWith(root) ? e.getKey().substring(root.length()) : e.getKey();
                if (name.length() > width) name = "..." + name.substring(name.length() - width + 3);
                out.println(TextReport.f("%-" + width + "s  %9s %9s  %10s %9s  %s", name,
                        outErr == null ? "-" : TextReport.f("%.2e", outErr.error()), outErr == null ? "" : TextReport.f("%.1e", outErr.noise()),
                        gradErr == null ? "-" : TextReport.f("%.2e", gradErr.error()), gradErr == null ? "" : TextReport.f("%.1e", gradErr.noise()),
                        outBad || gradBad ? "BEYOND" : "ok"));
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
            out.println(TextReport.f("%s: %d layers, %d tensors, %d kink%s decided as on the device; %.1f s",
                    firstBad == null ? "verify passed" : "verify FAILED", onRef.layers.size(), tensors,
                    onRef.followed, onRef.followed == 1 ? "" : "s", seconds));
            out.println(TextReport.para("worst", TextReport.f("%.2e: %s", worst, worstAt)));
            out.flush();
            if (firstBad != null)
                throw new RunFailure(s.name() + " on " + be.name() + " differs from the reference beyond the tolerance, first at layer " + firstBad);
        }
    }

    static double norm(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s);
    }

    /**
     * One tensor's comparison: the device's error and the noise floor (the reference's own change when its
     * parameters and input move by float32's rounding), both relative to the reference's norm, or, for a
     * tensor that is numerically zero (below 1e-6 of the largest gradient its layer writes, such as a bias
     * before a batch norm in training mode, whose gradient is exactly 0), relative to that largest gradient.
     * Allowed: the tolerance, or 10 x the noise where the net itself amplifies rounding more.
     */
    record Error(double error, double noise, double tol) {
        static Error of(double[] device, double[] noisy, double[] ref, double layerScale, double tol) {
            double r = norm(ref), scale = r < 1e-6 * layerScale ? layerScale : r;
            double d = 0, n = 0;
            for (int i = 0; i < ref.length; i++) {
                d += (device[i] - ref[i]) * (device[i] - ref[i]);
                n += (noisy[i] - ref[i]) * (noisy[i] - ref[i]);
            }
            return scale == 0 ? new Error(Math.sqrt(d), Math.sqrt(n), tol) : new Error(Math.sqrt(d) / scale, Math.sqrt(n) / scale, tol);
        }

        double allowed() { return Math.max(tol, NOISE_FACTOR * noise); }

        boolean bad() { return !(error <= allowed()); }

        double share() { return error / allowed(); }
    }

    /** How many times the reference's own sensitivity to float32 rounding a device may be off. */
    static final double NOISE_FACTOR = 10;

    /**
     * One forward-backward of the net on be, recording every layer. With perturb, every parameter and the
     * input are first multiplied by 1 + u * 2^-24 (u uniform in [-1, 1)): float32's rounding, applied once.
     */
    private VerifyRecorder step(Nets.Spec s, Backend be, int size, boolean dropout, boolean perturb, VerifyRecorder follow) {
        VerifyRecorder rec = new VerifyRecorder(follow);
        SplittableRandom rng = new SplittableRandom(seed * 31 + 7);
        double[] image = new double[batch * 3 * size * size];
        float[] f = TensorDump.input(seed, batch, size);
        for (int i = 0; i < image.length; i++) image[i] = perturb ? f[i] * (1 + (rng.nextDouble() * 2 - 1) * 0x1p-24) : f[i];
        try (Net n = s.create(be, classes, size, seed);
             Tensor x = be.alloc(Shape.nchw(batch, 3, size, size)).set(image);
             Ctx ctx = Ctx.training(be, seed).withDropout(dropout)) {
            if (perturb) {
                n.ensureBuilt();
                for (Param p : n.model().params()) {
                    double[] v = p.value().toDoubles();
                    for (int i = 0; i < v.length; i++) v[i] *= 1 + (rng.nextDouble() * 2 - 1) * 0x1p-24;
                    p.value().set(v);
                }
            }
            ctx.listener(rec);
            n.backward(ctx, n.forward(ctx, x));
        }
        return rec;
    }
}
