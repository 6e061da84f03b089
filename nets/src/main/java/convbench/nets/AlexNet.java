package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.Padding;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;

/**
 * alexnet (seed 003): the full AlexNet of the tf.layers code, 96-256-384-384-256 convolutions with
 * LRN, three max pools, and dense 4096-4096-classes. Weights truncated normal stddev 0.1, biases 0.
 * The flatten is in NCHW order (C, H, W), so dense_1's weights read the NCHW layout.
 */
@SuppressWarnings("try") // scopes are try-with-resources blocks whose variable is never read
public final class AlexNet extends Net {
    public AlexNet(Backend backend, int classes, int imageSize, long seed) {
        super("alexnet", backend, classes, imageSize, seed);
        requireImageSize();
    }

    public AlexNet(Backend backend, long seed) { this(backend, 1000, 224, seed); }

    @Override public String description() {
        return "AlexNet 96-256-384-384-256 with LRN, dense 4096-4096-classes (seed 003)";
    }

    @Override public int defaultImageSize() { return 224; }

    @Override protected Outputs build(Tensor images) {
        try (var sc = argScope(a -> a.padding(Padding.SAME).activation(Activation.RELU)
                .weights(Init.truncatedNormal(0.1)).biases(Init.zeros()))) {
            // images (N, 3, 224, 224)
            Tensor net = conv2d(images, 96, 11, 11, "conv_1", a -> a.stride(4));                     // (N, 96, 56, 56)
            net = lrn(net, 5, 1.0, 0.0001 / 5.0, 0.75, "norm_1");
            net = maxPool2d(net, 3, 3, "max_pool_1", a -> a.stride(2).padding(Padding.VALID));      // (N, 96, 27, 27)

            net = conv2d(net, 256, 5, 5, "conv_2");                                                 // (N, 256, 27, 27)
            net = lrn(net, 5, 1.0, 0.0001 / 5.0, 0.75, "norm_2");
            net = maxPool2d(net, 3, 3, "max_pool_2", a -> a.stride(2).padding(Padding.VALID));      // (N, 256, 13, 13)

            net = conv2d(net, 384, 3, 3, "conv_3");                                                 // (N, 384, 13, 13)
            net = conv2d(net, 384, 3, 3, "conv_4");                                                 // (N, 384, 13, 13)
            net = conv2d(net, 256, 3, 3, "conv_5");                                                 // (N, 256, 13, 13)
            net = maxPool2d(net, 3, 3, "max_pool_5", a -> a.stride(2).padding(Padding.VALID));      // (N, 256, 6, 6)

            net = flatten(net, "flat");                                                             // (N, 9216)
            net = fullyConnected(net, 4096, "dense_1");                                             // (N, 4096)
            net = fullyConnected(net, 4096, "dense_2");                                             // (N, 4096)
            Tensor logits = fullyConnected(net, classes(), "logits_layer", a -> a.noActivation());  // (N, classes)
            return new Outputs(logits, null);
        }
    }
}
