package convbench.bench;

import org.junit.jupiter.api.Test;

import static convbench.bench.BenchCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench gradcheck, verify and trace: what they print, their exit codes, bad input. */
class CheckCommandsTest {
    @Test
    void gradcheckPrintsWhatItComparesAndPasses() {
        BenchCliTest.Out r = run("gradcheck", "alexnet-conv", "--image-size", "67", "--params", "3", "--samples", "2");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("(float64, reference backend): 3 of 10 parameter tensors"), r.out());
        assertTrue(r.out().contains("input     2 x 3 x 67 x 67: as asked"), r.out());
        assertTrue(r.out().contains("L = sum(output * r)") && r.out().contains("h = 1.00e-06 * max(1, |v|)"), r.out());
        assertTrue(r.out().contains("conv1/weights") && r.out().contains("gradcheck passed: 6 elements compared, 0 skipped"), r.out());
        assertFalse(r.out().contains("MISMATCH"), r.out());
    }

    @Test
    void gradcheckDefaultSizeIsSmallButNeverDegenerate() {
        assertEquals(89, CheckInput.of(convbench.nets.Nets.spec("alexnet-conv"), null).size()); // pool5 2x2
        CheckInput r50 = CheckInput.of(convbench.nets.Nets.spec("resnet50"), null);
        assertTrue(r50.size() >= 33 && r50.why().contains("2x2"), r50.toString());
    }

    @Test
    void gradcheckRefusesBadInputBeforeWork() {
        BenchCliTest.Out r = run("gradcheck", "alexnet-conv", "--batch", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--batch must be at least 2"), r.err());
        r = run("gradcheck", "alexnet-conv", "--image-size", "40");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("57"), r.err());
        r = run("gradcheck", "alexnet-conv", "--step", "2");
        assertEquals(2, r.code());
    }

    @Test
    void verifyPassesOnTheCpuLayerByLayer() {
        BenchCliTest.Out r = run("verify", "alexnet-conv", "--device", "cpu", "--image-size", "67");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("verify alexnet-conv on cpu against the reference backend (float64)"), r.out());
        assertTrue(r.out().replaceAll("\\s+", " ").contains("allowed: 1e-04 (the CPU, fp32, convolutions auto)"), r.out());
        assertTrue(r.out().contains("lrn2 ") && r.out().contains("verify passed: 11 layers"), r.out());
        r = run("verify", "alexnet-conv", "--device", "cpu", "--cpu-conv", "fast");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--cpu-conv must be auto, direct, winograd2 or winograd4, got fast"), r.err());
    }

    @Test
    void verifyNamesTheFirstLayerBeyondTheTolerance() {
        // "skewed" is the CPU with LRN's backward 1 % off: lrn2 is the first layer whose backward writes a wrong gradient.
        BenchCliTest.Out r = run("verify", "alexnet-conv", "--device", "skewed", "--image-size", "67");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("first at layer lrn2 (d conv2"), r.err());
        assertTrue(r.out().contains("verify FAILED"), r.out());
    }

    @Test
    void verifyRefusesTheReferenceItself() {
        BenchCliTest.Out r = run("verify", "alexnet-conv", "--device", "reference");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("compare the reference with itself"), r.err());
    }

    @Test
    void traceShowsForwardThenTheBackwardWalkWithAccumulation() {
        BenchCliTest.Out r = run("trace", "alexnet-conv");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(1, 3, 224, 224) -> (1, 64, 56, 56)"), r.out());
        assertTrue(r.out().indexOf("writes d pool5 (overwrite)") < r.out().indexOf("writes d conv1/weights (overwrite)"), r.out());
        r = run("trace", "resnet50", "--layers", "block1/unit_1/");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("d .../preact (accumulate)"), r.out()); // the shortcut's gradient joins conv1's
        assertTrue(r.out().contains("d .../shortcut (alias)"), r.out());
        assertFalse(r.out().contains("block2/"), r.out());
        r = run("trace", "resnet50", "--layers", "nothing-like-this");
        assertEquals(2, r.code());
        r = run("trace", "resnet50", "--layers", "([");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not a regular expression"), r.err());
    }
}
