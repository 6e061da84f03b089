package convbench.kernels.cuda;

import convbench.kernels.natives.RealCuda;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real-library tier, part 2: for every convolution and pooling layer of all eight nets, the descriptors
 * the CUDA plans make (their own code, no handle) give through cuDNN 9.5's own output-dimension calls exactly
 * the shapes the engine computes, the asymmetric SAME layers (explicit border + symmetric descriptor)
 * included, in FP32 and TF32 math; LRN, batch-norm, relu and dropout descriptors are set without an error.
 */
class RealCudnnDescriptorsTest {
    @TempDir Path cache;

    @Test
    void everyLayersDescriptorsAgreeWithCudnn() throws Exception {
        Path lib = RealCuda.lib().toAbsolutePath();
        long t0 = System.nanoTime();
        String out = RealCuda.child(RealDescriptorsMain.class, Map.of(), lib.toString(), cache.toString(), "3");
        System.out.println("RealDescriptorsMain (" + (System.nanoTime() - t0) / 1_000_000 + " ms):\n" + out);
        assertTrue(out.contains("failures: 0"), out);
        assertTrue(!out.contains("FAIL "), out);
        for (String net : new String[] {"alexnet-conv", "alexnet", "vgg16", "inception3", "resnet50", "resnet101", "resnet152", "resnet200"})
            assertTrue(out.contains("net " + net + ": "), net + " missing:\n" + out);
        // the asymmetric SAME layers: alexnet-conv's 11x11/4 conv on 224 (pads 3 / 4), ResNet's 3x3/2 SAME max pool on 112 (0 / 1)
        assertTrue(out.contains("net alexnet-conv: 5 conv (1 with an explicit border)"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("net resnet50: ") && l.contains("pool (1 with an explicit border)")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("net alexnet-conv: ") && l.contains(" 2 lrn")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("net inception3: ") && !l.contains(" 0 batch norm")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("net vgg16: ") && !l.contains(" 0 dropout")), out);
    }
}
