package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendUnavailableException;
import convbench.engine.Backends;
import convbench.engine.DeviceMemoryException;
import convbench.engine.LayerListener;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.Summary;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What run, compare and sweep share: the backend, the live text (header, the seeds' progress and
 * result lines), the measurement of one net in one mode, and writing the report. Whether a step fits
 * before it runs, and the batch that would, is {@link BatchFit}'s.
 */
final class Session implements AutoCloseable {
    final StepOptions o;
    final List<Integer> batches;
    final List<Mode> modes;
    final Backend backend;
    /** The backend is a GPU (precision, algorithm choice and the profiler apply; no default time budget). */
    final boolean gpu;
    final String backendLine;
    final Map<String, String> env;
    /** Seconds of timed steps per mode before the timing stops; 0 for none. */
    final double budgetS;
    /** --precision tf32, --cudnn-algo find, --profile given to a backend that is not a GPU. */
    final List<String> ignoredGpuOptions;
    final PrintWriter stdout;
    /** Where live lines go: stdout for text, stderr for json / csv, nowhere when quiet. */
    private final PrintWriter live;
    /** Everything the text report says, for --output and --quiet. */
    private final StringBuilder transcript = new StringBuilder();
    private final StringBuilder results = new StringBuilder();
    private final Progress progress;
    /** Whether a step fits, and the batch that would (checked before the first step). */
    final BatchFit fit;

    Session(StepOptions o, List<Integer> batches, PrintWriter stdout, PrintWriter stderr) {
        o.validate();
        for (int b : batches) StepOptions.checkBatch(batches.size() == 1 ? "--batch" : "--batches", b);
        if (o.output != null) Output.check(o.output);
        this.o = o;
        this.batches = List.copyOf(batches);
        this.modes = Mode.parse(o.mode);
        this.stdout = stdout;
        this.live = o.quiet ? null : o.format.equals("text") ? stdout : stderr;
        this.progress = new Progress(o.quiet ? null : stderr);
        Backends.Opened opened = open(o.device, new BackendOptions(o.threads(), o.precision, o.cudnnAlgo, o.cpuConv));
        this.backend = opened.backend();
        this.gpu = backend.name().startsWith("cuda");
        this.backendLine = backend.name() + (opened.fallbackReason() != null
                ? " (no usable GPU: " + shortReason(opened.fallbackReason()) + "; --device cuda says why)" : "");
        this.env = new LinkedHashMap<>();
        env.put("backend", backend.name());
        env.putAll(backend.environment());
        if (!gpu) env.put("java heap", "at most " + TextReport.bytes(Runtime.getRuntime().maxMemory()) + collector());
        if (opened.fallbackReason() != null) env.put("gpu fallback", opened.fallbackReason());
        this.nvtx = o.nvtxOn() ? NvtxRanges.open(env) : null;
        this.budgetS = o.budgetSeconds(gpu);
        // GPU-only options on another backend: said once, and the report shows what ran
        List<String> ignored = new ArrayList<>();
        if (!gpu && o.precision.equals("tf32")) ignored.add("--precision tf32");
        if (!gpu && o.cudnnAlgo.equals("find")) ignored.add("--cudnn-algo find");
        if (!gpu && o.profile) ignored.add("--profile");
        this.ignoredGpuOptions = List.copyOf(ignored);
        this.fit = new BatchFit(modes, gpu, o.classes, o.seed, this::summary);
    }

    /** ", serial collector" and the like: which garbage collector this JVM runs (the relaunch picks serial), or "". */
    static String collector() {
        try {
            for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                String n = gc.getName();
                if (n.equals("Copy") || n.equals("MarkSweepCompact")) return ", serial collector";
                if (n.startsWith("G1")) return ", G1 collector";
                if (n.startsWith("PS ")) return ", parallel collector";
                if (n.startsWith("ZGC")) return ", ZGC collector";
                if (n.startsWith("Shenandoah")) return ", Shenandoah collector";
            }
        } catch (LinkageError | RuntimeException e) {
            // a runtime without java.management
        }
        return "";
    }

    /** The first clause of a fallback reason ("no NVIDIA driver"), for the one-line header. */
    static String shortReason(String reason) {
        int cut = reason.length();
        for (String sep : new String[] {" (", ": ", "; "}) {
            int i = reason.indexOf(sep);
            if (i > 0) cut = Math.min(cut, i);
        }
        return reason.substring(0, cut);
    }

    /** The note for GPU-only options given on another backend, or null. */
    String ignoredNote() {
        if (ignoredGpuOptions.isEmpty()) return null;
        return TextReport.f("  note           %s %s only to a GPU: ignored on %s (this run is fp32, without profiler ranges)%n",
                String.join(", ", ignoredGpuOptions), ignoredGpuOptions.size() == 1 ? "applies" : "apply", backend.name());
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

    /** The configuration as it runs: GPU-only options a CPU ignores show what actually ran (fp32, heuristic, no profile). */
    Config config(List<String> nets, boolean layers, Double fps) {
        return new Config(nets, batches, o.steps, o.warmup, budgetS, modes, o.device, o.imageSize, o.classes,
                gpu ? o.precision : "fp32", o.seed, o.threads(), gpu ? o.cudnnAlgo : "heuristic", gpu ? null : o.cpuConv, layers, fps, o.format,
                o.output == null ? null : o.output.toString(), o.quiet, gpu && o.profile);
    }

    /** The header: configuration, backend, environment, and the note on GPU-only options. */
    String header(Config c) {
        String note = ignoredNote();
        return TextReport.header(c, backendLine, env) + (note == null ? "" : note);
    }

    /** A line shown live (progress, estimates), not part of the report. */
    void note(String text) {
        if (live == null) return;
        progress.clear();
        live.print(text);
        live.flush();
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

    /** Opens a net as a workload, with its size checked and every mode tried on shapes first (see {@link BatchFit#check}). */
    NetWorkload workload(String name, int batch) {
        int size = imageSize(name);
        fit.check(name, batch, size);
        return new NetWorkload(backend, Nets.spec(name).name(), batch, size, o.classes, o.seed);
    }

    int imageSize(String name) { return o.imageSize != null ? o.imageSize : Nets.spec(name).defaultImageSize(); }

    /** Times one mode of a workload, printing the seeds' lines, live progress at least every few seconds, and an estimate. */
    Result measure(NetWorkload w, Mode mode, boolean layers) {
        Net net = w.net();
        Summary sum = summary(net);
        String what = net.name() + " " + mode.id;
        Harness.Measurement m;
        try {
            m = Harness.time(w, mode, o.warmup, o.steps, budgetS, o.seed, o.profile && gpu, new Harness.Listener() {
                long lastLine = System.nanoTime(), lastStep = lastLine;
                boolean estimated;

                @Override public void warmedUp(int index, int of) {
                    long now = System.nanoTime();
                    double ms = (now - lastStep) / 1e6;
                    lastStep = now;
                    estimate(ms, index);
                    if (now - lastLine >= heartbeatNanos) {
                        note(TextReport.f("%s: %s burn-in step %d of %d, duration = %.3f%n", TextReport.now(), what, index + 1, of, ms / 1e3));
                        lastLine = now;
                    }
                    progress.show(what + " burn-in", index + 1, of);
                }

                @Override public void stepped(int index, int of, double millis) {
                    long now = System.nanoTime();
                    estimate(millis, o.warmup + index);
                    if ((o.warmup + index) % 10 == 0) {
                        say(TextReport.progress(index, millis) + "\n");
                        lastLine = now;
                    } else if (now - lastLine >= heartbeatNanos) {
                        note(TextReport.progress(index, millis) + "\n");
                        lastLine = now;
                    }
                    progress.show(what, index + 1, of);
                }

                /** After the first step of the mode: how long the mode will take, said once. */
                void estimate(double firstMs, int stepsSoFar) {
                    if (estimated || stepsSoFar != 0) return;
                    estimated = true;
                    note(TextReport.estimate(what, firstMs, o.warmup, o.steps, budgetS));
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
            throw fit.outOfMemory(e, net.name(), mode, w.batch(), net.imageSize());
        } catch (OutOfMemoryError e) {
            throw fit.heapExhausted(net.name(), mode, w.batch(), net.imageSize());
        } finally {
            progress.clear();
        }
        if (m.stoppedByBudget()) sayResult(TextReport.budgetLine(m));
        List<LayerTimes.Row> rows = layers ? LayerTimes.measure(w, mode, Math.min(m.samplesMs().length, 10), o.seed) : null;
        Result r = Result.of(net.name(), net.imageSize(), sum.trainable(), sum.macsPerImage(), m, backend.peakGflops(gpu ? o.precision : "fp32"), rows);
        sayResult(TextReport.resultLine(r) + "\n");
        sayResult(TextReport.details(r));
        if (rows != null) sayResult(TextReport.layers(r));
        return r;
    }

    /** Live progress lines come at least this often (the seeds' line every 10 steps can be minutes apart on a CPU). */
    static long heartbeatNanos = 5_000_000_000L;

    private final Map<String, Summary> summaries = new LinkedHashMap<>();

    Summary summary(Net net) {
        return summaries.computeIfAbsent(net.name() + "@" + net.imageSize(), k -> net.summary());
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

    /** Writes a report file whole (see {@link Output#write}). */
    static void write(Path path, String content) { Output.write(path, content.getBytes(StandardCharsets.UTF_8)); }

    @Override public void close() {
        progress.clear();
        backend.close();
    }
}
