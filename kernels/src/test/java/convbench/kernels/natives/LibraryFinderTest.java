package convbench.kernels.natives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Library discovery over fake directory trees laid out like a driver install, CUDA toolkits, pip wheels and venvs. */
class LibraryFinderTest {
    @TempDir Path root;
    final Map<String, String> vars = new HashMap<>();
    final Map<String, List<Path>> cache = new HashMap<>();

    LibraryFinder finder() {
        return new LibraryFinder(new SearchEnv(vars, root.resolve("home/u"), root, () -> cache));
    }

    Path touch(String relative) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        if (!Files.exists(p)) Files.createFile(p);
        return p;
    }

    Path dir(String relative) { return root.resolve(relative); }

    Path cudnnIn(String d, int major) throws IOException {
        touch(d + "/libcudnn_graph.so." + major);
        touch(d + "/libcudnn_ops.so." + major);
        touch(d + "/libcudnn_cnn.so." + major);
        touch(d + "/libcudnn_engines_precompiled.so." + major);
        touch(d + "/libcudnn.so"); // development link: not loaded
        return touch(d + "/libcudnn.so." + major);
    }

    Path cublasIn(String d, int major) throws IOException {
        touch(d + "/libcublasLt.so." + major);
        return touch(d + "/libcublas.so." + major);
    }

    static void assertOneSentence(String m) {
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains(": "), "names the cause, then the fix: " + m);
    }

    // ---- driver ----

    @Test
    void noDriverGivesOneSentenceWithTheFix() {
        LibraryFinder.NotFound e = assertThrows(LibraryFinder.NotFound.class, () -> finder().findDriver());
        assertTrue(e.getMessage().startsWith("no NVIDIA driver (libcuda.so.1 not found in LD_LIBRARY_PATH (not set), the linker cache"), e.getMessage());
        assertTrue(e.getMessage().endsWith(": install the NVIDIA driver, or run the container with the GPU exposed (docker run --gpus all)"), e.getMessage());
        assertOneSentence(e.getMessage());
    }

    @Test
    void driverStubsNeverCount() throws Exception {
        touch("usr/local/cuda/lib64/stubs/libcuda.so.1");
        vars.put("LD_LIBRARY_PATH", dir("usr/local/cuda/lib64/stubs").toString());
        assertThrows(LibraryFinder.NotFound.class, () -> finder().findDriver());
        Path real = touch("usr/lib/x86_64-linux-gnu/libcuda.so.1");
        assertEquals(real, finder().findDriver());
    }

    @Test
    void driverOrderLdLibraryPathThenCacheThenSystemThenContainer() throws Exception {
        Path container = touch("usr/local/nvidia/lib64/libcuda.so.1");
        assertEquals(container, finder().findDriver());
        Path system = touch("usr/lib64/libcuda.so.1");
        assertEquals(system, finder().findDriver());
        Path cached = touch("opt/driver/libcuda.so.1");
        cache.put("libcuda.so.1", List.of(cached));
        assertEquals(cached, finder().findDriver());
        Path ld = touch("custom/lib/libcuda.so.1");
        vars.put("LD_LIBRARY_PATH", "::" + dir("nowhere") + ":" + ld.getParent());
        assertEquals(ld, finder().findDriver());
    }

    // ---- cuDNN ----

    @Test
    void cudnnFromAPipWheelWithItsSubLibraries() throws Exception {
        Path main = cudnnIn("usr/local/lib/python3.11/dist-packages/nvidia/cudnn/lib", 9);
        LibraryFinder.LibrarySet s = finder().findCudnn();
        assertEquals(9, s.major());
        assertEquals(main, s.main());
        assertEquals("libcudnn.so.9", s.soname());
        assertEquals(List.of("libcudnn.so.9", "libcudnn_cnn.so.9", "libcudnn_engines_precompiled.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9"),
                s.files().stream().map(p -> p.getFileName().toString()).toList());
        assertTrue(s.source().startsWith("the Python wheels in "), s.source());
    }

    @Test
    void cudnnOrderOfPreference() throws Exception {
        Path wheel = cudnnIn("home/u/.local/lib/python3.12/site-packages/nvidia/cudnn/lib", 9);
        Path toolkit = cudnnIn("usr/local/cuda-13.0/targets/x86_64-linux/lib", 9);
        Path system = cudnnIn("usr/lib/x86_64-linux-gnu", 9);
        Path cached = cudnnIn("opt/cudnn/lib", 9);
        cache.put("libcudnn.so.9", List.of(cached));
        Path ld = cudnnIn("ld/lib", 9);
        Path cudaHome = cudnnIn("cuda-home/lib64", 9);
        Path cudnnPath = cudnnIn("cudnn-path/lib", 9);
        vars.put("CUDNN_PATH", dir("cudnn-path").toString());
        vars.put("CUDA_HOME", dir("cuda-home").toString());
        vars.put("LD_LIBRARY_PATH", dir("ld/lib").toString());
        assertEquals(cudnnPath, finder().findCudnn().main());
        vars.remove("CUDNN_PATH");
        assertEquals(cudaHome, finder().findCudnn().main());
        vars.remove("CUDA_HOME");
        assertEquals(ld, finder().findCudnn().main());
        vars.remove("LD_LIBRARY_PATH");
        assertEquals(cached, finder().findCudnn().main());
        cache.clear();
        assertEquals(system, finder().findCudnn().main());
        for (String f : new String[] {"libcudnn.so.9"}) Files.delete(system.getParent().resolve(f));
        assertEquals(toolkit, finder().findCudnn().main());
        Files.delete(toolkit);
        assertEquals(wheel, finder().findCudnn().main());
    }

    @Test
    void cudnnNewerMajorWinsUnlessTheUserNamedThePlace() throws Exception {
        Path eight = cudnnIn("usr/lib/x86_64-linux-gnu", 8);
        assertEquals(eight, finder().findCudnn().main());
        Path wheel = cudnnIn("opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib", 9);
        assertEquals(wheel, finder().findCudnn().main(), "a cuDNN 9 in a Python environment over a cuDNN 8 in /usr/lib");
        Path nine = cudnnIn("usr/lib/x86_64-linux-gnu", 9);
        assertEquals(nine, finder().findCudnn().main(), "the same major: the order decides");
        Path ld8 = cudnnIn("ld8", 8);
        vars.put("LD_LIBRARY_PATH", ld8.getParent().toString());
        LibraryFinder.LibrarySet s = finder().findCudnn();
        assertEquals(8, s.major());
        assertEquals(ld8, s.main());
    }

    @Test
    void cudnnThroughASymlinkLikeTheToolkitPackages() throws Exception {
        Path real = touch("usr/lib/x86_64-linux-gnu/libcudnn.so.9.10.2");
        Files.createSymbolicLink(dir("usr/lib/x86_64-linux-gnu/libcudnn.so.9"), real.getFileName());
        assertEquals(dir("usr/lib/x86_64-linux-gnu/libcudnn.so.9"), finder().findCudnn().main());
        Files.createSymbolicLink(dir("usr/lib/x86_64-linux-gnu/libcudnn_ops.so.9"), Path.of("missing-target"));
        assertEquals(1, finder().findCudnn().files().size(), "a dangling link is not a library");
    }

    @Test
    void noCudnnNamesThePlacesAndTheFix() throws Exception {
        touch("usr/lib/python3.11/site-packages/numpy/__init__.py");
        vars.put("CUDA_HOME", "/opt/cuda");
        LibraryFinder.NotFound e = assertThrows(LibraryFinder.NotFound.class, () -> finder().findCudnn());
        String m = e.getMessage();
        assertTrue(m.startsWith("no cuDNN (libcudnn.so.9 or libcudnn.so.8) found in CUDNN_PATH (not set), CUDA_HOME (/opt/cuda), LD_LIBRARY_PATH (not set), the linker cache"), m);
        assertTrue(m.contains("the nvidia wheels of 1 Python site-packages directory"), m);
        assertTrue(m.endsWith(": install cuDNN 9 (for example pip install nvidia-cudnn-cu13) or set CUDNN_PATH to the directory that holds libcudnn.so.9"), m);
        assertOneSentence(m);
    }

    // ---- cuBLAS ----

    @Test
    void cublasNeedsLtBesideItAndFollowsTheDriverVersion() throws Exception {
        touch("usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13"); // no Lt: not a set
        assertThrows(LibraryFinder.NotFound.class, () -> finder().findCublas(13));
        Path wheel13 = cublasIn("usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib", 13);
        LibraryFinder.LibrarySet s = finder().findCublas(13);
        assertEquals(wheel13, s.main());
        assertEquals(List.of("libcublasLt.so.13", "libcublas.so.13"), s.files().stream().map(p -> p.getFileName().toString()).toList());
        // a CUDA 12 driver cannot run cuBLAS 13: skipped, and named when nothing else is there
        LibraryFinder.NotFound e = assertThrows(LibraryFinder.NotFound.class, () -> finder().findCublas(12));
        assertTrue(e.getMessage().contains(wheel13 + " needs a newer driver than this one"), e.getMessage());
        assertOneSentence(e.getMessage());
        Path tk12 = cublasIn("usr/local/cuda-12.4/lib64", 12);
        assertEquals(tk12, finder().findCublas(12).main());
        assertEquals(wheel13, finder().findCublas(13).main(), "over the places searched by default, the newer major wins");
        Path tk13 = cublasIn("usr/local/cuda-13.0/lib64", 13);
        assertEquals(tk13, finder().findCublas(13).main(), "the toolkit directories come before the wheels");
        vars.put("LD_LIBRARY_PATH", tk12.getParent().toString());
        assertEquals(tk12, finder().findCublas(13).main(), "a place the user names wins, whatever its major");
    }

    @Test
    void nvrtcBesideCublasBuiltinsFirst() throws Exception {
        Path dir13 = cublasIn("opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib", 13).getParent();
        LibraryFinder.LibrarySet s = finder().findCublas(13);
        assertEquals(List.of(), LibraryFinder.nvrtcBeside(s), "none there");
        touch(dir13 + "/libnvrtc.so.13");
        touch(dir13 + "/libnvrtc-builtins.so.13.0");
        touch(dir13 + "/libnvrtc-builtins.so.12.9"); // another major: not loaded
        touch(dir13 + "/libnvrtc.so.12");
        assertEquals(List.of(dir13.resolve("libnvrtc-builtins.so.13.0"), dir13.resolve("libnvrtc.so.13")), LibraryFinder.nvrtcBeside(s));
        touch(dir13 + "/libnvrtc-builtins.so.13");
        assertEquals(dir13.resolve("libnvrtc-builtins.so.13"), LibraryFinder.nvrtcBeside(s).get(0), "the soname when there is one");
    }

    @Test
    void cublasToolkitsNewestFirstAndCudaHomeFirstOfAll() throws Exception {
        Path old = cublasIn("usr/local/cuda-12.4/targets/x86_64-linux/lib", 12);
        Path newer = cublasIn("usr/local/cuda-13.0/targets/x86_64-linux/lib", 13);
        Path older = cublasIn("usr/local/cuda-9.2/lib64", 12);
        assertEquals(newer, finder().findCublas(13).main());
        assertEquals(old, finder().findCublas(12).main());
        vars.put("CUDA_PATH", dir("usr/local/cuda-9.2").toString());
        assertEquals(older, finder().findCublas(13).main());
        Path current = cublasIn("usr/local/cuda/lib64", 13);
        vars.remove("CUDA_PATH");
        assertEquals(current, finder().findCublas(13).main(), "/usr/local/cuda before /usr/local/cuda-X.Y");
    }

    @Test
    void cublasWheelPackagesInOrder() throws Exception {
        Path cu12 = cublasIn("usr/lib/python3/dist-packages/nvidia/cu12/lib", 12);
        assertEquals(cu12, finder().findCublas(13).main());
        Path cublas12 = cublasIn("usr/lib/python3/dist-packages/nvidia/cublas/lib", 12);
        assertEquals(cublas12, finder().findCublas(13).main());
        Path cu13 = cublasIn("usr/lib/python3/dist-packages/nvidia/cu13/lib", 13);
        assertEquals(cu13, finder().findCublas(13).main());
    }

    // ---- Python environments ----

    @Test
    void sitePackagesFromVenvCondaPathUserAndSystemInOrder() throws Exception {
        Files.createDirectories(dir("venvs/a/lib/python3.12/site-packages"));
        vars.put("VIRTUAL_ENV", dir("venvs/a").toString());
        Files.createDirectories(dir("venvs/b/lib/python3.10/site-packages"));
        touch("venvs/b/pyvenv.cfg");
        Files.createDirectories(dir("venvs/c/lib/python3.10/site-packages")); // on PATH but not a venv
        vars.put("PATH", dir("venvs/b/bin") + ":" + dir("venvs/c/bin") + ":/usr/bin");
        Files.createDirectories(dir("home/u/.local/lib/python3.11/site-packages"));
        Files.createDirectories(dir("usr/local/lib/python3.11/dist-packages"));
        Files.createDirectories(dir("usr/local/lib/python3.9/dist-packages"));
        Files.createDirectories(dir("usr/lib/python3/dist-packages"));
        Files.createDirectories(dir("opt/conda/lib/python3.12/site-packages"));
        Files.createDirectories(dir("opt/conda/envs/torch/lib/python3.11/site-packages"));
        Files.createDirectories(dir("home/u/.pyenv/versions/3.13.0/lib/python3.13/site-packages"));
        Files.createDirectories(dir("opt/venv/lib/python3.12/site-packages"));
        Files.createDirectories(dir("opt/torch/.venv/lib/python3.12/site-packages")); // the reference GPU image
        List<Path> sp = finder().sitePackages();
        assertEquals(List.of(
                dir("venvs/a/lib/python3.12/site-packages"),
                dir("venvs/b/lib/python3.10/site-packages"),
                dir("home/u/.local/lib/python3.11/site-packages"),
                dir("usr/local/lib/python3.11/dist-packages"),
                dir("usr/local/lib/python3.9/dist-packages"),
                dir("usr/lib/python3/dist-packages"),
                dir("opt/conda/lib/python3.12/site-packages"),
                dir("opt/conda/envs/torch/lib/python3.11/site-packages"),
                dir("home/u/.pyenv/versions/3.13.0/lib/python3.13/site-packages"),
                dir("opt/torch/.venv/lib/python3.12/site-packages"),
                dir("opt/venv/lib/python3.12/site-packages")), sp);
    }

    @Test
    void theReferenceGpuImageLayout() throws Exception {
        // PyTorch 2.11 cu130 in /opt/torch/.venv: cuDNN 9 in nvidia/cudnn/lib, cuBLAS 13 in nvidia/cu13/lib;
        // the CUDA 13 toolkit's own cuBLAS in /usr/local/cuda-13.0; the driver in /usr/local/nvidia/lib64.
        String site = "opt/torch/.venv/lib/python3.12/site-packages/nvidia/";
        Path dnn = cudnnIn(site + "cudnn/lib", 9);
        cublasIn(site + "cu13/lib", 13);
        Path tk = cublasIn("usr/local/cuda-13.0/targets/x86_64-linux/lib", 13);
        Path drv = touch("usr/local/nvidia/lib64/libcuda.so.1");
        assertEquals(drv, finder().findDriver());
        assertEquals(dnn, finder().findCudnn().main());
        assertEquals(tk, finder().findCublas(13).main());
    }

    @Test
    void theRealMachineSearchNeverThrowsAnythingButNotFound() {
        LibraryFinder f = new LibraryFinder(SearchEnv.system());
        for (var search : List.<ThrowingSupplier>of(f::findDriver, f::findCudnn, () -> f.findCublas(13))) {
            try {
                search.get();
            } catch (LibraryFinder.NotFound e) {
                assertOneSentence(e.getMessage());
            }
        }
        assertFalse(f.cudnnLocations().isEmpty());
    }

    interface ThrowingSupplier {
        Object get() throws LibraryFinder.NotFound;
    }
}
