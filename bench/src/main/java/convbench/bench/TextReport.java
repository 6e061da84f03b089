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

    static String header(Config c, String backendLine, Map<String, String> env) {
        StringBuilder b = new StringBuilder();
        b.append(f("convbench %s: %s, batch %d, %d burn-in + %d timed steps, %s%n", Main.VERSION, String.join(", ", c.nets()),
                c.batch(), c.warmup(), c.steps(), modes(c.modes())));
        b.append(f("  %-14s %s%n", "backend", backendLine));
        for (Map.Entry<String, String> e : env.entrySet()) b.append(f("  %-14s %s%n", e.getKey(), e.getValue()));
        b.append(f("  %-14s %s, cudnn algorithms %s, seed %d%n", "precision", c.precision(), c.cudnnAlgo(), c.seed()));
        return b.toString();
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
        b.append(f("  %s %s: %.3f ms per batch of %d (sd %.3f), min %.3f / p50 %.3f / p90 %.3f / p99 %.3f ms%n",
                r.net(), r.mode().id, s.meanMs(), r.batch(), s.sdMs(), s.minMs(), s.p50Ms(), s.p90Ms(), s.p99Ms()));
        b.append(f("  %s %s: %.1f images/s, %.1f GFLOP/s achieved%s, peak memory %s%n", r.net(), r.mode().id,
                r.imagesPerS(), r.gflops(), Double.isNaN(r.peakPercent()) ? "" : f(" (%.1f%% of the device's peak)", r.peakPercent()),
                memory(r.m().memory(), r.m().processPeakRssBytes())));
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

    static String layers(Result r) {
        StringBuilder b = new StringBuilder();
        b.append(f("  per-layer times, %s %s (mean over the layer-timing steps):%n", r.net(), r.mode().id));
        b.append(f("  %-58s %-30s %12s %12s%n", "layer", "op", "forward ms", "backward ms"));
        double tf = 0, tb = 0;
        for (LayerTimes.Row row : r.layers()) {
            b.append(f("  %-58s %-30s %12.3f %12.3f%n", row.layer(), clip(row.op(), 30), row.forwardMs(), row.backwardMs()));
            tf += row.forwardMs();
            tb += row.backwardMs();
        }
        b.append(f("  %-58s %-30s %12.3f %12.3f%n", "total", "", tf, tb));
        return b.toString();
    }

    private static String clip(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "~"; }

    /** Seed 003's question: does one batch fit the frame budget of the target frame rate? */
    static String fps(Result r, double fps) {
        double budget = 1000.0 / fps, ms = r.stats().meanMs(), p99 = r.stats().p99Ms();
        String verdict = p99 <= budget ? "fits" : ms <= budget ? "fits on average but not at p99" : "misses";
        return f("  frame budget at %.1f FPS is %.1f ms: %s %s takes %.3f ms per batch of %d (%.3f ms per image), p99 %.3f ms: %s the budget (%.1f FPS sustained)%n",
                fps, budget, r.net(), r.mode().id, ms, r.batch(), ms / r.batch(), p99, verdict, 1000.0 / ms * r.batch());
    }
}
