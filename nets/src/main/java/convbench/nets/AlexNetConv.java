package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.Padding;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;

/**
 * alexnet-conv (seed 000): the five convolution layers of AlexNet with LRN and max pooling, the
 * network the seed times forward and forward-backward (l2 loss on pool5). No classifier: the output
 * is pool5, (N, 256, 6, 6) at 224. Weights truncated normal stddev 0.1, biases 0; names
 * conv1/weights, conv1/biases, ... as the seed's tf.name_scope gives them.
 */
@SuppressWarnings("try") // scopes are try-with-resources blocks whose variable is never read
public final class AlexNetConv extends Net {
    public AlexNetConv(Backend backend, int classes, int imageSize, long seed) {
        super("alexnet-conv", backend, classes, imageSize, seed);
        requireImageSize();
    }

    public AlexNetConv(Backend backend, long seed) { this(backend, 1000, 224, seed); }

    @Override public String description() {
        return "AlexNet convolution layers 64-192-384-256-256 with LRN, output pool5 (seed 000)";
    }

    @Override public int defaultImageSize() { return 224; }

    @Override protected Outputs build(Tensor images) {
        try (var sc = argScope(a -> a.padding(Padding.SAME).weights(Init.truncatedNormal(0.1)).biases(Init.zeros()))) {
            // images (N, 3, 224, 224)
            Tensor conv1 = conv2d(images, 64, 11, 11, "conv1", a -> a.stride(4));                 // (N, 64, 56, 56)
            Tensor lrn1 = lrn(conv1, 4, 1.0, 0.001 / 9, 0.75, "lrn1");
            Tensor pool1 = maxPool2d(lrn1, 3, 3, "pool1", a -> a.stride(2).padding(Padding.VALID)); // (N, 64, 27, 27)
            Tensor conv2 = conv2d(pool1, 192, 5, 5, "conv2");                                      // (N, 192, 27, 27)
            Tensor lrn2 = lrn(conv2, 4, 1.0, 0.001 / 9, 0.75, "lrn2");
            Tensor pool2 = maxPool2d(lrn2, 3, 3, "pool2", a -> a.stride(2).padding(Padding.VALID)); // (N, 192, 13, 13)
            Tensor conv3 = conv2d(pool2, 384, 3, 3, "conv3");                                      // (N, 384, 13, 13)
            Tensor conv4 = conv2d(conv3, 256, 3, 3, "conv4");                                      // (N, 256, 13, 13)
            Tensor conv5 = conv2d(conv4, 256, 3, 3, "conv5");                                      // (N, 256, 13, 13)
            Tensor pool5 = maxPool2d(conv5, 3, 3, "pool5", a -> a.stride(2).padding(Padding.VALID)); // (N, 256, 6, 6)
            return new Outputs(pool5, null);
        }
    }
}
