package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;

import static convbench.engine.Padding.SAME;
import static convbench.engine.Padding.VALID;

/**
 * inception3 (seed 001): TF-slim's inception_v3 at 299x299 with the auxiliary head. Every conv has
 * batch norm without scale (epsilon 0.001, decay 0.9997) and relu, and no bias, except the two
 * logits convs (bias, no batch norm, no activation). Weights truncated normal 0.1 (aux
 * Conv2d_2a 0.01, aux logits 0.001), biases 0. Scope names are slim's, where the seed mangles a
 * few (Mixed_5c's Conv2d_0b_1x1 / Conv_1_0c_5x5 and Mixed_6a's Conv2d_1a_1x1 are slim's own).
 *
 * <p>Like slim's _reduced_kernel_size_for_small_input, the final 8x8 average pool and the aux head's
 * 5x5 kernels shrink to the feature map when it is smaller, so the net runs down to 75x75; the
 * layer names carry the kernel used (AvgPool_1a_8x8 at 299). Larger inputs keep the 8x8 pool, and
 * the logits are squeezed to (N, classes) only when they are 1x1.
 *
 * <p>Outputs: logits (N, classes) and aux logits (N, classes). The forward-backward objective is
 * l2(logits) + l2(aux logits), so every parameter gets a gradient.
 */
@SuppressWarnings("try") // scopes are try-with-resources blocks whose variable is never read
public final class InceptionV3 extends Net {
    /** slim.batch_norm parameters of inception_v3_arg_scope: no gamma, epsilon 0.001, decay 0.9997. */
    public static final Args.BatchNorm BATCH_NORM = new Args.BatchNorm(false, 0.001, 0.9997);
    /** Dropout_1b's keep probability in training mode. */
    public static final double KEEP_PROB = 0.8;

    public InceptionV3(Backend backend, int classes, int imageSize, long seed) {
        super("inception3", backend, classes, imageSize, seed);
        requireImageSize();
    }

    public InceptionV3(Backend backend, long seed) { this(backend, 1000, 299, seed); }

    @Override public String description() {
        return "Inception v3 (TF-slim) with auxiliary logits, batch norm without scale (seed 001)";
    }

    @Override public int defaultImageSize() { return 299; }

    @Override protected Outputs build(Tensor images) {
        try (var sc = scope("InceptionV3");
             var arg = argScope(a -> a.weights(Init.truncatedNormal(0.1)).activation(Activation.RELU).batchNorm(BATCH_NORM))) {
            Tensor mixed6e = null;
            Tensor net = images; // (N, 3, 299, 299)
            try (var base = argScope(a -> a.stride(1).padding(VALID))) {
                net = conv2d(net, 32, 3, 3, "Conv2d_1a_3x3", a -> a.stride(2)); // (N, 32, 149, 149)
                net = conv2d(net, 32, 3, 3, "Conv2d_2a_3x3");                   // (N, 32, 147, 147)
                net = conv2d(net, 64, 3, 3, "Conv2d_2b_3x3", a -> a.padding(SAME)); // (N, 64, 147, 147)
                net = maxPool2d(net, 3, 3, "MaxPool_3a_3x3", a -> a.stride(2)); // (N, 64, 73, 73)
                net = conv2d(net, 80, 1, 1, "Conv2d_3b_1x1");                   // (N, 80, 73, 73)
                net = conv2d(net, 192, 3, 3, "Conv2d_4a_3x3");                  // (N, 192, 71, 71)
                net = maxPool2d(net, 3, 3, "MaxPool_5a_3x3", a -> a.stride(2)); // (N, 192, 35, 35)
            }
            try (var blocks = argScope(a -> a.stride(1).padding(SAME))) {
                net = mixed5("Mixed_5b", net, 32, "Conv2d_0a_1x1", "Conv2d_0b_5x5"); // (N, 256, 35, 35)
                net = mixed5("Mixed_5c", net, 64, "Conv2d_0b_1x1", "Conv_1_0c_5x5"); // (N, 288, 35, 35)
                net = mixed5("Mixed_5d", net, 64, "Conv2d_0a_1x1", "Conv2d_0b_5x5"); // (N, 288, 35, 35)
                net = mixed6a(net);                                                  // (N, 768, 17, 17)
                net = mixed6("Mixed_6b", net, 128);                                  // (N, 768, 17, 17)
                net = mixed6("Mixed_6c", net, 160);
                net = mixed6("Mixed_6d", net, 160);
                net = mixed6("Mixed_6e", net, 192);
                mixed6e = net;
                net = mixed7a(net);                                                  // (N, 1280, 8, 8)
                net = mixed7("Mixed_7b", net, "Conv2d_0b_3x1");                      // (N, 2048, 8, 8)
                net = mixed7("Mixed_7c", net, "Conv2d_0c_3x1");                      // (N, 2048, 8, 8)
            }
            Tensor aux;
            try (var head = argScope(a -> a.stride(1).padding(SAME)); var s = scope("AuxLogits")) {
                int k = Math.min(5, mixed6e.shape().h()), kw = Math.min(5, mixed6e.shape().w());
                aux = avgPool2d(mixed6e, k, kw, "AvgPool_1a_" + k + "x" + kw, a -> a.stride(3).padding(VALID)); // (N, 768, 5, 5)
                aux = conv2d(aux, 128, 1, 1, "Conv2d_1b_1x1");                                              // (N, 128, 5, 5)
                int k2 = Math.min(5, aux.shape().h()), k2w = Math.min(5, aux.shape().w());
                aux = conv2d(aux, 768, k2, k2w, "Conv2d_2a_" + k2 + "x" + k2w,
                        a -> a.weights(Init.truncatedNormal(0.01)).padding(VALID));                         // (N, 768, 1, 1)
                aux = conv2d(aux, classes(), 1, 1, "Conv2d_2b_1x1",
                        a -> a.noActivation().noNormalizer().weights(Init.truncatedNormal(0.001)));          // (N, classes, 1, 1)
                aux = squeezeSpatial(aux, "SpatialSqueeze");                                                 // (N, classes)
            }
            Tensor logits;
            try (var s = scope("Logits")) {
                int k = Math.min(8, net.shape().h()), kw = Math.min(8, net.shape().w());
                // slim.avg_pool2d's own default stride is 2
                net = avgPool2d(net, k, kw, "AvgPool_1a_" + k + "x" + kw, a -> a.stride(2).padding(VALID)); // (N, 2048, 1, 1)
                net = dropout(net, KEEP_PROB, "Dropout_1b");
                logits = conv2d(net, classes(), 1, 1, "Conv2d_1c_1x1", a -> a.noActivation().noNormalizer()); // (N, classes, 1, 1)
                logits = squeezeSpatial(logits, "SpatialSqueeze");                                            // (N, classes)
            }
            return new Outputs(logits, aux);
        }
    }

    /** Mixed_5b/5c/5d (35 x 35): 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1. */
    private Tensor mixed5(String name, Tensor net, int poolDepth, String b1First, String b1Second) {
        try (var s = scope(name)) {
            Tensor b0, b1, b2, b3;
            try (var b = scope("Branch_0")) {
                b0 = conv2d(net, 64, 1, 1, "Conv2d_0a_1x1");
            }
            try (var b = scope("Branch_1")) {
                b1 = conv2d(net, 48, 1, 1, b1First);
                b1 = conv2d(b1, 64, 5, 5, b1Second);
            }
            try (var b = scope("Branch_2")) {
                b2 = conv2d(net, 64, 1, 1, "Conv2d_0a_1x1");
                b2 = conv2d(b2, 96, 3, 3, "Conv2d_0b_3x3");
                b2 = conv2d(b2, 96, 3, 3, "Conv2d_0c_3x3");
            }
            try (var b = scope("Branch_3")) {
                b3 = avgPool2d(net, 3, 3, "AvgPool_0a_3x3");
                b3 = conv2d(b3, poolDepth, 1, 1, "Conv2d_0b_1x1");
            }
            return concat("concat", b0, b1, b2, b3);
        }
    }

    /** Mixed_6a (35 -> 17): 3x3/2 | 1x1 -> 3x3 -> 3x3/2 | max pool 3x3/2. */
    private Tensor mixed6a(Tensor net) {
        try (var s = scope("Mixed_6a")) {
            Tensor b0, b1, b2;
            try (var b = scope("Branch_0")) {
                b0 = conv2d(net, 384, 3, 3, "Conv2d_1a_1x1", a -> a.stride(2).padding(VALID));
            }
            try (var b = scope("Branch_1")) {
                b1 = conv2d(net, 64, 1, 1, "Conv2d_0a_1x1");
                b1 = conv2d(b1, 96, 3, 3, "Conv2d_0b_3x3");
                b1 = conv2d(b1, 96, 3, 3, "Conv2d_1a_1x1", a -> a.stride(2).padding(VALID));
            }
            try (var b = scope("Branch_2")) {
                b2 = maxPool2d(net, 3, 3, "MaxPool_1a_3x3", a -> a.stride(2).padding(VALID));
            }
            return concat("concat", b0, b1, b2);
        }
    }

    /** Mixed_6b..6e (17 x 17): 1x1 | 1x1 -> 1x7 -> 7x1 | 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 | avg pool -> 1x1. */
    private Tensor mixed6(String name, Tensor net, int d) {
        try (var s = scope(name)) {
            Tensor b0, b1, b2, b3;
            try (var b = scope("Branch_0")) {
                b0 = conv2d(net, 192, 1, 1, "Conv2d_0a_1x1");
            }
            try (var b = scope("Branch_1")) {
                b1 = conv2d(net, d, 1, 1, "Conv2d_0a_1x1");
                b1 = conv2d(b1, d, 1, 7, "Conv2d_0b_1x7");
                b1 = conv2d(b1, 192, 7, 1, "Conv2d_0c_7x1");
            }
            try (var b = scope("Branch_2")) {
                b2 = conv2d(net, d, 1, 1, "Conv2d_0a_1x1");
                b2 = conv2d(b2, d, 7, 1, "Conv2d_0b_7x1");
                b2 = conv2d(b2, d, 1, 7, "Conv2d_0c_1x7");
                b2 = conv2d(b2, d, 7, 1, "Conv2d_0d_7x1");
                b2 = conv2d(b2, 192, 1, 7, "Conv2d_0e_1x7");
            }
            try (var b = scope("Branch_3")) {
                b3 = avgPool2d(net, 3, 3, "AvgPool_0a_3x3");
                b3 = conv2d(b3, 192, 1, 1, "Conv2d_0b_1x1");
            }
            return concat("concat", b0, b1, b2, b3);
        }
    }

    /** Mixed_7a (17 -> 8): 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | max pool 3x3/2. */
    private Tensor mixed7a(Tensor net) {
        try (var s = scope("Mixed_7a")) {
            Tensor b0, b1, b2;
            try (var b = scope("Branch_0")) {
                b0 = conv2d(net, 192, 1, 1, "Conv2d_0a_1x1");
                b0 = conv2d(b0, 320, 3, 3, "Conv2d_1a_3x3", a -> a.stride(2).padding(VALID));
            }
            try (var b = scope("Branch_1")) {
                b1 = conv2d(net, 192, 1, 1, "Conv2d_0a_1x1");
                b1 = conv2d(b1, 192, 1, 7, "Conv2d_0b_1x7");
                b1 = conv2d(b1, 192, 7, 1, "Conv2d_0c_7x1");
                b1 = conv2d(b1, 192, 3, 3, "Conv2d_1a_3x3", a -> a.stride(2).padding(VALID));
            }
            try (var b = scope("Branch_2")) {
                b2 = maxPool2d(net, 3, 3, "MaxPool_1a_3x3", a -> a.stride(2).padding(VALID));
            }
            return concat("concat", b0, b1, b2);
        }
    }

    /**
     * Mixed_7b/7c (8 x 8): 1x1 | 1x1 -> (1x3, 3x1) | 1x1 -> 3x3 -> (1x3, 3x1) | avg pool -> 1x1.
     * Branch_1's 3x1 conv is Conv2d_0b_3x1 in Mixed_7b and Conv2d_0c_3x1 in Mixed_7c, as in slim.
     */
    private Tensor mixed7(String name, Tensor net, String b1Second) {
        try (var s = scope(name)) {
            Tensor b0, b1, b2, b3;
            try (var b = scope("Branch_0")) {
                b0 = conv2d(net, 320, 1, 1, "Conv2d_0a_1x1");
            }
            try (var b = scope("Branch_1")) {
                b1 = conv2d(net, 384, 1, 1, "Conv2d_0a_1x1");
                b1 = concat("concat",
                        conv2d(b1, 384, 1, 3, "Conv2d_0b_1x3"),
                        conv2d(b1, 384, 3, 1, b1Second));
            }
            try (var b = scope("Branch_2")) {
                b2 = conv2d(net, 448, 1, 1, "Conv2d_0a_1x1");
                b2 = conv2d(b2, 384, 3, 3, "Conv2d_0b_3x3");
                b2 = concat("concat",
                        conv2d(b2, 384, 1, 3, "Conv2d_0c_1x3"),
                        conv2d(b2, 384, 3, 1, "Conv2d_0d_3x1"));
            }
            try (var b = scope("Branch_3")) {
                b3 = avgPool2d(net, 3, 3, "AvgPool_0a_3x3");
                b3 = conv2d(b3, 192, 1, 1, "Conv2d_0b_1x1");
            }
            return concat("concat", b0, b1, b2, b3);
        }
    }
}
