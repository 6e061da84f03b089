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

    @Parameters(arity = "2..*", paramLabel = "NET", description = "Two or more nets.")
    List<String> nets;

    @Mixin StepOptions o;

    @Override public void run() {
        try (Session s = new Session(o, spec.commandLine().getOut(), spec.commandLine().getErr())) {
            List<String> names = new ArrayList<>();
            for (String n : nets) names.add(convbench.nets.Nets.spec(n).name());
            Config c = s.config(names, false, null);
            s.say(TextReport.header(c, s.backendLine, s.env));
            List<Result> results = new ArrayList<>();
            for (String n : names) {
                try (NetWorkload w = s.workload(n, o.batch)) {
                    var sum = s.summary(w.net());
                    s.say(TextReport.netLine(w.name(), w.net().imageSize(), sum.trainable(), sum.macsPerImage()));
                    for (Mode m : s.modes) results.add(s.measure(w, m, false));
                }
            }
            s.sayResult(table(names, s.modes, results));
            s.finish(c, results);
        }
    }

    static String table(List<String> names, List<Mode> modes, List<Result> results) {
        StringBuilder b = new StringBuilder();
        StringBuilder head = new StringBuilder(TextReport.f("%-14s %14s %8s", "net", "parameters", "GMACs"));
        for (Mode m : modes) head.append(TextReport.f(" %14s %8s", m.id + " ms", "ratio"));
        b.append('\n').append(head).append('\n');
        Result[] first = new Result[modes.size()];
        for (String n : names) {
            Result any = null;
            StringBuilder row = new StringBuilder();
            for (int i = 0; i < modes.size(); i++) {
                Result r = find(results, n, modes.get(i));
                any = r;
                if (first[i] == null) first[i] = r;
                row.append(TextReport.f(" %14.3f %8.2f", r.stats().meanMs(), r.stats().meanMs() / first[i].stats().meanMs()));
            }
            b.append(TextReport.f("%-14s %,14d %8.3f", n, any.params(), any.macsPerImage() / 1e9)).append(row).append('\n');
        }
        b.append("  (ratios: time / the first net's time; parameters of the first: ")
                .append(TextReport.f("%,d", first[0].params())).append(")\n");
        return b.toString();
    }

    private static Result find(List<Result> results, String net, Mode m) {
        for (Result r : results) if (r.net().equals(net) && r.mode() == m) return r;
        throw new IllegalStateException("no result for " + net + " " + m.id);
    }
}
