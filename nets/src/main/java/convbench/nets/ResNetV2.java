package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.Padding;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;

/**
 * resnet50 / resnet101 / resnet152 / resnet200 (seed 004 and its family): ResNet v2 with
 * pre-activation bottleneck units, as TF-slim's resnet_v2 in the seed. Scope resnet_v2_DEPTH.
 * Root: explicit pad 3, 7x7/2 VALID conv with bias (no batch norm, no activation), 3x3/2 SAME max pool.
 * Blocks 1-4 of (depth, bottleneck depth) (256, 64), (512, 128), (1024, 256), (2048, 512); the
 * stride-2 unit is the last unit of blocks 1-3. After the blocks: postnorm (batch norm + relu),
 * global average pool (pool5), 1x1 logits conv with bias, squeezed to (N, classes).
 * Batch norm with scale, epsilon 1e-5, decay 0.997; variance scaling weights (factor 2), biases 0.
 */
@SuppressWarnings("try") // scopes are try-with-resources blocks whose variable is never read
public final class ResNetV2 extends Net {
    /** slim.batch_norm parameters of resnet_arg_scope: gamma, epsilon 1e-5, decay 0.997. */
    public static final Args.BatchNorm BATCH_NORM = new Args.BatchNorm(true, 1e-5, 0.997);

    private final int depth;
    private final int[] units;

    /**
     * @param depth 50, 101, 152 or 200
     */
    public ResNetV2(int depth, Backend backend, int classes, int imageSize, long seed) {
        super(nameOf(depth), backend, classes, imageSize, seed);
        this.depth = depth;
        this.units = unitsOf(depth);
        requireImageSize();
    }

    public ResNetV2(int depth, Backend backend, long seed) { this(depth, backend, 1000, 224, seed); }

    /** Units per block: 50 (3,4,6,3), 101 (3,4,23,3), 152 (3,8,36,3), 200 (3,24,36,3). */
    public static int[] unitsOf(int depth) {
        return switch (depth) {
            case 50 -> new int[] {3, 4, 6, 3};
            case 101 -> new int[] {3, 4, 23, 3};
            case 152 -> new int[] {3, 8, 36, 3};
            case 200 -> new int[] {3, 24, 36, 3};
            default -> throw new IllegalArgumentException("ResNet v2 comes in depths 50, 101, 152 and 200, not " + depth);
        };
    }

    /** "resnet" + depth, refusing a depth without a unit table. */
    private static String nameOf(int depth) {
        unitsOf(depth);
        return "resnet" + depth;
    }

    public int depth() { return depth; }

    @Override public String description() {
        return "ResNet v2 " + depth + ", pre-activation bottlenecks, units " + units[0] + "-" + units[1] + "-" + units[2] + "-"
                + units[3] + " (seed 004" + (depth == 152 ? "" : " family") + ")";
    }

    @Override public int defaultImageSize() { return 224; }

    @Override protected Outputs build(Tensor images) {
        try (var sc = scope("resnet_v2_" + depth);
             var arg = argScope(a -> a.weights(Init.varianceScaling(2.0)).biases(Init.zeros())
                     .activation(Activation.RELU).batchNorm(BATCH_NORM))) {
            Tensor net = images; // (N, 3, 224, 224)
            try (var root = argScope(a -> a.noActivation().noNormalizer())) {
                net = conv2dSame(net, 64, 7, 2, "conv1");                                 // (N, 64, 112, 112)
            }
            net = maxPool2d(net, 3, 3, "pool1", a -> a.stride(2).padding(Padding.SAME));  // (N, 64, 56, 56)
            net = block(net, "block1", 256, 64, units[0], 2);                             // (N, 256, 28, 28)
            net = block(net, "block2", 512, 128, units[1], 2);                            // (N, 512, 14, 14)
            net = block(net, "block3", 1024, 256, units[2], 2);                           // (N, 1024, 7, 7)
            net = block(net, "block4", 2048, 512, units[3], 1);                           // (N, 2048, 7, 7)
            net = batchNorm(net, "postnorm", BATCH_NORM, Activation.RELU);
            net = globalAvgPool(net, "pool5");                                            // (N, 2048, 1, 1)
            net = conv2d(net, classes(), 1, 1, "logits", a -> a.noActivation().noNormalizer()); // (N, classes, 1, 1)
            net = squeezeSpatial(net, "SpatialSqueeze");                                  // (N, classes)
            return new Outputs(net, null);
        }
    }

    /** A block of n bottleneck units; the last one has the block's stride. */
    private Tensor block(Tensor net, String name, int depth, int depthBottleneck, int n, int stride) {
        try (var s = scope(name)) {
            for (int i = 0; i < n; i++) {
                try (var u = scope("unit_" + (i + 1))) {
                    net = bottleneck(net, depth, depthBottleneck, i == n - 1 ? stride : 1);
                }
            }
            return net;
        }
    }

    /**
     * bottleneck_v2: preact = relu(bn(x)); shortcut = x subsampled by the stride when the depth is
     * unchanged, else a 1x1 conv with bias on preact; residual = 1x1 (bn, relu) -> 3x3 at the stride
     * (bn, relu) -> 1x1 with bias; out = shortcut + residual.
     */
    private Tensor bottleneck(Tensor x, int depth, int depthBottleneck, int stride) {
        try (var s = scope("bottleneck_v2")) {
            int depthIn = x.shape().c();
            Tensor preact = batchNorm(x, "preact", BATCH_NORM, Activation.RELU);
            Tensor shortcut;
            if (depth == depthIn) {
                shortcut = stride == 1 ? x : subsample(x, stride, "shortcut");
            } else {
                shortcut = conv2d(preact, depth, 1, 1, "shortcut", a -> a.stride(stride).noNormalizer().noActivation());
            }
            Tensor residual = conv2d(preact, depthBottleneck, 1, 1, "conv1", a -> a.stride(1));
            residual = conv2dSame(residual, depthBottleneck, 3, stride, "conv2");
            residual = conv2d(residual, depth, 1, 1, "conv3", a -> a.stride(1).noNormalizer().noActivation());
            return add(shortcut, residual, "add");
        }
    }

    /**
     * conv2d_same: stride 1 is a SAME conv; otherwise an explicit pad of (k - 1) / 2 before and the
     * rest after (independent of the input size), then a VALID conv at the stride.
     */
    private Tensor conv2dSame(Tensor x, int filters, int k, int stride, String name) {
        if (stride == 1) return conv2d(x, filters, k, k, name, a -> a.stride(1).padding(Padding.SAME));
        int padTotal = k - 1, padBeg = padTotal / 2, padEnd = padTotal - padBeg;
        Tensor padded;
        try (var s = scope(name)) {
            padded = pad(x, padBeg, padEnd, "Pad");
        }
        return conv2d(padded, filters, k, k, name, a -> a.stride(stride).padding(Padding.VALID));
    }
}
