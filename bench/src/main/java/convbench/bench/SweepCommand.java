package convbench.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Time per batch and images/s for several batch sizes, as a table and a PNG chart. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Times a net at several batch sizes: a table of time per batch and images/s, and a PNG chart.",
                "Example: bench sweep alexnet --batches 1,8,32,64"})
final class SweepCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET", description = "The net: alexnet, alexnet-conv, vgg16, inception3, resnet50, resnet101, resnet152, resnet200.")
    String net;

    @Option(names = "--batches", defaultValue = "1,8,32,64", split = ",", paramLabel = "N,N,...",
            description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--batch", hidden = true, paramLabel = "N") Integer batch; // refused with a pointer to --batches

    @Option(names = "--chart", paramLabel = "FILE.png", description = "Where the chart goes (default: <net>-sweep.png; none: no chart).")
    String chart;

    @Mixin StepOptions o;

    @Override public void run() {
        if (batch != null)
            throw new UsageException("sweep times the batch sizes of --batches, not --batch: use --batches " + batch + ", or a list such as --batches 1,8,32,64");
        for (int b : batches) StepOptions.checkBatch("--batches", b);
        String name = convbench.nets.Nets.spec(net).name();
        Path png = "none".equals(chart) ? null : Path.of(chart != null ? chart : name + "-sweep.png");
        // Checked before any timing, so a sweep is never run only to fail at the end.
        if (png != null && ModuleLayer.boot().findModule("java.desktop").isEmpty())
            throw new RunFailure("cannot draw the chart: this Java runtime has no java.desktop module (AWT); use --chart none, or a full JDK");
        if (png != null) Output.check(png);
        try (Session s = new Session(o, batches, spec.commandLine().getOut(), spec.commandLine().getErr())) {
            for (int b : batches) s.fit.check(name, b, s.imageSize(name)); // every batch, before the first is timed
            Config c = s.config(List.of(name), false, null);
            s.say(s.header(c));
            List<Result> results = new ArrayList<>();
            for (int b : batches) {
                try (NetWorkload w = s.workload(name, b)) {
                    s.say(TextReport.f("  batch %d%n", b));
                    for (Mode m : s.modes) results.add(s.measure(w, m, false));
                }
            }
            s.sayResult(table(s.modes, results));
            if (png != null) {
                writeChart(c, results, png, s.env.getOrDefault("device", s.backend.name()));
                s.sayResult("  chart: " + png + "\n");
            }
            s.finish(c, results);
        }
    }

    static String table(List<Mode> modes, List<Result> results) {
        List<String> head = new ArrayList<>(List.of("batch"));
        for (Mode m : modes) {
            head.add(m.id + " ms/batch");
            head.add("images/s");
        }
        Table t = new Table(head.toArray(new String[0]));
        for (int i = 0; i < results.size(); i += modes.size()) {
            List<String> row = new ArrayList<>(List.of(Integer.toString(results.get(i).batch())));
            for (int j = 0; j < modes.size(); j++) {
                Result r = results.get(i + j);
                row.add(TextReport.f("%.3f", r.stats().meanMs()));
                row.add(TextReport.f("%.1f", r.imagesPerS()));
            }
            t.row(row.toArray(new String[0]));
        }
        return "\n" + t.render("");
    }

    /**
     * images/s per batch size, one line per mode: the swept sizes side by side as categories (each one
     * labelled), images/s from 0, the run's settings in the title.
     */
    static void writeChart(Config c, List<Result> results, Path png, String device) {
        try {
            Output.write(png, BitmapEncoder.getBitmapBytes(chart(c, results, device), BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new RunFailure("cannot draw the chart " + png + ": " + e.getMessage(), e);
        }
    }

    static CategoryChart chart(Config c, List<Result> results, String device) {
        String title = TextReport.f("%s on %s: %s, %d steps%s, %d threads, %s", c.nets().get(0), device, TextReport.modes(c.modes()),
                c.steps(), c.budgetS() > 0 ? " (at most " + TextReport.num(c.budgetS()) + " s)" : "", c.threads(), c.precision());
        CategoryChart chart = new CategoryChartBuilder().width(900).height(540).title(title)
                .xAxisTitle("batch size").yAxisTitle("images / s").build();
        chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        chart.getStyler().setOverlapped(true); // every mode's point at its batch, not side by side
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setChartTitleFont(chart.getStyler().getChartTitleFont().deriveFont(13f));
        for (Mode m : c.modes()) {
            List<String> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Result r : results) {
                if (r.mode() != m) continue;
                x.add(Integer.toString(r.batch()));
                y.add(r.imagesPerS());
            }
            chart.addSeries(m.id, x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }
}
