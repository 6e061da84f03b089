package convbench.engine.plan;

import convbench.engine.spec.Activation;

import convbench.engine.tensor.Shape;

/** Fully connected: y (N, out) = act(x (N, in) . w^T + b), w is (out, in). */
public record DenseDesc(int n, int in, int out, boolean bias, Activation act) implements WeightedDesc {
    public Shape x() { return Shape.of(n, in); }

    public Shape y() { return Shape.of(n, out); }

    public Shape w() { return Shape.of(out, in); }

    public long macs() { return (long) n * in * out; }
}
