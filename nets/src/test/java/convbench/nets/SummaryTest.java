package convbench.nets;

import convbench.engine.MetaBackend;
import convbench.engine.tensor.Shape;
import convbench.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The summary table and build listing. */
class SummaryTest {
    @Test
    void alexnetConvTable() {
        Summary s;
        try (Net n = new AlexNetConv(new MetaBackend(), 0)) {
            s = n.summary();
        }
        assertEquals(10, s.rows().size());
        Summary.Row conv1 = s.rows().get(0);
        assertEquals(new Summary.Row(0, "conv1", "conv 11x11/4 SAME +b relu", Shape.nchw(1, 64, 56, 56), 23_296, 0, 72_855_552L), conv1);
        assertEquals("(N, 64, 56, 56)", Summary.batchShape(conv1.output()));
        String t = s.table();
        String[] lines = t.split("\n");
        assertEquals("alexnet-conv: AlexNet convolution layers 64-192-384-256-256 with LRN, output pool5 (seed 000)", lines[0]);
        assertEquals("input (N, 3, 224, 224), 1000 classes", lines[1]);
        assertTrue(lines[3].matches("#\\s+layer\\s+op\\s+output\\s+params\\s+state\\s+MACs/img"), lines[3]);
        assertTrue(lines[5].matches("0\\s+conv1\\s+conv 11x11/4 SAME \\+b relu\\s+\\(N, 64, 56, 56\\)\\s+23,296\\s+-\\s+72,855,552"), lines[5]);
        assertTrue(t.contains("\noutput: (N, 256, 6, 6)\n"), t);
        assertTrue(t.contains("\ntrainable parameters: 2,469,696\n"), t);
        assertTrue(t.contains("\nother state (batch-norm moving statistics): 0\n"), t);
        assertTrue(t.contains("\nMACs per image: 658,145,280 (0.658 GMACs, 1.316 GFLOPs)\n"), t);

        String[] listing = s.listing().split("\n");
        assertEquals(11, listing.length);
        assertTrue(listing[0].matches("\\s+0 conv 11x11/4 SAME \\+b relu\\s+->\\s+64 x\\s+56 x\\s+56\\s+0\\.073 GMACs  conv1"), listing[0]);
        assertEquals("total 0.658 GMACs per image, 2,469,696 trainable parameters", listing[10]);
    }

    /** Every net's table fits 100 columns; a name too long for its column has a line of its own, whole. */
    @Test
    void everyTableFitsOneHundredColumns() {
        for (Nets.Spec spec : Nets.all()) {
            try (Net n = spec.create(new MetaBackend(), 1)) {
                String t = n.summary().table();
                for (String line : t.split("\n")) assertTrue(line.length() <= Summary.WIDTH, spec.name() + ": " + line.length() + ": " + line);
                if (spec.name().equals("inception3")) {
                    assertTrue(t.contains("  InceptionV3/Mixed_5b/Branch_1/Conv2d_0b_5x5/BatchNorm\n"), t);
                }
            }
        }
    }

    @Test
    void inceptionTotalsAndTwoOutputs() {
        try (Net n = new InceptionV3(new MetaBackend(), 0)) {
            Summary s = n.summary();
            long t = 0, st = 0, macs = 0;
            for (Summary.Row r : s.rows()) {
                t += r.trainable();
                st += r.state();
                macs += r.macsPerImage();
            }
            assertEquals(s.trainable(), t);
            assertEquals(s.state(), st);
            assertEquals(s.macsPerImage(), macs);
            assertTrue(s.table().contains("\noutput: (N, 1000) + (N, 1000)\n"));
            Summary.Row bn = s.row("InceptionV3/Conv2d_1a_3x3/BatchNorm");
            assertEquals("batch norm (no scale) relu", bn.op());
            assertEquals(32, bn.trainable());
            assertEquals(64, bn.state());
            assertNull(s.row("nope"));
        }
    }

    /** A summary runs on its own shape-only model: the net's model is neither built nor allocated. */
    @Test
    void summaryLeavesTheNetUntouched() {
        try (CpuBackend cpu = new CpuBackend(1); Net n = new ResNetV2(50, cpu, 10, 224, 0)) {
            long before = cpu.memory().inUse();
            assertEquals(25_568_360L - 2048 * 990 - 990, n.summary().trainable());
            assertTrue(n.model().layers().isEmpty());
            assertEquals(before, cpu.memory().inUse());
        }
    }
}
