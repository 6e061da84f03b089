package convbench.kernels.cuda;

import jcuda.runtime.cudaDeviceProp;

import java.nio.charset.StandardCharsets;

import static jcuda.runtime.JCuda.cudaDeviceGetAttribute;
import static jcuda.runtime.JCuda.cudaGetDeviceProperties;
import static jcuda.runtime.cudaDeviceAttr.cudaDevAttrClockRate;

/** What the CUDA backend knows of its device: name, compute capability, SMs, clock, memory, and the peak rates they give. */
record CudaDevice(int index, String name, int ccMajor, int ccMinor, int sms, int clockKHz, long totalMemory) {
    /** The properties of device index (its context must exist). */
    static CudaDevice query(int index) {
        cudaDeviceProp prop = new cudaDeviceProp();
        Cuda.rt(cudaGetDeviceProperties(prop, index), "cudaGetDeviceProperties", "cuda:" + index);
        int[] clock = {0};
        int clockKHz = cudaDeviceGetAttribute(clock, cudaDevAttrClockRate, index) == 0 ? clock[0] : 0;
        return new CudaDevice(index, name(prop), prop.major, prop.minor, prop.multiProcessorCount, clockKHz, prop.totalGlobalMem);
    }

    private static String name(cudaDeviceProp prop) {
        byte[] b = prop.name;
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }

    /**
     * Peak GFLOP/s from SMs x clock x per-SM rate: FP32 lanes per SM (64 on sm_70/75/80, 128 on sm_86
     * and later) x 2 FLOP per FMA; TF32 dense tensor-core rate per SM per clock of 1024 FLOP on sm_80
     * (A100: 108 x 1.41 GHz -> 156 TFLOP/s) and, on sm_90, the datasheet ratio TF32 / FP32 = 494.7 / 66.9
     * (H100 SXM: 132 x 128 x 2 x 1.98 GHz = 66.9 FP32, 494.7 TF32). Devices without TF32 (sm_7x) run
     * "tf32" in FP32; other architectures report 0 (unknown) for TF32.
     */
    double peakGflops(String precision) {
        if (clockKHz <= 0) return 0;
        int lanes = ccMajor == 7 || (ccMajor == 8 && ccMinor == 0) ? 64 : ccMajor >= 8 ? 128 : 0;
        double fp32 = sms * lanes * 2.0 * clockKHz / 1e6; // GFLOP/s
        if (precision.equals("fp32")) return fp32;
        if (!precision.equals("tf32")) return 0;
        if (ccMajor == 7) return fp32;
        if (ccMajor == 8 && ccMinor == 0) return sms * 1024.0 * clockKHz / 1e6;
        if (ccMajor == 9 && ccMinor == 0) return fp32 * 494.7 / 66.9;
        return 0;
    }
}
