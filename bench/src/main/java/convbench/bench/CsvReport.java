package convbench.bench;

import java.util.List;
import java.util.Map;

/** The CSV output: one row per net and mode. */
final class CsvReport {
    static final String HEADER = "net,mode,batch,image_size,steps,warmup,mean_ms,sd_ms,min_ms,p50_ms,p90_ms,p99_ms,"
            + "images_per_s,gflops,peak_in_use_bytes,peak_reserved_bytes,device,precision,backend";

    private CsvReport() {}

    static String render(Config c, Map<String, String> env, List<Result> results) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        String device = quote(env.getOrDefault("device", "")), backend = quote(env.getOrDefault("backend", ""));
        for (Result r : results) {
            Stats s = r.stats();
            b.append(TextReport.f("%s,%s,%d,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.3f,%d,%d,%s,%s,%s%n",
                    r.net(), r.mode().id, r.batch(), r.imageSize(), s.count(), r.m().warmup(), s.meanMs(), s.sdMs(),
                    s.minMs(), s.p50Ms(), s.p90Ms(), s.p99Ms(), r.imagesPerS(), r.gflops(),
                    r.m().memory().peakInUse(), r.m().memory().peakReserved(), device, c.precision(), backend));
        }
        return b.toString();
    }

    static String quote(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
