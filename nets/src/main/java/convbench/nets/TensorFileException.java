package convbench.nets;

import java.io.IOException;

/**
 * A tensor file that cannot be used: truncated, corrupt, of an unsupported dtype, or not matching
 * the model it is loaded into (a missing tensor, a shape mismatch). The message is one sentence
 * naming the file and the tensor.
 */
public final class TensorFileException extends IOException {
    public TensorFileException(String message) { super(message); }
}
