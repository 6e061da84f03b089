package convbench.kernels.cuda;

import convbench.kernels.natives.NativeLoader;
import jcuda.jcublas.cublasHandle;

import java.util.LinkedHashMap;
import java.util.Map;

import static jcuda.jcublas.JCublas2.cublasGetVersion;
import static jcuda.jcudnn.JCudnn.cudnnGetVersion;
import static jcuda.runtime.JCuda.cudaDriverGetVersion;
import static jcuda.runtime.JCuda.cudaMemGetInfo;
import static jcuda.runtime.JCuda.cudaRuntimeGetVersion;

/** What a report says about an opened CUDA backend ({@link CudaBackend#environment()}), and the version numbers' formats. */
final class CudaEnvironment {
    private CudaEnvironment() {}

    /** The report lines of an opened backend (device, driver, library versions, precision, what was loaded from where), in order. */
    static Map<String, String> describe(CudaBackend be, CudaDevice gpu, cublasHandle blas, CudaKernels kernels) {
        Map<String, String> environment = new LinkedHashMap<>();
        int[] v = {0};
        environment.put("device", "cuda:" + gpu.index() + ": " + gpu.name());
        environment.put("compute capability", gpu.ccMajor() + "." + gpu.ccMinor());
        environment.put("SMs", Integer.toString(gpu.sms()));
        environment.put("clock", gpu.clockKHz() / 1000 + " MHz");
        long[] free = {0}, total = {0};
        cudaMemGetInfo(free, total);
        environment.put("memory", String.format("%.1f GiB (%.1f GiB free at open)", gpu.totalMemory() / 1073741824.0, free[0] / 1073741824.0));
        cudaDriverGetVersion(v);
        environment.put("driver", "CUDA " + cudaVersion(v[0]));
        cudaRuntimeGetVersion(v);
        environment.put("CUDA runtime", cudaVersion(v[0]) + " (in libJCudaRuntime)");
        long dnnVersion = cudnnGetVersion();
        environment.put("cuDNN", cudnnVersion(dnnVersion) + " (cudnnGetVersion " + dnnVersion + ")");
        cublasGetVersion(blas, v);
        environment.put("cuBLAS", cublasVersion(v[0]) + " (" + v[0] + ")");
        environment.put("JCuda", jcuda.JCudaVersion.get() + " (JCudnn " + NativeLoader.JCUDNN_NATIVES_VERSION + ")");
        environment.put("precision", be.tf32()
                ? "tf32: TF32 tensor cores allowed (cuDNN CUDNN_DEFAULT_MATH, cuBLAS CUBLAS_TF32_TENSOR_OP_MATH)"
                : "fp32: strict FP32 (cuDNN CUDNN_FMA_MATH, cuBLAS CUBLAS_DEFAULT_MATH)");
        String tf32Override = System.getenv("NVIDIA_TF32_OVERRIDE");
        if (tf32Override != null) environment.put("NVIDIA_TF32_OVERRIDE", tf32Override + " (overrides the TF32 setting above)");
        environment.put("conv algorithms", be.find()
                ? "find: cudnnFindConvolution*AlgorithmEx, measured once per layer plan"
                : "heuristic: cudnnGetConvolution*Algorithm_v7");
        environment.put("own kernels", kernels.unavailable() == null
                ? CudaKernels.RESOURCE + " (SASS sm_80, sm_90; PTX compute_90; nvcc of CUDA " + CudaKernels.NVCC_CUDA + ")"
                : "not available: " + kernels.unavailable());
        for (Map.Entry<String, String> e : NativeLoader.REPORT.entries().entrySet()) environment.put("loaded " + e.getKey(), e.getValue());
        return environment;
    }

    /** 12060 -> "12.6", 13000 -> "13.0". */
    static String cudaVersion(int v) { return v / 1000 + "." + (v % 1000) / 10; }

    /** cuDNN 9 numbers versions major * 10000 + minor * 100 + patch, cuDNN 8 major * 1000 + minor * 100 + patch. */
    static String cudnnVersion(long v) {
        return v >= 90000 ? v / 10000 + "." + (v % 10000) / 100 + "." + v % 100 : v / 1000 + "." + (v % 1000) / 100 + "." + v % 100;
    }

    /** cuBLAS: major * 10000 + minor * 100 + patch (130100 -> 13.1.0). */
    static String cublasVersion(int v) { return v / 10000 + "." + (v % 10000) / 100 + "." + v % 100; }
}
