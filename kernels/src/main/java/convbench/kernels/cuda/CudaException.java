package convbench.kernels.cuda;

/**
 * A CUDA, cuDNN or cuBLAS call failed. The message is one sentence: the call, what it was doing
 * (the op and shapes), and the library's own text for the status (cudnnGetErrorString,
 * cudaGetErrorString, cublasGetStatusString: correct for the installed library's status numbering).
 */
public final class CudaException extends RuntimeException {
    private final int status;

    public CudaException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The library's status code. */
    public int status() { return status; }
}
