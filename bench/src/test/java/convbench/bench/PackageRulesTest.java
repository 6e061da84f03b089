package convbench.bench;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layout's rules, read from the main sources of every module (tests run in the bench module's folder):
 * the packages' imports (and fully qualified names in code, comments left out) form no cycle; each module
 * imports only the modules below it (bench -> nets -> engine, bench -> kernels -> engine); the engine names
 * no JCuda; no class tests {@code instanceof} a backend outside that backend's package; the plan package
 * holds only the kernel contract (plans and their descriptors) and the nets do not import it.
 */
class PackageRulesTest {
    static final List<String> MODULES = List.of("engine", "kernels", "nets", "bench");
    static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
    static final Pattern REFERENCE = Pattern.compile("(?<![\\w.])((?:convbench|jcuda)(?:\\.[a-z]\\w*)*)\\.[A-Z]");
    static final Pattern INSTANCEOF_BACKEND = Pattern.compile("instanceof\\s+(\\w*Backend)\\b");

    record Source(String module, Path file, String pkg, String code) {}

    static List<Source> sources;
    /** package -> the packages its classes name (itself left out). */
    static Map<String, Set<String>> deps;

    @BeforeAll static void read() throws IOException {
        sources = new ArrayList<>();
        for (String m : MODULES) {
            Path root = Path.of("..", m, "src", "main", "java");
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String text = Files.readString(f);
                    Matcher p = PACKAGE.matcher(text);
                    assertTrue(p.find(), f + " has no package");
                    sources.add(new Source(m, f, p.group(1), code(text)));
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        assertTrue(sources.size() > 150, "the sources were not found from " + Path.of("").toAbsolutePath());
        deps = new TreeMap<>();
        for (Source s : sources) {
            Set<String> out = deps.computeIfAbsent(s.pkg(), k -> new TreeSet<>());
            Matcher r = REFERENCE.matcher(s.code());
            while (r.find()) if (!r.group(1).equals(s.pkg())) out.add(r.group(1));
        }
    }

    /** The text without comments and string literals. */
    static String code(String text) {
        return text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ").replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    }

    static String module(String pkg) {
        if (pkg.startsWith("jcuda")) return "jcuda";
        String[] p = pkg.split("\\.");
        return p.length > 1 ? p[1] : pkg;
    }

    @Test
    void noPackageCycles() {
        List<List<String>> cycles = new ArrayList<>();
        for (List<String> scc : stronglyConnected(deps)) if (scc.size() > 1) cycles.add(scc);
        assertEquals(List.of(), cycles, "packages that import each other, directly or around a loop: " + deps);
    }

    @Test
    void modulesImportOnlyTheModulesBelowThem() {
        Map<String, Set<String>> allowed = Map.of(
                "engine", Set.of("engine"),
                "kernels", Set.of("kernels", "engine", "jcuda"),
                "nets", Set.of("nets", "engine"),
                "bench", Set.of("bench", "nets", "kernels", "engine"));
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : deps.entrySet())
            for (String to : e.getValue())
                if (!allowed.get(module(e.getKey())).contains(module(to))) bad.add(e.getKey() + " -> " + to);
        assertEquals(List.of(), bad, "a module imports one it may not (bench -> nets -> engine, bench -> kernels -> engine; JCuda only in kernels)");
    }

    @Test
    void noInstanceofOnABackendOutsideIt() {
        Map<String, String> backendPackage = new HashMap<>();
        for (Source s : sources) {
            String name = s.file().getFileName().toString().replace(".java", "");
            if (name.endsWith("Backend")) backendPackage.put(name, s.pkg());
        }
        assertTrue(backendPackage.keySet().containsAll(Set.of("CpuBackend", "CudaBackend", "MetaBackend", "ReferenceBackend")), backendPackage.toString());
        List<String> bad = new ArrayList<>();
        for (Source s : sources) {
            Matcher m = INSTANCEOF_BACKEND.matcher(s.code());
            while (m.find()) {
                String home = backendPackage.get(m.group(1));
                if (home == null || !home.equals(s.pkg())) bad.add(s.file() + ": instanceof " + m.group(1));
            }
        }
        assertEquals(List.of(), bad, "ask the Backend contract instead of testing which backend it is");
    }

    @Test
    void planHoldsOnlyTheKernelContractAndNetsDoNotImportIt() {
        List<String> others = new ArrayList<>();
        for (Source s : sources) {
            String name = s.file().getFileName().toString().replace(".java", "");
            if (s.pkg().equals("convbench.engine.plan") && !name.endsWith("Plan") && !name.endsWith("Desc") && !name.equals("package-info"))
                others.add(name);
        }
        assertEquals(List.of(), others, "convbench.engine.plan is the kernel contract: plans and their descriptors");
        for (Map.Entry<String, Set<String>> e : deps.entrySet())
            if (module(e.getKey()).equals("nets"))
                assertTrue(!e.getValue().contains("convbench.engine.plan"), e.getKey() + " imports the kernel contract: " + e.getValue());
    }

    /** Tarjan's strongly connected components of the package graph. */
    static List<List<String>> stronglyConnected(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String v : g.keySet()) if (!index.containsKey(v)) connect(v, g, index, low, stack, onStack, out, next);
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> g, Map<String, Integer> index, Map<String, Integer> low,
                                Deque<String> stack, Set<String> onStack, List<List<String>> out, int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, g, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> scc = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                scc.add(w);
            } while (!w.equals(v));
            out.add(scc);
        }
    }
}
