package convbench.kernels.natives;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Run in a child JVM by {@link JniStubLoadTest} (the JCuda classes it initialises stay bound to the stub
 * libraries for the life of the process): stage 2 of {@link NativeLoader} against stub cuBLAS 13 and
 * cuDNN 9 libraries, then calls through the real JCublas2 and JCudnn JNI code into the stubs.
 *
 * <p>args: LD_LIBRARY_PATH value, cache directory.
 */
public final class StubLoadMain {
    public static void main(String[] args) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("LD_LIBRARY_PATH", args[0]);
        env.put("CONVBENCH_NATIVE_CACHE", args[1]);
        SearchEnv search = new SearchEnv(env, Path.of(args[1]), Path.of(args[1]), Map::of);
        String tmp = System.getProperty("java.io.tmpdir");
        try {
            NativeLoader.loadLibraries(search, 13000);
        } catch (NativeLoader.Failure e) {
            System.out.println("failure: " + e.getMessage());
            return;
        }
        System.out.println("tmpdir restored: " + tmp.equals(System.getProperty("java.io.tmpdir")));
        System.out.println("cudnnGetVersion: " + jcuda.jcudnn.JCudnn.cudnnGetVersion());
        System.out.println("cudnnGetErrorString(2000): " + jcuda.jcudnn.JCudnn.cudnnGetErrorString(2000));
        int[] v = new int[1];
        int status = jcuda.jcublas.JCublas2.cublasGetProperty(0, v);
        System.out.println("cublasGetProperty(MAJOR): " + status + " " + v[0]);
        for (Map.Entry<String, String> e : NativeLoader.REPORT.entries().entrySet())
            System.out.println("report: " + e.getKey() + " = " + e.getValue());
        List<String> order = LinkOrder.order(NativeLoader.cudnn().files()).stream().map(p -> p.getFileName().toString()).toList();
        System.out.println("cudnn order: " + String.join(",", order));
        // Loading again is a no-op.
        NativeLoader.loadLibraries(search, 13000);
        System.out.println("done");
    }
}
