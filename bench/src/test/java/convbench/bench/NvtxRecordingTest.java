package convbench.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * --nvtx on this machine, without Nsight Systems: a recording NVTX injection library (built here with gcc
 * from the same nvtx3 headers; NVTX3 loads it from NVTX_INJECTION64_PATH, as it loads nsys's) writes every
 * range pushed and popped through the kernels module's JNI shim. For a small net the record is checked:
 * balanced, one top-level range per timed step (none for burn-in), inside each the layers' forward ranges
 * by name in order, and in forward-backward their backward ranges in reverse order.
 */
class NvtxRecordingTest {
    @TempDir Path dir;

    static final String RECORDER = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <nvtx3/nvToolsExt.h> /* with the injection types of nvtxDetail/nvtxTypes.h */
            static FILE *out;
            static int push(const char *m) { fprintf(out, "push %s\\n", m); fflush(out); return 0; }
            static int pop(void) { fprintf(out, "pop\\n"); fflush(out); return 0; }
            static void mark(const char *m) { fprintf(out, "mark %s\\n", m); fflush(out); }
            int InitializeInjectionNvtx2(const void *(*getExportTable)(uint32_t)) {
                const NvtxExportTableCallbacks *cb = (const NvtxExportTableCallbacks *) getExportTable(NVTX_ETID_CALLBACKS);
                NvtxFunctionTable table = 0;
                unsigned int size = 0;
                if (!cb || !cb->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &table, &size) || size <= NVTX_CBID_CORE_RangePop) return 0;
                out = fopen(getenv("CONVBENCH_NVTX_RECORD"), "w");
                if (!out) return 0;
                fprintf(out, "init\\n");
                *table[NVTX_CBID_CORE_RangePushA] = (NvtxFunctionPointer) push;
                *table[NVTX_CBID_CORE_RangePop] = (NvtxFunctionPointer) pop;
                *table[NVTX_CBID_CORE_MarkA] = (NvtxFunctionPointer) mark;
                return 1;
            }
            """;

    /** The nvtx3 headers the build used: CUDA_HOME/include or /usr/local/cuda/include. */
    static Path nvtxInclude() {
        String home = System.getenv("CUDA_HOME");
        for (Path p : new Path[] {home == null ? null : Path.of(home, "include"), Path.of("/usr/local/cuda/include")})
            if (p != null && Files.isRegularFile(p.resolve("nvtx3/nvToolsExt.h"))) return p;
        return null;
    }

    @Test
    void rangesForEachTimedStepAndEachLayersForwardAndBackward() throws Exception {
        assumeTrue(NvtxRecordingTest.class.getClassLoader().getResource("convbench/kernels/linux-x86_64/libconvbench_nvtx.so") != null,
                "this build has no NVTX shim (built where gcc and a CUDA toolkit's nvtx3 headers are present)");
        Path inc = nvtxInclude();
        assumeTrue(inc != null, "no nvtx3 headers to build the recording injection library with");
        Path src = dir.resolve("recorder.c"), lib = dir.resolve("librecorder.so"), record = dir.resolve("record.txt");
        Files.writeString(src, RECORDER);
        Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-Wall", "-I" + inc, "-o", lib.toString(), src.toString())
                .redirectErrorStream(true).start();
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, gcc.exitValue(), "gcc: " + log);

        String out = bench(lib, record, "alexnet-conv", "--device", "cpu", "--threads", "2", "--batch", "1", "--steps", "2", "--warmup", "1",
                "--image-size", "67", "--nvtx"); // the default modes: forward, then forward-backward
        assertTrue(out.contains("nvtx           ranges for each timed step and each layer's forward and backward"), out);
        List<String> lines = Files.readAllLines(record);
        assertEquals("init", lines.get(0), lines.toString());

        // balanced, and the tree of ranges: top level = timed steps, children = layer ranges (which do not nest here)
        List<String> top = new ArrayList<>();
        List<List<String>> children = new ArrayList<>();
        Deque<String> open = new ArrayDeque<>();
        for (String l : lines.subList(1, lines.size())) {
            if (l.startsWith("push ")) {
                String name = l.substring(5);
                if (open.isEmpty()) { top.add(name); children.add(new ArrayList<>()); }
                else if (open.size() == 1) children.get(children.size() - 1).add(name);
                open.push(name);
                assertTrue(open.size() <= 2, "nested deeper than step > layer: " + open);
            } else {
                assertEquals("pop", l);
                assertFalse(open.isEmpty(), "a pop without a push");
                open.pop();
            }
        }
        assertTrue(open.isEmpty(), "left open: " + open);
        assertEquals(List.of("alexnet-conv forward step 0", "alexnet-conv forward step 1",
                "alexnet-conv forward-backward step 0", "alexnet-conv forward-backward step 1"), top);
        List<String> forward = List.of("conv1 forward", "lrn1 forward", "pool1 forward", "conv2 forward", "lrn2 forward", "pool2 forward",
                "conv3 forward", "conv4 forward", "conv5 forward", "pool5 forward");
        assertEquals(forward, children.get(0));
        assertEquals(forward, children.get(1));
        List<String> fb = children.get(2);
        assertEquals(forward, fb.subList(0, forward.size()));
        List<String> backward = fb.stream().filter(n -> n.endsWith(" backward")).toList();
        assertEquals(List.of("pool5 backward", "conv5 backward", "conv4 backward", "conv3 backward", "pool2 backward", "lrn2 backward",
                "conv2 backward", "pool1 backward", "lrn1 backward", "conv1 backward"),
                backward.stream().filter(n -> !n.startsWith("l2")).toList(), fb.toString());
        assertEquals(fb, children.get(3));
    }

    @Test
    void withoutAToolTheRunIsUnchanged() throws Exception {
        String out = bench(null, null, "alexnet-conv", "--device", "cpu", "--threads", "2", "--batch", "1", "--steps", "1", "--warmup", "0",
                "--image-size", "67", "--mode", "forward", "--nvtx");
        assertTrue(out.contains("alexnet-conv forward: "), out);
        assertTrue(out.contains("  nvtx           "), out);
    }

    private String bench(Path injection, Path record, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CONVBENCH_NO_RELAUNCH", "1");
        pb.environment().put("CONVBENCH_NATIVE_CACHE", dir.resolve("cache").toString());
        pb.environment().remove("NVTX_INJECTION64_PATH");
        if (injection != null) {
            pb.environment().put("NVTX_INJECTION64_PATH", injection.toString());
            pb.environment().put("CONVBENCH_NVTX_RECORD", record.toString());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
