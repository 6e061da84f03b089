package convbench.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;

/** The default command: burn-in steps, then timed steps, for each mode. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Times one net: burn-in steps, then timed steps, forward and forward-backward (the seeds' method).",
                "Example: bench alexnet --batch 32 --steps 100"})
final class RunCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET", description = "alexnet, alexnet-conv, vgg16, inception3, resnet50, resnet101, resnet152, resnet200")
    String net;

    @Mixin BatchOption batch;

    @Mixin StepOptions o;

    @Option(names = "--layers", description = "Also time every layer's forward and backward (a separate pass after the main timing) (default: off).")
    boolean layers;

    @Option(names = "--fps", paramLabel = "TARGET", description = "Say whether one batch fits the frame budget of TARGET frames per second (seed 003) (default: no verdict).")
    Double fps;

    @Override public void run() {
        if (fps != null && !(fps > 0)) throw new UsageException("--fps must be a positive frame rate, got " + fps);
        try (Session s = new Session(o, List.of(batch.batch), spec.commandLine().getOut(), spec.commandLine().getErr());
             NetWorkload w = s.workload(net, batch.batch)) {
            Config c = s.config(List.of(w.name()), layers, fps);
            var sum = s.summary(w.net());
            s.say(s.header(c));
            s.say(TextReport.netLine(w.name(), w.net().imageSize(), sum.trainable(), sum.macsPerImage()));
            List<Result> results = new ArrayList<>();
            for (Mode m : s.modes) {
                Result r = s.measure(w, m, layers);
                results.add(r);
                if (fps != null) s.sayResult(TextReport.fps(r, fps));
            }
            s.finish(c, results);
        }
    }
}
