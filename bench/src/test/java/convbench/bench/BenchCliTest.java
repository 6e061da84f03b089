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

    @Test
    void layersAndFps() {
        Out r = run(small("alexnet-conv", "--mode", "forward-backward", "--layers", "--fps", "10"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("per-layer times"), r.out());
        assertTrue(Pattern.compile("conv2 +conv 5x5 SAME \\+b relu +\\d+\\.\\d{3} +\\d+\\.\\d{3}").matcher(r.out()).find(), r.out());
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
        assertEquals(2, run(small("sweep", "alexnet-conv", "--batches", "1,0")).code());
        Out none = run(small("sweep", "alexnet-conv", "--batches", "1", "--chart", "none", "--steps", "1", "--mode", "forward"));
        assertEquals(0, none.code(), none.err());
        assertFalse(none.out().contains("chart:"), none.out());
        org.junit.jupiter.api.Assumptions.assumeTrue(ModuleLayer.boot().findModule("java.desktop").isPresent(),
                "this Java runtime has no java.desktop module (the GPU kit's runtime): charts cannot be drawn");
        Path png = dir.resolve("sweep.png");
        Out r = run(small("sweep", "alexnet-conv", "--batches", "1,2", "--chart", png.toString(), "--steps", "2", "--mode", "forward"));
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
        assertTrue(r.out().contains("backend        cpu (--device auto found no usable GPU, so this runs on the CPU: "), r.out());
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
}
