package convbench.kernels.natives;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order to load a set of shared libraries by absolute path so that each one's DT_NEEDED
 * dependencies inside the set are already loaded: the dynamic linker then binds those names to the
 * loaded copies (it matches a needed name against loaded SONAMEs), instead of searching its paths
 * and perhaps picking another installation. This is also how cuDNN 9 finds its sub-libraries
 * (libcudnn_graph.so.9, libcudnn_engines_*.so.9, ...): it dlopens them by name, and a name already
 * loaded is reused.
 */
public final class LinkOrder {
    private LinkOrder() {}

    /** files, reordered so dependencies come first (ties keep the given order); unreadable files keep their place. */
    public static List<Path> order(List<Path> files) {
        Map<String, Path> bySoname = new HashMap<>();
        Map<Path, List<String>> needs = new LinkedHashMap<>();
        for (Path f : files) {
            try {
                ElfPatcher.Info info = ElfPatcher.inspect(f);
                bySoname.put(info.soname() != null ? info.soname() : f.getFileName().toString(), f);
                bySoname.putIfAbsent(f.getFileName().toString(), f);
                needs.put(f, info.needed());
            } catch (ElfException e) {
                needs.put(f, List.of());
            }
        }
        List<Path> out = new ArrayList<>();
        Set<Path> done = new HashSet<>(), visiting = new HashSet<>();
        for (Path f : files) visit(f, bySoname, needs, done, visiting, out);
        return out;
    }

    private static void visit(Path f, Map<String, Path> bySoname, Map<Path, List<String>> needs,
                              Set<Path> done, Set<Path> visiting, List<Path> out) {
        if (done.contains(f) || !visiting.add(f)) return; // already placed, or a cycle: leave it to the linker
        for (String n : needs.getOrDefault(f, List.of())) {
            Path dep = bySoname.get(n);
            if (dep != null && !dep.equals(f)) visit(dep, bySoname, needs, done, visiting, out);
        }
        visiting.remove(f);
        done.add(f);
        out.add(f);
    }
}
