package convbench.kernels.natives;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guard that needs no download: none of the 54 functions cuDNN 9 removed (the list kept in
 * cudnn9-removed.txt, checked against the real library by {@link RealLibrariesTest}) is called from the
 * project's sources. JCudnn 11.7 still has Java methods for them, and calling one kills the JVM with
 * "symbol lookup error" (exit 127) on cuDNN 9.
 */
class RemovedCudnnCallsTest {
    static Set<String> removed() throws IOException {
        try (InputStream in = RemovedCudnnCallsTest.class.getResourceAsStream("/convbench/kernels/cudnn9-removed.txt")) {
            Set<String> names = new TreeSet<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                if (!l.isBlank() && !l.startsWith("#")) names.add(l.trim());
            return names;
        }
    }

    @Test
    void noSourceCallsAFunctionCudnn9Removed() throws Exception {
        Set<String> removed = removed();
        assertEquals(54, removed.size());
        // each one is a Java method JCudnn 11.7 offers and an import of its JNI library (so the list names real hazards)
        Set<String> methods = RealLibrariesTest.methodNames("jcuda.jcudnn.JCudnn");
        TestElfReader jni = new TestElfReader(ElfPatcherTest.jni(RealLibrariesTest.JCUDNN));
        Set<String> imported = jni.imports().keySet();
        for (String r : removed) {
            assertTrue(imported.contains(r), r + " is not imported by " + RealLibrariesTest.JCUDNN);
            assertTrue(methods.contains(r) || methods.contains(r.replace("_v6", "")), r + " has no JCudnn method");
        }
        Pattern word = Pattern.compile("\\b(cudnn\\w+)\\b");
        List<String> calls = new ArrayList<>();
        for (Path f : RealLibrariesTest.mainSources()) {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            Matcher m = word.matcher(text);
            while (m.find()) if (removed.contains(m.group(1))) calls.add(f + ": " + m.group(1));
        }
        assertEquals(List.of(), calls, "functions cuDNN 9 removed, named in the sources");
    }
}
