package convbench.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;

/** Several nets side by side: parameters, MACs, times and their ratios to the first (seed 003's AlexNet vs VGG16). */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Times several nets with the same settings and prints them side by side with ratios to the first.",
                "Example: bench compare alexnet vgg16 --batch 1 --steps 20"})
final class CompareCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "NET", description = "Two or more nets, the first the reference of the ratios.")
    List<String> nets = List.of();

    @Mixin BatchOption batch;

    @Mixin StepOptions o;

    @Override public void run() {
        if (nets.size() < 2)
            throw new UsageException("compare needs two or more nets, e.g. bench compare alexnet vgg16"
                    + (nets.isEmpty() ? "" : "; got only " + nets.get(0)));
        List<String> names = new ArrayList<>();
        for (String n : nets) names.add(convbench.nets.Nets.spec(n).name());
        try (Session s = new Session(o, List.of(batch.batch), spec.commandLine().getOut(), spec.commandLine().getErr())) {
            for (String n : names) s.fit.check(n, batch.batch, s.imageSize(n)); // every net, before the first is timed
            Config c = s.config(names, false, null);
            s.say(s.header(c));
            List<Result> results = new ArrayList<>();
            for (String n : names) {
                try (NetWorkload w = s.workload(n, batch.batch)) {
                    var sum = s.summary(w.net());
                    s.say(TextReport.netLine(w.name(), w.net().imageSize(), sum.trainable(), sum.macsPerImage()));
                    for (Mode m : s.modes) results.add(s.measure(w, m, false));
                }
            }
            s.sayResult(table(names, s.modes, results));
            s.finish(c, results);
        }
    }

    /** One row per net, in the order given (a net named twice has two rows): time per mode and its ratio to the first net's. */
    static String table(List<String> names, List<Mode> modes, List<Result> results) {
        List<String> head = new ArrayList<>(List.of("net", "parameters", "GMACs"));
        for (Mode m : modes) {
            head.add(m.id + " ms");
            head.add("ratio");
        }
        Table t = new Table(head.toArray(new String[0]));
        for (int i = 0; i < names.size(); i++) {
            Result any = results.get(i * modes.size());
            List<String> row = new ArrayList<>(List.of(names.get(i), TextReport.f("%,d", any.params()), TextReport.f("%.3f", any.macsPerImage() / 1e9)));
            for (int j = 0; j < modes.size(); j++) {
                Result r = results.get(i * modes.size() + j), first = results.get(j);
                row.add(TextReport.f("%.3f", r.stats().meanMs()));
                row.add(TextReport.f("%.2f", r.stats().meanMs() / first.stats().meanMs()));
            }
            t.row(row.toArray(new String[0]));
        }
        return "\n" + t.render("") + "  (ratios: time / the first net's time; parameters of the first: "
                + TextReport.f("%,d", results.get(0).params()) + ")\n";
    }
}
