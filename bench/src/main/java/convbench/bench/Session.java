package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendUnavailableException;
import convbench.engine.Backends;
import convbench.engine.DeviceMemoryException;
import convbench.engine.LayerListener;
import convbench.engine.MetaBackend;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.Summary;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What run, compare and sweep share: the backend, the live text (header, the seeds' progress and
 * result lines), the measurement of one net in one mode, and writing the report.
 */
final class Session implements AutoCloseable {
    final StepOptions o;
    final List<Mode> modes;
    final Backend backend;
    final String backendLine;
    final Map<String, String> env;
    final PrintWriter stdout;
    /** Where live lines go: stdout for text, stderr for json / csv, nowhere when quiet. */
    private final PrintWriter live;
    /** Everything the text report says, for --output and --quiet. */
    private final StringBuilder transcript = new StringBuilder();
    private final StringBuilder results = new StringBuilder();
    private final Progress progress;

    Session(StepOptions o, PrintWriter stdout, PrintWriter stderr) {
        o.validate();
        this.o = o;
        this.modes = Mode.parse(o.mode);
        this.stdout = stdout;
        this.live = o.quiet ? null : o.format.equals("text") ? stdout : stderr;
        this.progress = new Progress(o.quiet ? null : stderr);
        Backends.Opened opened = open(o.device, new BackendOptions(o.threads(), o.precision, o.cudnnAlgo));
        this.backend = opened.backend();
        this.backendLine = backend.name() + (opened.fallbackReason() != null
                ? " (--device auto found no usable GPU, so this runs on the CPU: " + opened.fallbackReason() + ")" : "");
        this.env = new LinkedHashMap<>(backend.environment());
        this.nvtx = o.nvtxOn() ? NvtxRanges.open(env) : null;
    }

    /** NVTX ranges (--nvtx, --profile), or null. */
    private final NvtxRanges nvtx;

    /** Opens --device: a bad spec is a usage error (exit 2), a device that cannot be used a run-time failure (exit 1). */
    static Backends.Opened open(String device, BackendOptions options) {
        try {
            return Backends.open(device, options);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        } catch (BackendUnavailableException e) {
            throw new RunFailure("the CUDA device cannot be used: " + e.getMessage());
        }
    }

    Config config(List<String> nets, boolean layers, Double fps) {
        return new Config(nets, o.batch, o.steps, o.warmup, modes, o.device, o.imageSize, o.classes, o.precision, o.seed,
                o.threads(), o.cudnnAlgo, layers, fps, o.format, o.output == null ? null : o.output.toString(), o.quiet, o.profile);
    }

    /** A line of the text report, shown live unless quiet. */
    void say(String text) {
        transcript.append(text);
        if (live != null) {
            progress.clear();
            live.print(text);
            live.flush();
        }
    }

    /** A result line: shown live, and kept for --quiet text output. */
    void sayResult(String text) {
        say(text);
        results.append(text);
    }

    /** Opens a net as a workload, with its size checked. */
    NetWorkload workload(String name, int batch) {
        int size = o.imageSize != null ? o.imageSize : Nets.spec(name).defaultImageSize();
        return new NetWorkload(backend, Nets.spec(name).name(), batch, size, o.classes, o.seed);
    }

    /** Times one mode of a workload, printing the seeds' lines. */
    Result measure(NetWorkload w, Mode mode, boolean layers) {
        Net net = w.net();
        Summary sum = summary(net);
        Harness.Measurement m;
        try {
            m = Harness.time(w, mode, o.warmup, o.steps, o.seed, o.profile, new Harness.Listener() {
                @Override public void warmedUp(int index, int of) { progress.show(net.name() + " " + mode.id + " burn-in", index + 1, of); }

                @Override public void stepped(int index, int of, double millis) {
                    if ((o.warmup + index) % 10 == 0) say(TextReport.progress(index, millis) + "\n");
                    progress.show(net.name() + " " + mode.id, index + 1, of);
                }

                @Override public LayerListener layers() { return nvtx; }

                @Override public void stepStarting(int index, int of) {
                    if (nvtx != null) nvtx.step(net.name() + " " + mode.id + " step " + index);
                }

                @Override public void stepEnded(int index, int of) {
                    if (nvtx != null) nvtx.endStep();
                }
            });
        } catch (DeviceMemoryException e) {
            throw outOfMemory(e, net.name(), mode, w.batch(), net.imageSize());
        } finally {
            progress.clear();
        }
        List<LayerTimes.Row> rows = layers ? LayerTimes.measure(w, mode, Math.min(o.steps, 10), o.seed) : null;
        Result r = Result.of(net.name(), net.imageSize(), sum.trainable(), sum.macsPerImage(), m, backend.peakGflops(o.precision), rows);
        sayResult(TextReport.resultLine(r) + "\n");
        sayResult(TextReport.details(r));
        if (rows != null) sayResult(TextReport.layers(r));
        return r;
    }

    private final Map<String, Summary> summaries = new LinkedHashMap<>();

    Summary summary(Net net) {
        return summaries.computeIfAbsent(net.name() + "@" + net.imageSize(), k -> net.summary());
    }

    /**
     * Out of device memory: the largest batch that should fit, estimated by running the step on
     * shapes only (MetaBackend counts the bytes a real backend would hold).
     */
    private RunFailure outOfMemory(DeviceMemoryException e, String net, Mode mode, int batch, int size) {
        long available = (long) ((e.free() + e.inUse()) * 0.9);
        int lo = 0, hi = batch; // fits(lo) assumed, fits(hi) false
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (estimate(net, mode, mid, size) <= available) lo = mid;
            else hi = mid;
        }
        String hint = lo >= 1 ? "batch " + lo + " should fit: use --batch " + lo + " or less"
                : "not even batch 1 fits: use a smaller --image-size or a larger GPU";
        return new RunFailure(e.getMessage() + " at batch " + batch + " (" + net + " " + mode.id + "); " + hint);
    }

    /** Peak bytes of one step at this batch, on shapes only. */
    long estimate(String net, Mode mode, int batch, int size) {
        try (MetaBackend meta = new MetaBackend(); NetWorkload w = new NetWorkload(meta, net, batch, size, o.classes, o.seed)) {
            w.prepare();
            w.step(mode == Mode.FORWARD ? Mode.FORWARD : Mode.FORWARD_BACKWARD, 0, null);
            return meta.memory().peakInUse();
        }
    }

    /** Writes the finished report: text (the transcript), json or csv, to --output or stdout. */
    void finish(Config c, List<Result> all) {
        String doc;
        env.putAll(backend.environment()); // what the backend noted while running (a fallback it took)
        switch (o.format) {
            case "json": doc = JsonReport.render(c, env, Harness.timerOverheadMs(backend, 100), all); break;
            case "csv": doc = CsvReport.render(c, env, all); break;
            default: doc = transcript.toString();
        }
        if (o.output != null) {
            write(o.output, doc);
        } else if (!o.format.equals("text")) {
            stdout.print(doc);
        } else if (o.quiet) {
            stdout.print(results); // the text was not shown live
        }
        stdout.flush();
    }

    /** Writes a file atomically: a temporary file beside it, then a move, so nothing half-written is left. */
    static void write(Path path, String content) {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        try {
            if (dir != null && !Files.isDirectory(dir))
                throw new RunFailure("cannot write " + path + ": the folder " + dir + " does not exist");
            Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            try {
                Files.writeString(tmp, content);
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new RunFailure("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        progress.clear();
        backend.close();
    }
}
