package convbench.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import convbench.kernels.cpu.CpuBackend;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.TensorDump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line, run in-process: every command, every output format, every user error. */
class BenchCliTest {
    /** A small, quick configuration: alexnet-conv at 67x67, batch 2, a few steps, on the CPU. */
    static final String[] SMALL = {"--device", "cpu", "--threads", "2", "--batch", "2", "--steps", "3", "--warmup", "1", "--image-size", "67"};

    record Out(int code, String out, String err) {
        /** stderr is one line: one sentence, no stack trace. */
        void oneSentenceError() {
            assertTrue(err.startsWith("bench: "), err);
            assertEquals(1, err.strip().lines().count(), err);
            assertFalse(err.contains("\tat "), err);
        }
    }

    static Out run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Out(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** first (a net or a command), then SMALL, then more (which override SMALL: the last value wins). */
    static String[] small(String first, String... more) {
        List<String> a = new ArrayList<>(List.of(first));
        a.addAll(Arrays.asList(SMALL));
        a.addAll(Arrays.asList(more));
        return a.toArray(new String[0]);
    }

    /** sweep, alexnet-conv, SMALL without --batch (sweep takes --batches), then more. */
    static String[] sweep(String... more) {
        List<String> a = new ArrayList<>(List.of("sweep", "alexnet-conv", "--device", "cpu", "--threads", "2", "--steps", "3", "--warmup", "1",
                "--image-size", "67"));
        a.addAll(Arrays.asList(more));
        return a.toArray(new String[0]);
    }

    static final Pattern TS = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}");

    @Test
    void runPrintsTheSeedsLinesThenPlainUnits() {
        Out r = run(small("alexnet-conv", "--steps", "11", "--warmup", "10"));
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("backend        cpu"), out);
        assertTrue(out.contains("device         CPU: "), out);
        assertTrue(out.contains("java           "), out);
        assertTrue(out.contains("alexnet-conv at 67x67: 2,469,696 parameters"), out);
        // warm-up 10: steps 0 and 10 print, as the seed's "if not i % 10" over burn-in + timed indices
        assertTrue(Pattern.compile(TS + ": step 0, duration = \\d+\\.\\d{3}\n").matcher(out).find(), out);
        assertTrue(Pattern.compile(TS + ": step 10, duration = \\d+\\.\\d{3}\n").matcher(out).find(), out);
        assertTrue(Pattern.compile(TS + ": Forward across 11 steps, \\d+\\.\\d{3} \\+/- \\d+\\.\\d{3} sec / batch\n").matcher(out).find(), out);
        assertTrue(Pattern.compile(TS + ": Forward-backward across 11 steps, \\d+\\.\\d{3} \\+/- \\d+\\.\\d{3} sec / batch\n").matcher(out).find(), out);
        assertTrue(out.contains("ms per batch of 2") && out.contains("p99") && out.contains("images/s") && out.contains("GFLOP/s achieved"), out);
        assertTrue(out.contains("peak memory"), out);
    }

    @Test
    void jsonHoldsConfigEnvironmentEverySampleAndStatistics() {
        Out r = run(small("alexnet-conv", "--format", "json", "--mode", "all"));
        assertEquals(0, r.code(), r.err());
        JsonObject root = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(2, root.getAsJsonObject("config").get("batch").getAsInt());
        assertEquals("cpu", root.getAsJsonObject("config").get("device").getAsString());
        assertTrue(root.getAsJsonObject("environment").get("device").getAsString().startsWith("CPU"));
        assertTrue(root.get("timer_overhead_ms").getAsDouble() >= 0);
        JsonArray results = root.getAsJsonArray("results");
        assertEquals(3, results.size());
        List<String> modes = new ArrayList<>();
        for (var e : results) {
            JsonObject res = e.getAsJsonObject();
            modes.add(res.get("mode").getAsString());
            assertEquals(3, res.getAsJsonArray("samples_ms").size());
            double sum = 0;
            for (var s : res.getAsJsonArray("samples_ms")) sum += s.getAsDouble();
            assertEquals(sum / 3, res.getAsJsonObject("stats").get("mean_ms").getAsDouble(), 1e-9);
            assertTrue(res.getAsJsonObject("stats").get("images_per_s").getAsDouble() > 0);
            assertTrue(res.getAsJsonObject("memory").get("peak_in_use_bytes").getAsLong() > 0);
        }
        assertEquals(List.of("forward", "forward-backward", "train"), modes);
    }

    @Test
    void csvHasOneRowPerNetAndMode() {
        Out r = run(small("alexnet-conv", "--format", "csv"));
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(CsvReport.HEADER, lines.get(0));
        assertEquals(3, lines.size());
        assertTrue(lines.get(1).startsWith("alexnet-conv,forward,2,67,3,1,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("alexnet-conv,forward-backward,2,67,3,1,"), lines.get(2));
    }

    @Test
    void outputGoesToAFileAtomically(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("r.json");
        Out r = run(small("alexnet-conv", "--format", "json", "--output", f.toString(), "--quiet", "--mode", "forward"));
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
        JsonParser.parseString(Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        Out bad = run(small("alexnet-conv", "--output", dir.resolve("no/such/dir/r.txt").toString(), "--mode", "forward"));
        assertEquals(1, bad.code());
        bad.oneSentenceError();
        assertTrue(bad.err().contains("does not exist"), bad.err());
    }

    @Test
    void quietTextPrintsOnlyTheResults() {
        Out r = run(small("alexnet-conv", "--quiet", "--mode", "forward"));
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("step 0"), r.out());
        assertFalse(r.out().contains("backend"), r.out());
        assertTrue(r.out().contains("Forward across 3 steps"), r.out());
    }

    /** --cpu-conv chooses the CPU's convolutions, the header says which rule ran, --layers which kernel each layer ran. */
    @Test
    void cpuConvChoiceShowsInTheHeaderAndTheLayerTable() {
        Out r = run(small("alexnet-conv", "--mode", "forward", "--layers", "--cpu-conv", "winograd4"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("convolution    winograd4 (Winograd F(4x4,3x3) on every 3x3 stride-1 layer, else gemm)"), r.out());
        assertTrue(Pattern.compile("conv3 +conv 3x3 SAME \\+b relu \\[winograd4\\] +\\d+\\.\\d{3}").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("conv1 +conv 11x11/4 SAME \\+b relu \\[im2col\\+gemm\\]").matcher(r.out()).find(), r.out());
        r = run(small("alexnet-conv", "--cpu-conv", "fast"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--cpu-conv must be auto, direct, winograd2 or winograd4, got fast"), r.err());
    }

    @Test
    void layersAndFps() {
        Out r = run(small("alexnet-conv", "--mode", "forward-backward", "--layers", "--fps", "10"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("per-layer times"), r.out());
        assertTrue(Pattern.compile("conv2 +conv 5x5 SAME \\+b relu \\[im2col\\+gemm\\] +\\d+\\.\\d{3} +\\d+\\.\\d{3}").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("frame budget at 10.0 FPS is 100.0 ms"), r.out());
    }

    @Test
    void listShowsEveryNet() {
        Out r = run("list");
        assertEquals(0, r.code(), r.err());
        for (String n : List.of("alexnet", "alexnet-conv", "vgg16", "inception3", "resnet50", "resnet101", "resnet152", "resnet200"))
            assertTrue(Pattern.compile("(?m)^" + n + " ").matcher(r.out()).find(), n + " missing:\n" + r.out());
        assertTrue(r.out().contains("62,378,344"), r.out());
        assertTrue(r.out().contains("138,357,544"), r.out());
        Out j = run("list", "--format", "json");
        assertEquals(8, JsonParser.parseString(j.out()).getAsJsonArray().size());
    }

    @Test
    void summaryPrintsTheLayerTable() {
        Out r = run("summary", "alexnet-conv");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("conv1") && r.out().contains("pool5") && r.out().contains("2,469,696"), r.out());
        assertTrue(r.out().contains("(N, 256, 6, 6)"), r.out());
    }

    @Test
    void compareShowsRatiosToTheFirstNet() {
        Out r = run(small("compare", "alexnet-conv", "alexnet", "--mode", "forward"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Pattern.compile("(?m)^alexnet-conv +2,469,696 +\\S+ +\\d+\\.\\d{3} +1\\.00$").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("(?m)^alexnet +\\S+ +\\S+ +\\d+\\.\\d{3} +\\d+\\.\\d\\d$").matcher(r.out()).find(), r.out());
    }

    @Test
    void sweepWritesTableAndChart(@TempDir Path dir) throws Exception {
        assertEquals(2, run(sweep("--batches", "1,0")).code());
        Out none = run(sweep("--batches", "1", "--chart", "none", "--steps", "1", "--mode", "forward"));
        assertEquals(0, none.code(), none.err());
        assertFalse(none.out().contains("chart:"), none.out());
        org.junit.jupiter.api.Assumptions.assumeTrue(ModuleLayer.boot().findModule("java.desktop").isPresent(),
                "this Java runtime has no java.desktop module (the GPU kit's runtime): charts cannot be drawn");
        Path png = dir.resolve("sweep.png");
        Out r = run(sweep("--batches", "1,2", "--chart", png.toString(), "--steps", "2", "--mode", "forward"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Pattern.compile("(?m)^ +1 +\\d+\\.\\d{3} +\\d+\\.\\d$").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("(?m)^ +2 +\\d+\\.\\d{3} +\\d+\\.\\d$").matcher(r.out()).find(), r.out());
        byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
    }

    @Test
    void dumpWritesAFileThatLoadsBack(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.safetensors");
        Out r = run("dump", "alexnet-conv", "--image-size", "67", "--batch", "2", "--output", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + f), r.out());
        try (CpuBackend be = new CpuBackend(2); Net n = Nets.create("alexnet-conv", be, 1000, 67, 99)) {
            TensorDump.loadParams(n, f); // by name, shapes checked
        }
    }

    @Test
    void gradcheckAgreesOnASmallNet() {
        Out r = run("gradcheck", "alexnet-conv", "--params", "4", "--samples", "2");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("conv1/weights") && r.out().contains(" ok"), r.out());
        assertFalse(r.out().contains("MISMATCH"), r.out());
    }

    // ---- errors: one sentence on stderr, exit 2 for usage, 1 at run time ----

    @Test
    void unknownNetSuggestsTheClosestNames() {
        Out r = run("alexnt", "--device", "cpu");
        assertEquals(2, r.code());
        r.oneSentenceError();
        assertTrue(r.err().contains("alexnet"), r.err());
    }

    @Test
    void nonPositiveBatchOrSteps() {
        Out b = run("alexnet-conv", "--batch", "0");
        assertEquals(2, b.code());
        b.oneSentenceError();
        assertTrue(b.err().contains("--batch must be a positive"), b.err());
        Out s = run("alexnet-conv", "--steps", "-3");
        assertEquals(2, s.code());
        s.oneSentenceError();
        assertTrue(s.err().contains("--steps"), s.err());
    }

    @Test
    void imageTooSmallNamesTheSmallestSize() {
        Out r = run("inception3", "--image-size", "40", "--device", "cpu");
        assertEquals(2, r.code());
        r.oneSentenceError();
        assertTrue(r.err().contains("too small for inception3") && r.err().contains("smallest it takes is 75"), r.err());
    }

    @Test
    void cudaAskedForButUnusableSaysWhy() {
        Out r = run("alexnet-conv", "--device", "cuda", "--steps", "1");
        assertEquals(1, r.code());
        r.oneSentenceError();
        assertTrue(r.err().contains("the CUDA device cannot be used: "), r.err());
    }

    @Test
    void autoFallsBackToTheCpuAndSaysSo() {
        Out r = run("alexnet-conv", "--device", "auto", "--threads", "2", "--batch", "1", "--steps", "1", "--warmup", "0",
                "--image-size", "67", "--mode", "forward");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("backend        cpu (no usable GPU: "), r.out());
        String line = r.out().lines().filter(l -> l.startsWith("  backend")).findFirst().orElseThrow();
        assertTrue(line.length() <= 100 && line.endsWith("; --device cuda says why)"), line);
        Out json = run("alexnet-conv", "--device", "auto", "--threads", "2", "--batch", "1", "--steps", "1", "--warmup", "0",
                "--image-size", "67", "--mode", "forward", "--format", "json");
        JsonObject env = JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonObject("environment");
        assertTrue(env.get("gpu fallback").getAsString().length() > 20, "the whole reason is in the JSON: " + env);
    }

    @Test
    void badOptionValues() {
        for (String[] args : List.of(
                new String[] {"alexnet-conv", "--device", "gpu"},
                new String[] {"alexnet-conv", "--format", "xml"},
                new String[] {"alexnet-conv", "--mode", "sideways"},
                new String[] {"alexnet-conv", "--precision", "fp8"},
                new String[] {"alexnet-conv", "--no-such-option"},
                new String[] {"alexnet-conv", "--batch", "many"})) {
            Out r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            r.oneSentenceError();
        }
    }

    @Test
    void outOfMemorySaysWhatBatchWouldFit() {
        // A 24 MiB device: alexnet-conv at 67 needs ~10 MB of parameters and a few MB per image in forward-backward.
        Out r = run("alexnet-conv", "--device", "capped:24", "--batch", "64", "--steps", "1", "--warmup", "0",
                "--image-size", "67", "--mode", "forward-backward", "--threads", "2");
        assertEquals(1, r.code(), r.out() + r.err());
        r.oneSentenceError();
        assertTrue(Pattern.compile("out of memory on capped: .* at batch 64 \\(alexnet-conv forward-backward\\); batch (\\d+) should fit: use --batch \\1 or less")
                .matcher(r.err()).find(), r.err());
    }

    @Test
    void noArgumentsOrHelp() {
        Out none = run();
        assertEquals(2, none.code());
        none.oneSentenceError();
        Out help = run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("run") && help.out().contains("sweep"), help.out());
        Out runHelp = run("run", "--help");
        assertTrue(runHelp.out().contains("--batch") && runHelp.out().contains("--cudnn-algo"), runHelp.out());
    }

    // ---- issue 12: the main job finishes, errors come before the work, the output reads ----

    static String line(String text, String start) {
        return text.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError(start + " missing:\n" + text));
    }

    @Test
    void theCpuDefaultIsATimeBudgetThatSaysWhenItStops() {
        Out r = run(small("alexnet-conv", "--mode", "forward", "--steps", "1000", "--budget", "0.3"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\n  steps          1 burn-in + 1000 timed, at most 0.3 s of timed steps per mode\n"), r.out());
        assertTrue(Pattern.compile("\n  alexnet-conv forward: at most about \\d+ s from the first step \\(\\d+\\.\\d{3} s\\), \\d+ (s|min|h) with --budget none\n")
                .matcher(r.out()).find(), r.out());
        var m = Pattern.compile("  stopped after (\\d+) of 1000 steps at the 0\\.3 s budget; --steps 1000 --budget none for the seeds' full run\n")
                .matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(r.out().contains("Forward across " + m.group(1) + " steps"), r.out());
        // the default: 20 s on the CPU; none runs every step
        assertTrue(run(small("alexnet-conv", "--mode", "forward", "--steps", "1")).out().contains("1 burn-in + 1 timed, at most 20 s of timed steps per mode\n"));
        Out none = run(small("alexnet-conv", "--mode", "forward", "--budget", "none", "--format", "json"));
        JsonObject cfg = JsonParser.parseString(none.out()).getAsJsonObject().getAsJsonObject("config");
        assertFalse(cfg.has("budget_s"), cfg.toString());
        Out json = run(small("alexnet-conv", "--mode", "forward", "--steps", "1000", "--budget", "0.2", "--format", "json"));
        JsonObject res = JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonArray("results").get(0).getAsJsonObject();
        assertEquals(1000, res.get("steps_requested").getAsInt());
        assertEquals(res.get("steps").getAsInt(), res.getAsJsonArray("samples_ms").size());
        for (String bad : List.of("0", "-1", "soon", "NaN")) {
            Out b = run(small("alexnet-conv", "--budget", bad));
            assertEquals(2, b.code(), bad + ": " + b.err());
            b.oneSentenceError();
        }
        // --steps 2000000000 is a budget's business, not the heap's
        Out many = run(small("alexnet-conv", "--mode", "forward", "--steps", "2000000000", "--budget", "0.2", "--quiet"));
        assertEquals(0, many.code(), many.err());
    }

    @Test
    void progressLinesComeEveryFewSecondsBurnInIncluded(@TempDir Path dir) throws Exception {
        long saved = Session.heartbeatNanos;
        Session.heartbeatNanos = 0; // every step: as on a slow CPU, where 10 steps take longer than the interval
        try {
            Path f = dir.resolve("r.txt");
            Out r = run(small("alexnet-conv", "--mode", "forward", "--warmup", "3", "--steps", "3", "--output", f.toString()));
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("alexnet-conv forward burn-in step 1 of 3, duration = "), r.out());
            assertTrue(r.out().contains("alexnet-conv forward burn-in step 2 of 3, duration = "), r.out());
            assertTrue(Pattern.compile(TS + ": step 1, duration = ").matcher(r.out()).find(), r.out());
            assertTrue(Pattern.compile(TS + ": step 2, duration = ").matcher(r.out()).find(), r.out());
            String report = Files.readString(f);
            assertFalse(report.contains("burn-in step") || report.contains("from the first step"), "progress is not the report:\n" + report);
        } finally {
            Session.heartbeatNanos = saved;
        }
    }

    /**
     * The jar's relaunch, for real: a second JVM, with the first one's -Xmx, the Vector API and the serial
     * collector (another one when asked for); no relaunch for --version or list.
     */
    @Test
    void theRelaunchKeepsTheJvmOptionsAndOnlyHappensForArithmetic() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.lang.management.ManagementFactory.getRuntimeMXBean() != null);
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> base = List.of(java, "-Xmx97m", "-cp", System.getProperty("java.class.path"), Main.class.getName());
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(small("alexnet-conv", "--threads", "1", "--batch", "1", "--steps", "1", "--warmup", "0", "--mode", "forward")));
        Out r = exec(cmd);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(line(r.out(), "  matrix kernel").contains("vector"), "the second JVM has the Vector API:\n" + r.out());
        var heap = Pattern.compile("java heap +at most (\\d+\\.\\d) MiB").matcher(r.out());
        assertTrue(heap.find(), r.out());
        double mib = Double.parseDouble(heap.group(1));
        assertTrue(mib > 60 && mib <= 100, "-Xmx97m reached the second JVM: " + mib + " MiB");
        assertTrue(line(r.out(), "  java heap").endsWith(", serial collector"), "the relaunch picks the serial collector:\n" + r.out());
        assertTrue(r.err().contains("Using incubator modules"), "arithmetic runs in the relaunched JVM: " + r.err());
        // a collector given is kept
        List<String> g1 = new ArrayList<>(List.of(java, "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        g1.addAll(List.of(small("alexnet-conv", "--threads", "1", "--batch", "1", "--steps", "1", "--warmup", "0", "--mode", "forward")));
        Out rg = exec(g1);
        assertEquals(0, rg.code(), rg.out() + rg.err());
        assertTrue(line(rg.out(), "  java heap").endsWith(", G1 collector"), rg.out());
        assertEquals(List.of("-XX:+UseSerialGC", "-Xmn" + Relaunch.YOUNG), Relaunch.defaults(List.of()));
        assertEquals(List.of("-XX:+UseSerialGC"), Relaunch.defaults(List.of("-Xmx4g")));
        assertEquals(List.of("-Xmn" + Relaunch.YOUNG), Relaunch.defaults(List.of("-XX:+UseParallelGC")));
        assertEquals(List.of(), Relaunch.defaults(List.of("-XX:+UseZGC", "-XX:NewRatio=3")));
        for (String[] quiet : List.of(new String[] {"--version"}, new String[] {"list"}, new String[] {"--help"}, new String[] {"alexnet", "--help"})) {
            List<String> c = new ArrayList<>(base);
            c.addAll(List.of(quiet));
            Out q = exec(c);
            assertEquals(0, q.code(), q.err());
            assertEquals("", q.err(), String.join(" ", quiet) + " needs no second JVM");
        }
    }

    static Out exec(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("CONVBENCH_NO_RELAUNCH");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Path out = Files.createTempFile("bench", ".out"), err = Files.createTempFile("bench", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            int code = p.waitFor();
            return new Out(code, Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void aBatchTooLargeIsRefusedBeforeAnyWorkWithTheBatchThatFits() {
        Out huge = run("vgg16", "--device", "cpu", "--batch", "100000", "--mode", "forward");
        assertEquals(2, huge.code(), huge.err());
        huge.oneSentenceError();
        assertTrue(huge.err().contains("more than the 2^31-1 a tensor can index; use --batch 668 or less"), huge.err());
        assertFalse(huge.out().contains("step"), huge.out());
        // tensors beyond the heap: vgg16 forward at batch 600 holds about 15 GB
        long heap = Runtime.getRuntime().maxMemory();
        org.junit.jupiter.api.Assumptions.assumeTrue(heap * BatchFit.HEAP_SHARE < 12e9, "this test JVM's heap is larger than vgg16 at batch 600 needs");
        Out big = run("vgg16", "--device", "cpu", "--batch", "600", "--mode", "forward");
        assertEquals(1, big.code(), big.err());
        big.oneSentenceError();
        assertTrue(Pattern.compile("vgg16 forward at batch 600 needs about \\S+ GiB of tensors but the Java heap holds at most \\S+ GiB: "
                + "use --batch \\d+ or less, or give Java more heap \\(java -Xmx\\d+g -jar bench.jar ...\\)").matcher(big.err()).find(), big.err());
        assertFalse(big.out().contains("step"), big.out());
    }

    @Test
    void everyModeIsCheckedBeforeTheFirstStep() {
        for (String[] args : List.of(new String[] {"inception3", "--image-size", "75"}, new String[] {"resnet50", "--image-size", "32"})) {
            List<String> a = new ArrayList<>(List.of(args));
            a.addAll(List.of("--device", "cpu", "--batch", "1", "--steps", "1", "--warmup", "0"));
            Out r = run(a.toArray(new String[0]));
            assertEquals(2, r.code(), r.out() + r.err());
            r.oneSentenceError();
            assertTrue(r.err().contains("training needs more than one value per channel"), r.err());
            assertTrue(r.err().endsWith("use --batch 2 or more for forward-backward, or --mode forward\n"), r.err());
            assertFalse(r.out().contains("Forward across"), "nothing is timed before the refusal:\n" + r.out());
        }
    }

    @Test
    void outputTargetsAreCheckedBeforeTheRun(@TempDir Path dir) throws Exception {
        Out missing = run(small("alexnet-conv", "-o", dir.resolve("nonexistent/x.json").toString(), "--format", "json"));
        assertEquals(1, missing.code());
        missing.oneSentenceError();
        assertTrue(missing.err().contains("does not exist"), missing.err());
        assertEquals("", missing.out(), "nothing ran");
        Out folder = run(small("alexnet-conv", "-o", dir.toString()));
        assertEquals(1, folder.code());
        folder.oneSentenceError();
        assertTrue(folder.err().contains("it is a folder"), folder.err());
        assertFalse(folder.err().contains(".tmp"), folder.err());
        Files.writeString(dir.resolve("file"), "x");
        Out notFolder = run(small("alexnet-conv", "-o", dir.resolve("file/x.json").toString()));
        assertEquals(1, notFolder.code());
        assertTrue(notFolder.err().contains("is not a folder"), notFolder.err());
        Out chart = run(sweep("--batches", "1", "--chart", dir.resolve("nonexistent/x.png").toString()));
        assertEquals(1, chart.code());
        chart.oneSentenceError();
        assertFalse(chart.out().contains("step"), "nothing ran:\n" + chart.out());
        Out dump = run("dump", "alexnet-conv", "--image-size", "67", "-o", dir.resolve("nonexistent/d.safetensors").toString());
        assertEquals(1, dump.code());
        dump.oneSentenceError();
        if (Files.isDirectory(Path.of("/proc"))) {
            Out proc = run(small("alexnet-conv", "-o", "/proc/x.json"));
            assertEquals(1, proc.code());
            proc.oneSentenceError();
            assertTrue(proc.err().startsWith("bench: cannot write /proc/x.json: "), proc.err());
            assertFalse(proc.err().contains(".tmp"), "no temporary name: " + proc.err());
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "nothing half-written left behind");
        }
    }

    @Test
    void reportsAndChartsHonourTheUmask(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path reference = Files.createFile(dir.resolve("reference")); // what the umask gives a new file
        var expected = Files.getPosixFilePermissions(reference);
        Path report = dir.resolve("r.csv");
        assertEquals(0, run(small("alexnet-conv", "--mode", "forward", "--format", "csv", "-o", report.toString())).code());
        assertEquals(expected, Files.getPosixFilePermissions(report));
        org.junit.jupiter.api.Assumptions.assumeTrue(ModuleLayer.boot().findModule("java.desktop").isPresent());
        Path png = dir.resolve("s.png");
        assertEquals(0, run(sweep("--batches", "1", "--steps", "1", "--mode", "forward", "--chart", png.toString())).code());
        assertEquals(expected, Files.getPosixFilePermissions(png));
    }

    @Test
    void threadsBeyondTheMachineAreRefusedNamingTheCores() {
        int cores = Runtime.getRuntime().availableProcessors();
        Out r = run(small("alexnet-conv", "--threads", Integer.toString(4 * cores + 1)));
        assertEquals(2, r.code());
        r.oneSentenceError();
        assertTrue(r.err().contains("this machine's " + cores + " cores"), r.err());
        assertFalse(r.err().contains("--batch"), r.err());
        Out dump = run("dump", "alexnet-conv", "--threads", "1000");
        assertEquals(2, dump.code());
        assertTrue(dump.err().contains(cores + " cores"), dump.err());
    }

    @Test
    void gpuOnlyOptionsOnTheCpuAreSaidOnceAndTheReportShowsWhatRan() {
        Out r = run(small("alexnet-conv", "--mode", "forward", "--precision", "tf32", "--cudnn-algo", "find", "--profile"));
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().lines().filter(l -> l.contains("only to a GPU")).count(), r.out());
        assertTrue(line(r.out(), "  precision").startsWith("  precision      fp32, cudnn algorithms heuristic"), r.out());
        Out csv = run(small("alexnet-conv", "--mode", "forward", "--precision", "tf32", "--format", "csv"));
        assertTrue(csv.out().lines().toList().get(1).endsWith(",fp32,cpu"), csv.out());
        assertTrue(csv.err().contains("only to a GPU") || !csv.out().contains("tf32"), csv.err());
    }

    @Test
    void compareKeepsEachNetsOwnNumbersAndNeedsTwoNets() {
        Out r = run(small("compare", "alexnet-conv", "alexnet_conv", "--mode", "forward"));
        assertEquals(0, r.code(), r.err());
        var details = Pattern.compile("(?m)^  alexnet-conv forward: (\\d+\\.\\d{3}) ms per batch").matcher(r.out());
        List<String> means = new ArrayList<>();
        while (details.find()) means.add(details.group(1));
        assertEquals(2, means.size(), r.out());
        var rows = Pattern.compile("(?m)^alexnet-conv +2,469,696 +\\S+ +(\\d+\\.\\d{3}) +\\d+\\.\\d\\d$").matcher(r.out());
        List<String> shown = new ArrayList<>();
        while (rows.find()) shown.add(rows.group(1));
        assertEquals(means, shown, r.out());
        for (String l : r.out().lines().toList()) assertTrue(l.length() <= 100, l.length() + ": " + l);
        Out one = run(small("compare", "alexnet"));
        assertEquals(2, one.code());
        one.oneSentenceError();
        assertTrue(one.err().contains("compare needs two or more nets") && one.err().contains("got only alexnet"), one.err());
        Out fb = run(small("compare", "alexnet-conv", "alexnet", "--steps", "1"));
        for (String l : fb.out().lines().toList()) assertTrue(l.length() <= 100, l.length() + ": " + l);
    }

    @Test
    void sweepRefusesBatchAndRecordsItsBatches() {
        Out r = run(sweep("--batches", "1,2", "--chart", "none", "--batch", "2"));
        assertEquals(2, r.code(), r.err());
        r.oneSentenceError();
        assertTrue(r.err().contains("--batches"), r.err());
        List<String> a = new ArrayList<>(List.of("sweep", "alexnet-conv", "--device", "cpu", "--threads", "2", "--steps", "1", "--warmup", "0",
                "--image-size", "67", "--batches", "1,2", "--chart", "none", "--mode", "forward"));
        Out text = run(a.toArray(new String[0]));
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith("convbench " + Main.VERSION + ": alexnet-conv, batches 1,2, "), text.out());
        a.addAll(List.of("--format", "json"));
        JsonObject cfg = JsonParser.parseString(run(a.toArray(new String[0])).out()).getAsJsonObject().getAsJsonObject("config");
        assertEquals("[1,2]", cfg.get("batches").toString());
        assertFalse(cfg.has("batch"), cfg.toString());
    }

    /** The chart: every swept batch a labelled point, images/s from 0, the settings in the title. */
    @Test
    void sweepChartLabelsEveryBatch() {
        double[] s = {10, 10};
        List<Result> results = new ArrayList<>();
        for (int b : List.of(1, 2, 4, 8)) {
            Harness.Measurement m = new Harness.Measurement(Mode.FORWARD, b, 0, 2, 0, s, s, Stats.of(s), new convbench.engine.MemoryStats(0, 0, 0, 0), 0);
            results.add(Result.of("alexnet-conv", 224, 1, 1, m, 0, null));
        }
        Config c = new Config(List.of("alexnet-conv"), List.of(1, 2, 4, 8), 100, 10, 20, List.of(Mode.FORWARD), "cpu", null, 1000, "fp32", 1, 2,
                "heuristic", "auto", false, null, "text", null, false, false);
        var chart = SweepCommand.chart(c, results, "CPU: test");
        assertEquals(List.of("1", "2", "4", "8"), chart.getSeriesMap().get("forward").getXData());
        assertEquals(0.0, chart.getStyler().getYAxisMin());
        String title = chart.getTitle();
        for (String part : List.of("alexnet-conv", "CPU: test", "forward", "100 steps", "2 threads", "fp32")) assertTrue(title.contains(part), title);
    }

    @Test
    void fpsVerdictsReadAsSentences() {
        double[] s = {80, 90, 120};
        Harness.Measurement m = new Harness.Measurement(Mode.FORWARD, 1, 0, 3, 0, s, s, Stats.of(s), new convbench.engine.MemoryStats(0, 0, 0, 0), 0);
        Result r = Result.of("alexnet", 224, 1, 1, m, 0, null);
        assertTrue(TextReport.fps(r, 10).endsWith("takes 96.667 ms per batch of 1,\n    p99 120.000 ms: it fits the budget on average, but not at p99, and sustains 10.3 FPS\n"),
                TextReport.fps(r, 10));
        assertTrue(TextReport.fps(r, 5).contains(": it fits the budget, at p99 too, and sustains"), TextReport.fps(r, 5));
        assertTrue(TextReport.fps(r, 20).contains(": it misses the budget, and sustains"), TextReport.fps(r, 20));
    }

    @Test
    void layerTimesHaveNoEmptyBackwardColumnAndShowShares() {
        Out r = run(small("alexnet-conv", "--mode", "forward", "--layers"));
        assertEquals(0, r.code(), r.err());
        String head = line(r.out(), "  layer");
        assertFalse(head.contains("backward"), head);
        assertTrue(head.contains("share"), head);
        assertTrue(r.out().contains("lrn r=4 bias=1 alpha=0.0001111 beta=0.75"), "the op is whole:\n" + r.out());
        assertTrue(Pattern.compile("(?m)^  total +\\d+\\.\\d{3} +100%$").matcher(r.out()).find(), r.out());
        for (String l : r.out().lines().toList()) if (!l.startsWith("  java")) assertTrue(l.length() <= 100, l.length() + ": " + l);
        Out json = run(small("alexnet-conv", "--mode", "forward", "--layers", "--format", "json"));
        JsonObject layer = JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonArray("results").get(0).getAsJsonObject()
                .getAsJsonArray("layers").get(0).getAsJsonObject();
        assertFalse(layer.has("backward_ms"), layer.toString());
    }

    @Test
    void reportsRecordTheBackendThatRan() {
        Out json = run(small("alexnet-conv", "--mode", "forward", "--format", "json"));
        JsonObject root = JsonParser.parseString(json.out()).getAsJsonObject();
        assertEquals("cpu", root.get("backend").getAsString());
        assertEquals("cpu", root.getAsJsonObject("environment").get("backend").getAsString());
        assertTrue(root.getAsJsonObject("environment").get("device").getAsString().startsWith("CPU: "));
        Out csv = run(small("alexnet-conv", "--mode", "forward", "--format", "csv"));
        assertTrue(csv.out().startsWith(CsvReport.HEADER) && CsvReport.HEADER.endsWith(",device,precision,backend"), csv.out());
        assertTrue(csv.out().lines().toList().get(1).endsWith(",fp32,cpu"), csv.out());
    }

    @Test
    void tablesFitOneHundredColumns() {
        for (String l : run("list").out().lines().toList()) assertTrue(l.length() <= 100, l.length() + ": " + l);
        for (String l : run("summary", "inception3").out().lines().toList()) assertTrue(l.length() <= 100, l.length() + ": " + l);
        Out sweep = run(sweep("--batches", "1,2", "--steps", "1", "--chart", "none"));
        for (String l : sweep.out().lines().toList()) if (!l.startsWith("  java")) assertTrue(l.length() <= 100, l.length() + ": " + l);
    }

    @Test
    void argumentsReadAsTheUserTypedThem() {
        Out before = run("--batch", "1", "--device", "cpu", "--threads", "2", "--steps", "1", "--warmup", "0", "--image-size", "67",
                "--mode", "forward", "alexnet-conv");
        assertEquals(0, before.code(), before.err());
        assertTrue(before.out().contains("alexnet-conv, batch 1,"), before.out());
        Out help = run("help");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().contains("Commands:"), help.out());
        Out helpSweep = run("help", "sweep");
        assertEquals(0, helpSweep.code(), helpSweep.err());
        assertTrue(helpSweep.out().startsWith("Usage: bench sweep"), helpSweep.out());
        Out extra = run("alexnet", "extra");
        assertEquals(2, extra.code());
        extra.oneSentenceError();
        assertTrue(extra.err().contains("unexpected argument 'extra'"), extra.err());
        assertFalse(extra.err().contains("index"), extra.err());
        Out unknown = run("foonet", "--device", "cpu");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("bench: unknown net 'foonet'; the known nets are alexnet, "), unknown.err());
    }

    /** Every option of every command says what it does and its default; the command list shows whole sentences. */
    @Test
    void everyOptionSaysWhatItDoesAndItsDefault() {
        picocli.CommandLine top = new picocli.CommandLine(new Main());
        for (picocli.CommandLine sub : top.getSubcommands().values()) {
            String cmd = sub.getCommandName();
            if (cmd.equals("help")) continue;
            for (var opt : sub.getCommandSpec().options()) {
                if (opt.usageHelp() || opt.versionHelp() || opt.hidden()) continue;
                String d = String.join(" ", opt.description());
                assertFalse(d.isBlank(), cmd + " " + opt.longestName() + " has no description");
                assertTrue(d.contains("default"), cmd + " " + opt.longestName() + " does not say its default: " + d);
            }
            for (var p : sub.getCommandSpec().positionalParameters())
                assertFalse(String.join(" ", p.description()).isBlank(), cmd + " " + p.paramLabel() + " has no description");
            String first = sub.getCommandSpec().usageMessage().description()[0];
            assertTrue(first.endsWith("."), cmd + "'s first line is cut: " + first);
        }
    }
}
