package convbench.bench;

/** A failure at run time (no usable device, out of memory, a file that cannot be written): one sentence, exit code 1. */
final class RunFailure extends RuntimeException {
    RunFailure(String message) { super(message); }

    RunFailure(String message, Throwable cause) { super(message, cause); }
}
