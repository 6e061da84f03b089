package convbench.nets;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.MetaBackend;
import convbench.engine.Model;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The facts of REFERENCE.md: parameters, other state, MACs and output shapes at full size, on MetaBackend. */
class NetFactsTest {

    static Summary summary(String net) {
        try (Net n = Nets.create(net, new MetaBackend(), 1000, Nets.spec(net).defaultImageSize(), 0)) {
            return n.summary();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            alexnet      | 62378344  | 0      | 1.139  | (1, 1000)
            alexnet-conv | 2469696   | 0      | 0.658  | (1, 256, 6, 6)
            vgg16        | 138357544 | 0      | 15.47  | (1, 1000)
            inception3   | 27143152  | 36224  | 5.719  | (1, 1000) (1, 1000)
            resnet50     | 25568360  | 45440  | 3.482  | (1, 1000)
            resnet101    | 44577896  | 97664  | 7.194  | (1, 1000)
            resnet152    | 60236904  | 143744 | 10.907 | (1, 1000)
            resnet200    | 64726120  | 168320 | 14.401 | (1, 1000)
            """)
    void referenceTable(String net, long trainable, long state, String gmacs, String outputs) {
        Summary s = summary(net);
        assertEquals(trainable, s.trainable(), net + " trainable parameters");
        assertEquals(state, s.state(), net + " other state");
        int decimals = gmacs.length() - gmacs.indexOf('.') - 1; // as many decimals as REFERENCE gives
        assertEquals(gmacs, String.format(Locale.ROOT, "%." + decimals + "f", s.gmacs()), net + " GMACs per image");
        StringBuilder shapes = new StringBuilder();
        for (Shape o : s.outputs()) shapes.append(shapes.length() == 0 ? "" : " ").append(o);
        assertEquals(outputs, shapes.toString(), net + " output shapes at batch 1");
    }

    /** Exact MACs where the arithmetic is short enough to write down: out_h * out_w * K * C * kh * kw per conv, in * out per dense. */
    @Test
    void exactMacsOfTheChainNets() {
        long alexnetConv = 56L * 56 * 64 * 3 * 11 * 11 + 27L * 27 * 192 * 64 * 5 * 5 + 13L * 13 * 384 * 192 * 9
                + 13L * 13 * 256 * 384 * 9 + 13L * 13 * 256 * 256 * 9;
        assertEquals(alexnetConv, summary("alexnet-conv").macsPerImage());
        assertEquals(658_145_280L, alexnetConv);

        long alexnet = 56L * 56 * 96 * 3 * 11 * 11 + 27L * 27 * 256 * 96 * 25 + 13L * 13 * 384 * 256 * 9
                + 13L * 13 * 384 * 384 * 9 + 13L * 13 * 256 * 384 * 9 + 9216L * 4096 + 4096L * 4096 + 4096L * 1000;
        assertEquals(alexnet, summary("alexnet").macsPerImage());

        long vgg = 0;
        int[][] groups = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
        int in = 3, size = 224;
        for (int[] g : groups) {
            for (int out : g) {
                vgg += (long) size * size * out * in * 9;
                in = out;
            }
            size /= 2;
        }
        vgg += 25088L * 4096 + 4096L * 4096 + 4096L * 1000;
        assertEquals(vgg, summary("vgg16").macsPerImage());
        assertEquals(15_470_264_320L, vgg);
    }

    /**
     * ResNet v2 parameters, moving statistics and MACs from an independent count of the architecture
     * (root, bottleneck units, postnorm, logits), against the net's own.
     */
    @ParameterizedTest
    @CsvSource({"50", "101", "152", "200"})
    void resnetCountsFromTheArchitecture(int depth) {
        int[] units = ResNetV2.unitsOf(depth);
        int[][] blocks = {{256, 64, 2}, {512, 128, 2}, {1024, 256, 2}, {2048, 512, 1}};
        long params = 7 * 7 * 3 * 64 + 64, state = 0, macs = 112L * 112 * 64 * 7 * 7 * 3;
        int in = 64, size = 56; // after pool1
        for (int b = 0; b < 4; b++) {
            int depthOut = blocks[b][0], bottleneck = blocks[b][1];
            for (int u = 0; u < units[b]; u++) {
                int stride = u == units[b] - 1 ? blocks[b][2] : 1, out = size / stride;
                params += 2L * in;                    // preact beta, gamma
                state += 2L * in;                     // preact moving mean, variance
                if (in != depthOut) {                 // projection shortcut with bias
                    params += (long) in * depthOut + depthOut;
                    macs += (long) out * out * depthOut * in;
                }
                params += (long) in * bottleneck + 2L * bottleneck;                // conv1 + its batch norm
                macs += (long) size * size * bottleneck * in;
                params += 9L * bottleneck * bottleneck + 2L * bottleneck;          // conv2 + its batch norm
                macs += (long) out * out * bottleneck * bottleneck * 9;
                params += (long) bottleneck * depthOut + depthOut;                 // conv3 with bias
                macs += (long) out * out * depthOut * bottleneck;
                state += 4L * bottleneck;
                in = depthOut;
                size = out;
            }
        }
        params += 2 * 2048 + 2048 * 1000 + 1000; // postnorm, logits
        state += 2 * 2048;
        macs += 2048 * 1000;
        Summary s = summary("resnet" + depth);
        assertEquals(params, s.trainable());
        assertEquals(state, s.state());
        assertEquals(macs, s.macsPerImage());
    }

    @Test
    void inceptionExactMacsAndWithoutAuxHead() {
        Summary s = summary("inception3");
        // Measured here; agrees with REFERENCE's 5.719 GMACs and its parameter counts.
        assertEquals(5_718_899_296L, s.macsPerImage());
        long aux = 0;
        for (Summary.Row r : s.rows()) if (r.name().startsWith("InceptionV3/AuxLogits/")) aux += r.trainable();
        assertEquals(23_817_352L, s.trainable() - aux, "Inception v3 without the auxiliary head (Keras figure)");
    }

    @Test
    void resnet152TrainablePlusMovingIsKerasTotal() {
        Summary s = summary("resnet152");
        assertEquals(60_380_648L, s.trainable() + s.state());
    }

    @Test
    void alexnetConvActivationShapesAtBatch32() {
        MetaBackend meta = new MetaBackend();
        try (Net n = new AlexNetConv(meta, 0); Ctx c = Ctx.inference(meta)) {
            n.forward(c, meta.alloc(Shape.nchw(32, 3, 224, 224)));
            Map<String, Shape> shapes = new HashMap<>();
            for (Layer l : n.model().layers()) shapes.put(l.name(), l.outShape());
            assertEquals(Shape.nchw(32, 64, 56, 56), shapes.get("conv1"));
            assertEquals(Shape.nchw(32, 64, 27, 27), shapes.get("pool1"));
            assertEquals(Shape.nchw(32, 192, 27, 27), shapes.get("conv2"));
            assertEquals(Shape.nchw(32, 192, 13, 13), shapes.get("pool2"));
            assertEquals(Shape.nchw(32, 384, 13, 13), shapes.get("conv3"));
            assertEquals(Shape.nchw(32, 256, 13, 13), shapes.get("conv4"));
            assertEquals(Shape.nchw(32, 256, 13, 13), shapes.get("conv5"));
            assertEquals(Shape.nchw(32, 256, 6, 6), shapes.get("pool5"));
            assertEquals(32L * 658_145_280L, n.model().layers().stream().mapToLong(Layer::macs).sum(), "MACs scale with the batch");
        }
    }

    private static Model built(String net) {
        Net n = Nets.create(net, new MetaBackend(), 1000, Nets.spec(net).defaultImageSize(), 0);
        n.ensureBuilt();
        return n.model();
    }

    private static void shape(Model m, String param, int... dims) {
        Param p = m.param(param);
        assertNotNull(p, "parameter " + param);
        assertEquals(Shape.of(dims), p.shape(), param);
    }

    @Test
    void parameterNamesAndLayouts() {
        Model ac = built("alexnet-conv");
        shape(ac, "conv1/weights", 64, 3, 11, 11); // (out, in, kh, kw)
        shape(ac, "conv1/biases", 64);
        shape(ac, "conv5/weights", 256, 256, 3, 3);

        Model a = built("alexnet");
        shape(a, "conv_1/weights", 96, 3, 11, 11);
        shape(a, "dense_1/weights", 4096, 9216); // (out, in), in = 256 * 6 * 6 in NCHW order
        shape(a, "logits_layer/biases", 1000);

        Model v = built("vgg16");
        shape(v, "conv1_1/weights", 64, 3, 3, 3);
        shape(v, "conv5_3/biases", 512);
        shape(v, "fc6/weights", 4096, 25088);
        shape(v, "fc8/weights", 1000, 4096);
    }

    @Test
    void inceptionNamesAreSlims() {
        Model m = built("inception3");
        String p = "InceptionV3/";
        shape(m, p + "Conv2d_1a_3x3/weights", 32, 3, 3, 3);
        shape(m, p + "Conv2d_1a_3x3/BatchNorm/beta", 32);
        shape(m, p + "Conv2d_1a_3x3/BatchNorm/moving_mean", 32);
        shape(m, p + "Conv2d_1a_3x3/BatchNorm/moving_variance", 32);
        assertNull(m.param(p + "Conv2d_1a_3x3/BatchNorm/gamma"), "batch norm without scale has no gamma");
        assertNull(m.param(p + "Conv2d_1a_3x3/biases"), "a conv with batch norm has no bias");
        shape(m, p + "Mixed_5b/Branch_1/Conv2d_0b_5x5/weights", 64, 48, 5, 5);
        shape(m, p + "Mixed_5c/Branch_1/Conv2d_0b_1x1/weights", 48, 256, 1, 1);
        shape(m, p + "Mixed_5c/Branch_1/Conv_1_0c_5x5/weights", 64, 48, 5, 5);
        shape(m, p + "Mixed_6a/Branch_0/Conv2d_1a_1x1/weights", 384, 288, 3, 3);
        shape(m, p + "Mixed_6a/Branch_1/Conv2d_1a_1x1/weights", 96, 96, 3, 3);
        shape(m, p + "Mixed_6b/Branch_1/Conv2d_0b_1x7/weights", 128, 128, 1, 7);
        shape(m, p + "Mixed_6b/Branch_1/Conv2d_0c_7x1/weights", 192, 128, 7, 1);
        shape(m, p + "Mixed_7a/Branch_0/Conv2d_1a_3x3/weights", 320, 192, 3, 3);
        shape(m, p + "Mixed_7b/Branch_1/Conv2d_0b_3x1/weights", 384, 384, 3, 1);
        shape(m, p + "Mixed_7c/Branch_1/Conv2d_0c_3x1/weights", 384, 384, 3, 1);
        shape(m, p + "AuxLogits/Conv2d_1b_1x1/weights", 128, 768, 1, 1);
        shape(m, p + "AuxLogits/Conv2d_2a_5x5/weights", 768, 128, 5, 5);
        shape(m, p + "AuxLogits/Conv2d_2b_1x1/biases", 1000);
        shape(m, p + "Logits/Conv2d_1c_1x1/weights", 1000, 2048, 1, 1);
        shape(m, p + "Logits/Conv2d_1c_1x1/biases", 1000);
        for (Param q : m.params()) assertFalse(q.name().endsWith("/gamma"), q.name());
    }

    @Test
    void resnetNamesAreSlims() {
        Model m = built("resnet152");
        String u = "resnet_v2_152/block1/unit_1/bottleneck_v2/";
        shape(m, "resnet_v2_152/conv1/weights", 64, 3, 7, 7);
        shape(m, "resnet_v2_152/conv1/biases", 64);
        shape(m, u + "preact/gamma", 64);
        shape(m, u + "preact/beta", 64);
        shape(m, u + "preact/moving_mean", 64);
        shape(m, u + "shortcut/weights", 256, 64, 1, 1);
        shape(m, u + "shortcut/biases", 256);
        shape(m, u + "conv1/weights", 64, 64, 1, 1);
        shape(m, u + "conv1/BatchNorm/beta", 64);
        shape(m, u + "conv1/BatchNorm/gamma", 64);
        assertNull(m.param(u + "conv1/biases"));
        shape(m, u + "conv2/weights", 64, 64, 3, 3);
        shape(m, u + "conv3/weights", 256, 64, 1, 1);
        shape(m, u + "conv3/biases", 256);
        assertNull(m.param("resnet_v2_152/block1/unit_2/bottleneck_v2/shortcut/weights"), "identity shortcut");
        shape(m, "resnet_v2_152/block2/unit_8/bottleneck_v2/conv2/weights", 128, 128, 3, 3);
        assertNull(m.param("resnet_v2_152/block2/unit_9/bottleneck_v2/conv1/weights"), "block2 of resnet152 has 8 units");
        shape(m, "resnet_v2_152/block3/unit_36/bottleneck_v2/conv3/weights", 1024, 256, 1, 1);
        shape(m, "resnet_v2_152/postnorm/gamma", 2048);
        shape(m, "resnet_v2_152/logits/weights", 1000, 2048, 1, 1);
        shape(m, "resnet_v2_152/logits/biases", 1000);
    }

    /** The stride-2 unit is the last of blocks 1-3, and stride 2 pads explicitly before a VALID conv. */
    @Test
    void resnetStridesAndPads() {
        Summary s = summary("resnet50");
        String b = "resnet_v2_50/block1/";
        assertEquals(Shape.nchw(1, 64, 56, 56), s.row(b + "unit_2/bottleneck_v2/conv2").output());
        assertEquals(Shape.nchw(1, 64, 58, 58), s.row(b + "unit_3/bottleneck_v2/conv2/Pad").output());
        assertEquals(Shape.nchw(1, 64, 28, 28), s.row(b + "unit_3/bottleneck_v2/conv2").output());
        assertEquals("conv 3x3/2 VALID", s.row(b + "unit_3/bottleneck_v2/conv2").op());
        assertEquals("subsample /2", s.row(b + "unit_3/bottleneck_v2/shortcut").op());
        assertEquals(Shape.nchw(1, 3, 230, 230), s.row("resnet_v2_50/conv1/Pad").output());
        assertEquals(Shape.nchw(1, 64, 112, 112), s.row("resnet_v2_50/conv1").output());
        assertEquals(Shape.nchw(1, 64, 56, 56), s.row("resnet_v2_50/pool1").output());
        assertEquals(Shape.nchw(1, 2048, 7, 7), s.row("resnet_v2_50/postnorm").output());
        assertEquals(Shape.nchw(1, 1024, 7, 7), s.row("resnet_v2_50/block3/unit_6/bottleneck_v2/add").output());
        assertNull(s.row("resnet_v2_50/block4/unit_3/bottleneck_v2/shortcut"), "stride 1, same depth: the input itself");
    }

    /** Inception's stem and block shapes at 299 (slim's comments), and the reduced kernels below 299. */
    @Test
    void inceptionShapes() {
        Summary s = summary("inception3");
        String p = "InceptionV3/";
        assertEquals(Shape.nchw(1, 32, 149, 149), s.row(p + "Conv2d_1a_3x3/BatchNorm").output());
        assertEquals(Shape.nchw(1, 192, 35, 35), s.row(p + "MaxPool_5a_3x3").output());
        assertEquals(Shape.nchw(1, 256, 35, 35), s.row(p + "Mixed_5b/concat").output());
        assertEquals(Shape.nchw(1, 288, 35, 35), s.row(p + "Mixed_5d/concat").output());
        assertEquals(Shape.nchw(1, 768, 17, 17), s.row(p + "Mixed_6e/concat").output());
        assertEquals(Shape.nchw(1, 1280, 8, 8), s.row(p + "Mixed_7a/concat").output());
        assertEquals(Shape.nchw(1, 2048, 8, 8), s.row(p + "Mixed_7c/concat").output());
        assertEquals(Shape.nchw(1, 768, 5, 5), s.row(p + "AuxLogits/AvgPool_1a_5x5").output());
        assertEquals(Shape.nchw(1, 2048, 1, 1), s.row(p + "Logits/AvgPool_1a_8x8").output());

        try (Net small = new InceptionV3(new MetaBackend(), 10, 75, 0)) {
            Summary t = small.summary();
            assertNotNull(t.row(p + "Logits/AvgPool_1a_1x1"), "the 8x8 pool shrinks to the 1x1 map at 75");
            assertNotNull(t.row(p + "AuxLogits/AvgPool_1a_3x3"), "the aux 5x5 pool shrinks to the 3x3 map at 75");
            assertNotNull(t.row(p + "AuxLogits/Conv2d_2a_1x1"));
            assertEquals(List.of(Shape.of(1, 10), Shape.of(1, 10)), t.outputs());
        }
        // Larger inputs keep the 8x8 pool (stride 2); the logits stay spatial when it leaves more than 1x1.
        try (Net big = new InceptionV3(new MetaBackend(), 10, 395, 0)) {
            Summary t = big.summary();
            assertEquals(Shape.nchw(1, 2048, 11, 11), t.row(p + "Mixed_7c/concat").output());
            assertNotNull(t.row(p + "Logits/AvgPool_1a_8x8"));
            assertEquals(Shape.nchw(1, 10, 2, 2), t.outputs().get(0));
            assertEquals(Shape.nchw(1, 10, 3, 3), t.outputs().get(1));
        }
    }

    @Test
    void vggPoolsAndFc8ReluAsInTheSeed() {
        Summary s = summary("vgg16");
        assertEquals(Shape.nchw(1, 512, 7, 7), s.row("pool5").output());
        assertEquals(Shape.of(1, 25088), s.row("resh1").output());
        assertEquals("dense 4096->1000 +b relu", s.row("fc8").op(), "seed 002's fc_op puts relu on fc8 too");
        assertEquals("dropout keep=0.5", s.row("fc6_drop").op());
    }
}
