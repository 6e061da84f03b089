package convbench.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.util.List;
import java.util.Map;

/** The JSON output: configuration, environment, every step's sample and the statistics. */
final class JsonReport {
    private JsonReport() {}

    static String render(Config c, Map<String, String> env, double timerOverheadMs, List<Result> results) {
        JsonObject root = new JsonObject();
        root.addProperty("convbench", Main.VERSION);
        root.addProperty("backend", env.getOrDefault("backend", "")); // what ran; the environment says on what
        JsonObject config = new JsonObject();
        JsonArray nets = new JsonArray();
        c.nets().forEach(nets::add);
        config.add("nets", nets);
        if (c.batches().size() == 1) {
            config.addProperty("batch", c.batches().get(0));
        } else {
            JsonArray bs = new JsonArray();
            c.batches().forEach(bs::add);
            config.add("batches", bs);
        }
        config.addProperty("steps", c.steps());
        config.addProperty("warmup", c.warmup());
        if (c.budgetS() > 0) config.addProperty("budget_s", c.budgetS());
        JsonArray modes = new JsonArray();
        c.modes().forEach(m -> modes.add(m.id));
        config.add("modes", modes);
        config.addProperty("device", c.device());
        if (c.imageSize() != null) config.addProperty("image_size", c.imageSize());
        config.addProperty("classes", c.classes());
        config.addProperty("precision", c.precision());
        config.addProperty("seed", c.seed());
        config.addProperty("threads", c.threads());
        config.addProperty("cudnn_algo", c.cudnnAlgo());
        if (c.cpuConv() != null) config.addProperty("cpu_conv", c.cpuConv());
        if (c.fps() != null) config.addProperty("fps", c.fps());
        root.add("config", config);
        JsonObject e = new JsonObject();
        env.forEach(e::addProperty);
        root.add("environment", e);
        root.addProperty("timer_overhead_ms", timerOverheadMs);
        JsonArray rs = new JsonArray();
        for (Result r : results) rs.add(result(r));
        root.add("results", rs);
        return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(root) + "\n";
    }

    static JsonObject result(Result r) {
        JsonObject o = new JsonObject();
        o.addProperty("net", r.net());
        o.addProperty("mode", r.mode().id);
        o.addProperty("batch", r.batch());
        o.addProperty("image_size", r.imageSize());
        o.addProperty("params", r.params());
        o.addProperty("macs_per_image", r.macsPerImage());
        o.addProperty("warmup", r.m().warmup());
        o.addProperty("steps", r.stats().count());
        if (r.m().stoppedByBudget()) {
            o.addProperty("steps_requested", r.m().steps());
            o.addProperty("stopped_by_budget_s", r.m().budgetS());
        }
        JsonArray samples = new JsonArray(), wall = new JsonArray();
        for (double v : r.m().samplesMs()) samples.add(v);
        for (double v : r.m().wallMs()) wall.add(v);
        o.add("samples_ms", samples);
        o.add("wall_ms", wall);
        Stats s = r.stats();
        JsonObject st = new JsonObject();
        st.addProperty("mean_ms", s.meanMs());
        st.addProperty("sd_ms", s.sdMs());
        st.addProperty("min_ms", s.minMs());
        st.addProperty("p50_ms", s.p50Ms());
        st.addProperty("p90_ms", s.p90Ms());
        st.addProperty("p99_ms", s.p99Ms());
        st.addProperty("max_ms", s.maxMs());
        st.addProperty("images_per_s", r.imagesPerS());
        st.addProperty("gflops", r.gflops());
        if (!Double.isNaN(r.peakPercent())) st.addProperty("peak_percent", r.peakPercent());
        if (r.aboveDevicePeak()) st.addProperty("timing_above_device_peak", true); // impossible: the timing is broken
        o.add("stats", st);
        JsonObject mem = new JsonObject();
        mem.addProperty("peak_in_use_bytes", r.m().memory().peakInUse());
        mem.addProperty("peak_reserved_bytes", r.m().memory().peakReserved());
        if (r.m().processPeakRssBytes() > 0) mem.addProperty("process_peak_rss_bytes", r.m().processPeakRssBytes());
        o.add("memory", mem);
        if (r.layers() != null) {
            JsonArray ls = new JsonArray();
            for (LayerTimes.Row row : r.layers()) {
                JsonObject l = new JsonObject();
                l.addProperty("layer", row.layer());
                l.addProperty("op", row.op());
                if (!row.kernel().isEmpty()) l.addProperty("kernel", row.kernel());
                l.addProperty("forward_ms", row.forwardMs());
                if (r.mode() != Mode.FORWARD) l.addProperty("backward_ms", row.backwardMs());
                ls.add(l);
            }
            o.add("layers", ls);
        }
        return o;
    }
}
