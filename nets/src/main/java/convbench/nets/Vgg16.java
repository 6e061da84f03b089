package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.Padding;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;

/**
 * vgg16 (seed 002): thirteen 3x3 SAME convolutions with relu in five groups, each followed by a
 * 2x2/2 SAME max pool, then fc6 and fc7 (4096, relu, dropout keep 0.5 in training mode) and fc8.
 * Xavier (Glorot uniform) weights, conv biases 0, fc biases 0.1.
 *
 * <p>As in the seed, fc8 also goes through a relu: the seed's fc_op builds every fully connected
 * layer with tf.nn.relu_layer, fc8 included, and the net is kept exactly as written.
 */
@SuppressWarnings("try") // scopes are try-with-resources blocks whose variable is never read
public final class Vgg16 extends Net {
    /** Dropout keep probability of fc6_drop and fc7_drop in training mode (the seed feeds 0.5 for forward-backward). */
    public static final double KEEP_PROB = 0.5;

    public Vgg16(Backend backend, int classes, int imageSize, long seed) {
        super("vgg16", backend, classes, imageSize, seed);
        requireImageSize();
    }

    public Vgg16(Backend backend, long seed) { this(backend, 1000, 224, seed); }

    @Override public String description() {
        return "VGG16: 13 conv 3x3 + 3 fc, dropout 0.5 when training, relu on fc8 as in the seed (seed 002)";
    }

    @Override public int defaultImageSize() { return 224; }

    /** conv_op: 3x3/1 SAME conv with bias and relu. */
    private Tensor convOp(Tensor x, String name, int nOut) {
        return conv2d(x, nOut, 3, 3, name);
    }

    /** mpool_op: 2x2/2 SAME max pool. */
    private Tensor mpoolOp(Tensor x, String name) {
        return maxPool2d(x, 2, 2, name, a -> a.stride(2).padding(Padding.SAME));
    }

    /** fc_op: tf.nn.relu_layer(x, w, b), fc biases 0.1. */
    private Tensor fcOp(Tensor x, String name, int nOut) {
        return fullyConnected(x, nOut, name, a -> a.biases(Init.constant(0.1f)));
    }

    @Override protected Outputs build(Tensor images) {
        try (var sc = argScope(a -> a.padding(Padding.SAME).stride(1).weights(Init.xavier()).biases(Init.zeros()))) {
            // images (N, 3, 224, 224)
            Tensor conv1_1 = convOp(images, "conv1_1", 64);   // (N, 64, 224, 224)
            Tensor conv1_2 = convOp(conv1_1, "conv1_2", 64);
            Tensor pool1 = mpoolOp(conv1_2, "pool1");         // (N, 64, 112, 112)

            Tensor conv2_1 = convOp(pool1, "conv2_1", 128);   // (N, 128, 112, 112)
            Tensor conv2_2 = convOp(conv2_1, "conv2_2", 128);
            Tensor pool2 = mpoolOp(conv2_2, "pool2");         // (N, 128, 56, 56)

            Tensor conv3_1 = convOp(pool2, "conv3_1", 256);   // (N, 256, 56, 56)
            Tensor conv3_2 = convOp(conv3_1, "conv3_2", 256);
            Tensor conv3_3 = convOp(conv3_2, "conv3_3", 256);
            Tensor pool3 = mpoolOp(conv3_3, "pool3");         // (N, 256, 28, 28)

            Tensor conv4_1 = convOp(pool3, "conv4_1", 512);   // (N, 512, 28, 28)
            Tensor conv4_2 = convOp(conv4_1, "conv4_2", 512);
            Tensor conv4_3 = convOp(conv4_2, "conv4_3", 512);
            Tensor pool4 = mpoolOp(conv4_3, "pool4");         // (N, 512, 14, 14)

            Tensor conv5_1 = convOp(pool4, "conv5_1", 512);   // (N, 512, 14, 14)
            Tensor conv5_2 = convOp(conv5_1, "conv5_2", 512);
            Tensor conv5_3 = convOp(conv5_2, "conv5_3", 512);
            Tensor pool5 = mpoolOp(conv5_3, "pool5");         // (N, 512, 7, 7)

            Tensor resh1 = flatten(pool5, "resh1");           // (N, 25088), NCHW order
            Tensor fc6 = fcOp(resh1, "fc6", 4096);            // (N, 4096)
            Tensor fc6Drop = dropout(fc6, KEEP_PROB, "fc6_drop");
            Tensor fc7 = fcOp(fc6Drop, "fc7", 4096);          // (N, 4096)
            Tensor fc7Drop = dropout(fc7, KEEP_PROB, "fc7_drop");
            Tensor fc8 = fcOp(fc7Drop, "fc8", classes());     // (N, classes), relu as in the seed's fc_op
            return new Outputs(fc8, null);
        }
    }
}
