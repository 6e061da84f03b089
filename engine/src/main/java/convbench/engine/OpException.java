package convbench.engine;

/**
 * A bad argument to an op: the message names the op, the layer, the shapes and what is wrong,
 * e.g. "conv2d 'conv1': kernel 11x11 does not fit the padded input 8x8 (x (1, 3, 8, 8), VALID)".
 */
public final class OpException extends IllegalArgumentException {
    public OpException(String op, String layer, String what) {
        super(op + " '" + layer + "': " + what);
    }
}
