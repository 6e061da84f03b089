package convbench.bench;

import convbench.engine.MemoryStats;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The text output: the seeds' lines, then the same numbers in plain units. */
final class TextReport {
    private static final DateTimeFormatter PY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private TextReport() {}

    /** datetime.now() as Python prints it. */
    static String now() { return LocalDateTime.now().format(PY); }

    static String f(String fmt, Object... args) { return String.format(Locale.ROOT, fmt, args); }

    /** The first scope ("resnet_v2_50/") that every name with a scope shares, or "" (names without a '/' are ignored). */
    static String sharedScope(Iterable<String> names) {
        String root = null;
        for (String name : names) {
            if (name.indexOf('/') < 0) continue; // the losses
            String first = name.substring(0, name.indexOf('/') + 1);
            root = root == null ? first : root.equals(first) ? root : "";
        }
        return root == null ? "" : root;
    }

    /**
     * A labelled paragraph of a command's header, word-wrapped at 100 columns:
     * "  label     text ..." with continuation lines indented under the text.
     */
    static String para(String label, String text) {
        StringBuilder out = new StringBuilder();
        String indent = " ".repeat(12);
        StringBuilder line = new StringBuilder(f("  %-9s ", label));
        for (String word : text.split(" ")) {
            if (line.length() + word.length() > 100 && line.length() > indent.length()) {
                out.append(line.toString().stripTrailing()).append('\n');
                line = new StringBuilder(indent);
            }
            line.append(word).append(' ');
        }
        return out.append(line.toString().stripTrailing()).toString();
    }

    static String header(Config c, String backendLine, Map<String, String> env) {
        StringBuilder b = new StringBuilder();
        b.append(f("convbench %s: %s, %s %s, %s%n", Main.VERSION, String.join(", ", c.nets()),
                c.batches().size() == 1 ? "batch" : "batches", join(c.batches()), modes(c.modes())));
        b.append(f("  %-14s %d burn-in + %d timed%s%n", "steps", c.warmup(), c.steps(),
                c.budgetS() > 0 ? f(", at most %s s of timed steps per mode", num(c.budgetS())) : ""));
        b.append(f("  %-14s %s%n", "backend", backendLine));
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().equals("backend") || e.getKey().equals("gpu fallback")) continue; // in the backend line; whole in JSON
            b.append(f("  %-14s %s%n", e.getKey(), e.getValue()));
        }
        b.append(f("  %-14s %s, cudnn algorithms %s, seed %d%n", "precision", c.precision(), c.cudnnAlgo(), c.seed()));
        return b.toString();
    }

    static String join(List<Integer> xs) {
        StringBuilder b = new StringBuilder();
        for (int x : xs) b.append(b.length() == 0 ? "" : ",").append(x);
        return b.toString();
    }

    /** 20 as "20", 0.5 as "0.5". */
    static String num(double v) { return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v); }

    /** Said after a mode's first step: about how long the mode takes (the first step is the slowest), and without the budget. */
    static String estimate(String what, double firstMs, int warmup, int steps, double budgetS) {
        double timedS = steps * firstMs / 1e3;
        boolean capped = budgetS > 0 && timedS > budgetS;
        double total = warmup * firstMs / 1e3 + (capped ? budgetS : timedS);
        return f("  %s: at most about %s from the first step (%.3f s)%s%n", what, duration(total), firstMs / 1e3,
                capped ? ", " + duration(total - budgetS + timedS) + " with --budget none" : "");
    }

    static String duration(double s) {
        if (s < 100) return f("%.0f s", Math.max(1, s));
        if (s < 6000) return f("%.0f min", s / 60);
        return f("%.1f h", s / 3600);
    }

    /** Said when the budget ended the timing early, with the flags of the seeds' full protocol. */
    static String budgetLine(Harness.Measurement m) {
        return f("  stopped after %d of %d steps at the %s s budget; --steps %d --budget none for the seeds' full run%n",
                m.samplesMs().length, m.steps(), num(m.budgetS()), m.steps());
    }

    static String netLine(String net, int imageSize, long params, long macs) {
        return f("  %-14s %s at %dx%d: %,d parameters, %.3f GMACs per image%n", "net", net, imageSize, imageSize, params, macs / 1e9);
    }

    static String modes(List<Mode> modes) {
        StringBuilder b = new StringBuilder();
        for (Mode m : modes) b.append(b.length() == 0 ? "" : " and ").append(m.id);
        return b.toString();
    }

    /** The seeds' progress line: "<timestamp>: step N, duration = X". */
    static String progress(int step, double millis) {
        return f("%s: step %d, duration = %.3f", now(), step, millis / 1e3);
    }

    /** The seeds' result line: "<timestamp>: Forward across 100 steps, 0.024 +/- 0.001 sec / batch". */
    static String resultLine(Result r) {
        return f("%s: %s across %d steps, %.3f +/- %.3f sec / batch", now(), r.mode().label, r.stats().count(),
                r.stats().meanMs() / 1e3, r.stats().sdMs() / 1e3);
    }

    static String details(Result r) {
        Stats s = r.stats();
        StringBuilder b = new StringBuilder();
        b.append(f("  %s %s: %.3f ms per batch of %d (sd %.3f)%n", r.net(), r.mode().id, s.meanMs(), r.batch(), s.sdMs()));
        b.append(f("    min %.3f / p50 %.3f / p90 %.3f / p99 %.3f ms; %.1f images/s, %.1f GFLOP/s achieved%s%n",
                s.minMs(), s.p50Ms(), s.p90Ms(), s.p99Ms(), r.imagesPerS(), r.gflops(),
                Double.isNaN(r.peakPercent()) ? "" : f(" (%.1f%% of the device's peak)", r.peakPercent())));
        b.append(f("    peak memory %s%n", memory(r.m().memory(), r.m().processPeakRssBytes())));
        if (r.aboveDevicePeak())
            b.append(f("  WARNING: %s %s's fastest step (%.3f ms) is above the device's peak rate, which cannot be: "
                    + "the timing is broken (work not waited for), so do not use these numbers%n", r.net(), r.mode().id, s.minMs()));
        return b.toString();
    }

    static String memory(MemoryStats m, long rss) {
        String s = f("%s in tensors (%s held by the allocator)", bytes(m.peakInUse()), bytes(m.peakReserved()));
        return rss > 0 ? s + f(", process peak RSS %s", bytes(rss)) : s;
    }

    static String bytes(long b) {
        if (b >= 1L << 30) return f("%.2f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return f("%.1f MiB", b / (double) (1L << 20));
        if (b >= 1L << 10) return f("%.1f KiB", b / 1024.0);
        return b + " B";
    }

    /** The per-layer table: columns sized to their content, backward only where it ran, each layer's share of the total. */
    static String layers(Result r) {
        boolean backward = r.mode() != Mode.FORWARD;
        double total = 0;
        for (LayerTimes.Row row : r.layers()) total += row.forwardMs() + row.backwardMs();
        Table t = new Table(backward ? new String[] {"layer", "op", "forward ms", "backward ms", "share"}
                : new String[] {"layer", "op", "forward ms", "share"});
        double tf = 0, tb = 0;
        for (LayerTimes.Row row : r.layers()) {
            double share = total > 0 ? 100 * (row.forwardMs() + row.backwardMs()) / total : 0;
            if (backward) t.row(row.layer(), row.opAndKernel(), f("%.3f", row.forwardMs()), f("%.3f", row.backwardMs()), f("%.1f%%", share));
            else t.row(row.layer(), row.opAndKernel(), f("%.3f", row.forwardMs()), f("%.1f%%", share));
            tf += row.forwardMs();
            tb += row.backwardMs();
        }
        if (backward) t.row("total", "", f("%.3f", tf), f("%.3f", tb), "100%");
        else t.row("total", "", f("%.3f", tf), "100%");
        return f("  per-layer times, %s %s (mean over the layer-timing steps):%n", r.net(), r.mode().id) + t.render("  ");
    }

    /** Seed 003's question: does one batch fit the frame budget of the target frame rate? */
    static String fps(Result r, double fps) {
        double budget = 1000.0 / fps, ms = r.stats().meanMs(), p99 = r.stats().p99Ms();
        String verdict = p99 <= budget ? "fits the budget, at p99 too" : ms <= budget ? "fits the budget on average, but not at p99"
                : "misses the budget";
        return f("  frame budget at %.1f FPS is %.1f ms: %s %s takes %.3f ms per batch of %d,%n"
                + "    p99 %.3f ms: it %s, and sustains %.1f FPS%s%n", fps, budget, r.net(), r.mode().id, ms, r.batch(), p99, verdict,
                1000.0 / ms * r.batch(), r.batch() > 1 ? f(" (%.3f ms per image)", ms / r.batch()) : "");
    }
}
