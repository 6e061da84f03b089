package convbench.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** Time per batch and images/s for several batch sizes, as a table and a PNG chart. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Times a net at several batch sizes: a table of time per batch and images/s, and a PNG chart.",
                "Example: bench sweep alexnet --batches 1,8,32,64"})
final class SweepCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET") String net;

    @Option(names = "--batches", defaultValue = "1,8,32,64", split = ",", paramLabel = "N,N,...",
            description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--chart", paramLabel = "FILE.png", description = "Where the chart goes (default: <net>-sweep.png; none: no chart).")
    String chart;

    @Mixin StepOptions o;

    @Override public void run() {
        for (int b : batches) if (b <= 0) throw new UsageException("--batches must all be positive, got " + b);
        // Checked before any timing, so a sweep is never run only to fail at the end.
        if (!"none".equals(chart) && ModuleLayer.boot().findModule("java.desktop").isEmpty())
            throw new RunFailure("cannot draw the chart: this Java runtime has no java.desktop module (AWT); use --chart none, or a full JDK");
        try (Session s = new Session(o, spec.commandLine().getOut(), spec.commandLine().getErr())) {
            String name = convbench.nets.Nets.spec(net).name();
            Config c = s.config(List.of(name), false, null);
            s.say(TextReport.header(c, s.backendLine, s.env));
            List<Result> results = new ArrayList<>();
            for (int b : batches) {
                try (NetWorkload w = s.workload(name, b)) {
                    s.say(TextReport.f("  batch %d%n", b));
                    for (Mode m : s.modes) results.add(s.measure(w, m, false));
                }
            }
            s.sayResult(table(s.modes, results));
            if (!"none".equals(chart)) {
                Path png = Path.of(chart != null ? chart : name + "-sweep.png");
                writeChart(name, s.modes, results, png, s.env.getOrDefault("device", s.backend.name()));
                s.sayResult("  chart: " + png + "\n");
            }
            s.finish(c, results);
        }
    }

    static String table(List<Mode> modes, List<Result> results) {
        StringBuilder b = new StringBuilder("\n").append(TextReport.f("%8s", "batch"));
        for (Mode m : modes) b.append(TextReport.f(" %22s %14s", m.id + " ms/batch", "images/s"));
        b.append('\n');
        for (int i = 0; i < results.size(); i += modes.size()) {
            b.append(TextReport.f("%8d", results.get(i).batch()));
            for (int j = 0; j < modes.size(); j++) {
                Result r = results.get(i + j);
                b.append(TextReport.f(" %22.3f %14.1f", r.stats().meanMs(), r.imagesPerS()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    static void writeChart(String net, List<Mode> modes, List<Result> results, Path png, String device) {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(net + " on " + device)
                .xAxisTitle("batch size").yAxisTitle("images / s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        for (Mode m : modes) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (Result r : results) {
                if (r.mode() != m) continue;
                x.add((double) r.batch());
                y.add(r.imagesPerS());
            }
            chart.addSeries(m.id, x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        Path abs = png.toAbsolutePath();
        try {
            Path dir = abs.getParent();
            if (dir != null && !Files.isDirectory(dir)) throw new RunFailure("cannot write " + png + ": the folder " + dir + " does not exist");
            Path tmp = Files.createTempFile(dir, ".sweep", ".png");
            try {
                BitmapEncoder.saveBitmap(chart, tmp.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new RunFailure("cannot write the chart " + png + ": " + e.getMessage(), e);
        }
    }
}
