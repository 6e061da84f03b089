package convbench.kernels.cuda;

import convbench.engine.Timer;
import jcuda.runtime.cudaEvent_t;

import static jcuda.runtime.JCuda.cudaEventCreate;
import static jcuda.runtime.JCuda.cudaEventDestroy;
import static jcuda.runtime.JCuda.cudaEventElapsedTime;
import static jcuda.runtime.JCuda.cudaEventRecord;
import static jcuda.runtime.JCuda.cudaEventSynchronize;

/** Two CUDA events recorded on the backend's stream; elapsedMillis waits for the stop event only. */
final class CudaTimer implements Timer {
    private final CudaBackend be;
    private final cudaEvent_t start = new cudaEvent_t(), stop = new cudaEvent_t();
    private boolean started, stopped, closedTimer;

    /** Made by {@link CudaBackend#timer()} with the backend's device bound. */
    CudaTimer(CudaBackend be) {
        this.be = be;
        Cuda.rt(cudaEventCreate(start), "cudaEventCreate", "a timer");
        Cuda.rt(cudaEventCreate(stop), "cudaEventCreate", "a timer");
    }

    @Override public void start() {
        be.enter();
        Cuda.rt(cudaEventRecord(start, be.stream()), "cudaEventRecord", "a timer start");
        started = true;
        stopped = false;
    }

    @Override public void stop() {
        be.enter();
        Cuda.rt(cudaEventRecord(stop, be.stream()), "cudaEventRecord", "a timer stop");
        stopped = true;
    }

    @Override public double elapsedMillis() {
        if (!started || !stopped) throw new IllegalStateException("timer read before start() and stop()");
        be.enter();
        Cuda.rt(cudaEventSynchronize(stop), "cudaEventSynchronize", "a timer");
        float[] ms = {0};
        Cuda.rt(cudaEventElapsedTime(ms, start, stop), "cudaEventElapsedTime", "a timer");
        return ms[0];
    }

    @Override public void close() {
        if (closedTimer || be.closed()) return;
        closedTimer = true;
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
    }
}
