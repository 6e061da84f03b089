package convbench.kernels.natives;

import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Run in a child JVM by {@link RealLibrariesTest}: stage 2 of {@link NativeLoader} against the real cuDNN 9.5 and
 * cuBLAS 12.6 (no GPU, no driver), then host-side calls through the patched JNI libraries.
 *
 * <p>args: the folder of the real libraries, the cache directory for the patched JNI libraries.
 */
public final class RealLoadMain {
    public static void main(String[] args) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("LD_LIBRARY_PATH", args[0]);
        env.put("CONVBENCH_NATIVE_CACHE", args[1]);
        SearchEnv search = new SearchEnv(env, Path.of(args[1]), Path.of(args[1]), Map::of);
        try {
            NativeLoader.loadLibraries(search, 12060); // a CUDA 12.6 driver: cuBLAS 12 is not newer
        } catch (NativeLoader.Failure e) {
            System.out.println("failure: " + e.getMessage());
            return;
        }
        for (Map.Entry<String, String> e : NativeLoader.REPORT.entries().entrySet())
            System.out.println("report: " + e.getKey() + " = " + e.getValue());
        System.out.println("cudnnGetVersion: " + JCudnn.cudnnGetVersion());
        int[] v = new int[1];
        StringBuilder p = new StringBuilder();
        for (int type = 0; type < 3; type++) {
            int status = JCudnn.cudnnGetProperty(type, v);
            p.append(type == 0 ? "" : " ").append(status).append(':').append(v[0]);
        }
        System.out.println("cudnnGetProperty: " + p);
        System.out.println("cudnnGetErrorString(2000): " + JCudnn.cudnnGetErrorString(2000));
        System.out.println("cudnnGetErrorString(3000): " + JCudnn.cudnnGetErrorString(3000));
        p.setLength(0);
        for (int type = 0; type < 3; type++) {
            int status = JCublas2.cublasGetProperty(type, v);
            p.append(type == 0 ? "" : " ").append(status).append(':').append(v[0]);
        }
        System.out.println("cublasGetProperty: " + p);
        // no driver and no device: the handles cannot be made, and say so with a status, not a crash
        System.out.println("cudnnCreate: " + JCudnn.cudnnCreate(new cudnnHandle()));
        System.out.println("cublasCreate: " + JCublas2.cublasCreate(new cublasHandle()));
        System.out.println("done");
    }
}
