package convbench.nets;

import convbench.engine.Padding;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;

/**
 * The defaults of slim.arg_scope for conv2d, the pools and fully_connected: stride, padding,
 * normalizer (batch norm or none), activation, weight and bias initialisers. Immutable; each
 * {@code with}-style method returns a changed copy, so a net writes
 * {@code conv2d(net, 384, 3, 3, "Conv2d_1a_1x1", a -> a.stride(2).padding(VALID))}.
 * Slim's own defaults: stride 1, SAME, no normalizer, relu, Xavier weights, zero biases.
 */
public final class Args {
    /** slim.batch_norm's parameters: with or without gamma, epsilon, moving-average decay. */
    public record BatchNorm(boolean scale, double epsilon, double decay) {}

    final int stride;
    final Padding padding;
    final BatchNorm normalizer; // null: no normalizer (the conv has a bias instead)
    final Activation activation;
    final Init weights;
    final Init biases;

    private Args(int stride, Padding padding, BatchNorm normalizer, Activation activation, Init weights, Init biases) {
        this.stride = stride;
        this.padding = padding;
        this.normalizer = normalizer;
        this.activation = activation;
        this.weights = weights;
        this.biases = biases;
    }

    /** slim's defaults. */
    public static Args slim() {
        return new Args(1, Padding.SAME, null, Activation.RELU, Init.xavier(), Init.zeros());
    }

    public Args stride(int s) { return new Args(s, padding, normalizer, activation, weights, biases); }

    public Args padding(Padding p) { return new Args(stride, p, normalizer, activation, weights, biases); }

    /** normalizer_fn=slim.batch_norm with these parameters (the conv then has no bias). */
    public Args batchNorm(BatchNorm bn) { return new Args(stride, padding, bn, activation, weights, biases); }

    /** normalizer_fn=None (the conv has a bias). */
    public Args noNormalizer() { return new Args(stride, padding, null, activation, weights, biases); }

    public Args activation(Activation a) { return new Args(stride, padding, normalizer, a, weights, biases); }

    /** activation_fn=None. */
    public Args noActivation() { return activation(Activation.NONE); }

    public Args weights(Init w) { return new Args(stride, padding, normalizer, activation, w, biases); }

    public Args biases(Init b) { return new Args(stride, padding, normalizer, activation, weights, b); }
}
