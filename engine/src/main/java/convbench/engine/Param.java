package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

/**
 * A named tensor owned by a layer: a trainable parameter (weights, biases, beta, gamma) with its
 * gradient buffer, or other state (batch norm moving statistics). Names follow TF-slim scopes,
 * e.g. "InceptionV3/Mixed_5b/Branch_1/Conv2d_0b_5x5/weights".
 */
public final class Param implements AutoCloseable {
    private final String name;
    private final Tensor value;
    private final boolean trainable;
    private final Backend backend;
    private Tensor grad;
    private Tensor velocity;

    /** value lives on backend (the optimizer asks it for its update plan). */
    public Param(String name, Tensor value, boolean trainable, Backend backend) {
        this.name = name;
        this.value = value;
        this.trainable = trainable;
        this.backend = backend;
        if (trainable) value.requireGrad();
    }

    public String name() { return name; }

    public Tensor value() { return value; }

    public Shape shape() { return value.shape(); }

    public boolean trainable() { return trainable; }

    /** The backend the value lives on. */
    public Backend backend() { return backend; }

    /** The gradient buffer (allocated on first use, kept across steps); null for non-trainable state. */
    public Tensor grad() {
        if (!trainable) return null;
        if (grad == null) grad = value.backend().zeros(value.shape());
        return grad;
    }

    /** The momentum accumulator of SGD with momentum (zeros at first use). */
    public Tensor velocity() {
        if (velocity == null) velocity = value.backend().zeros(value.shape());
        return velocity;
    }

    @Override public void close() {
        value.close();
        if (grad != null) grad.close();
        if (velocity != null) velocity.close();
    }

    @Override public String toString() { return name + " " + value.shape(); }
}
