package convbench.kernels.cuda;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendProvider;
import convbench.engine.BackendUnavailableException;
import convbench.kernels.natives.NativeLoader;
import convbench.kernels.natives.SearchEnv;

import static jcuda.runtime.JCuda.cudaDriverGetVersion;
import static jcuda.runtime.JCuda.cudaGetDeviceCount;
import static jcuda.runtime.JCuda.cudaGetErrorName;
import static jcuda.runtime.JCuda.cudaGetErrorString;
import static jcuda.runtime.cudaError.cudaErrorDevicesUnavailable;
import static jcuda.runtime.cudaError.cudaErrorInsufficientDriver;
import static jcuda.runtime.cudaError.cudaErrorNoDevice;

/**
 * The "cuda" backend for {@link convbench.engine.Backends} (registered in META-INF/services). Opening
 * goes: the NVIDIA driver and JCuda's runtime bindings; a device count; cuBLAS, cuDNN and their
 * bindings (NativeLoader); then the backend itself. Whatever is missing, the result is a
 * {@link BackendUnavailableException} with one sentence naming it and the fix, never a native stack trace.
 */
public final class CudaProvider implements BackendProvider {
    @Override public String kind() { return "cuda"; }

    @Override public Backend open(int index, BackendOptions options) throws BackendUnavailableException {
        try {
            SearchEnv env = SearchEnv.system();
            NativeLoader.loadDriver(env);
            int[] count = {0};
            int status = cudaGetDeviceCount(count);
            if (status != 0) throw new BackendUnavailableException(deviceCountReason(status));
            if (count[0] == 0)
                throw new BackendUnavailableException("no CUDA device: the NVIDIA driver is installed but sees no GPU; check nvidia-smi, or run the container with --gpus all");
            if (index >= count[0])
                throw new BackendUnavailableException("cuda:" + index + " does not exist: this machine has " + count[0] + " CUDA device"
                        + (count[0] == 1 ? " (cuda:0)" : "s (cuda:0 to cuda:" + (count[0] - 1) + ")") + "; pick one of those");
            int[] driver = {0};
            cudaDriverGetVersion(driver);
            NativeLoader.loadLibraries(env, driver[0]);
            return new CudaBackend(index, options);
        } catch (BackendUnavailableException e) {
            throw e;
        } catch (NativeLoader.Failure e) {
            throw new BackendUnavailableException(e.getMessage());
        } catch (CudaException e) {
            throw new BackendUnavailableException("cuda:" + index + " could not be opened because " + e.getMessage()
                    + "; check nvidia-smi and that the driver matches cuDNN and cuBLAS", e);
        } catch (Throwable t) {
            String m = t.getMessage();
            throw new BackendUnavailableException("the CUDA backend could not start (" + t.getClass().getSimpleName()
                    + (m == null ? "" : ": " + m.lines().findFirst().orElse("")) + "); run with --device cpu, or report this line", t);
        }
    }

    static String deviceCountReason(int status) {
        String detail = cudaGetErrorName(status) + ": " + cudaGetErrorString(status);
        if (status == cudaErrorNoDevice)
            return "no CUDA device (" + detail + "): check nvidia-smi, or run the container with --gpus all";
        if (status == cudaErrorInsufficientDriver)
            return "the NVIDIA driver is too old for the CUDA 12.6 runtime in JCuda (" + detail + "): install driver 560 or newer";
        if (status == cudaErrorDevicesUnavailable)
            return "every CUDA device is busy or unavailable (" + detail + "): check the compute mode and other processes with nvidia-smi";
        return "CUDA could not initialise (" + detail + "): check nvidia-smi and that the NVIDIA kernel module is loaded";
    }
}
