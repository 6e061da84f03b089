package convbench.kernels.cuda;

import convbench.engine.tensor.Shape;
import convbench.engine.reference.ReferenceBackend;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.DenseDesc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPU tier with TF32 allowed (about 1e-2 against the float64 reference) and with measured algorithm
 * choice (cudnnFind...Ex, strict FP32 again, 1e-4).
 */
@Tag("gpu")
class CudaPrecisionGpuTest {
    static CudaBackend tf32, find;

    @BeforeAll static void open() {
        tf32 = GpuSupport.open("tf32", "heuristic");
        find = GpuSupport.open("fp32", "find");
        CudaPlansGpuTest.ref = new ReferenceBackend();
    }

    @BeforeEach void needsTheGpu() {
        GpuSupport.assume(tf32);
        GpuSupport.assume(find);
    }

    @AfterAll static void close() {
        if (tf32 != null) tf32.close();
        if (find != null) find.close();
        if (CudaPlansGpuTest.ref != null) CudaPlansGpuTest.ref.close();
        CudaPlansGpuTest.ref = null;
        CudaPlansGpuTest.gpu = null;
    }

    static final ConvDesc[] CONVS = {
            new ConvDesc(Shape.nchw(8, 32, 28, 28), 48, 3, 3, 1, 1, 1, 1, 1, 1, true, Activation.RELU),
            new ConvDesc(Shape.nchw(4, 3, 28, 28), 16, 11, 11, 4, 4, 3, 4, 3, 4, true, Activation.RELU),
            new ConvDesc(Shape.nchw(4, 64, 14, 14), 32, 1, 1, 1, 1, 0, 0, 0, 0, false, Activation.NONE)};

    @Test
    void convAndDenseInTf32() {
        CudaPlansGpuTest.gpu = tf32;
        for (ConvDesc d : CONVS) CudaPlansGpuTest.checkConv(tf32, d, 1e-2);
        CudaPlansGpuTest.checkDense(tf32, new DenseDesc(32, 512, 256, true, Activation.RELU), 1e-2);
    }

    @Test
    void convWithMeasuredAlgorithms() {
        CudaPlansGpuTest.gpu = find;
        for (ConvDesc d : CONVS) CudaPlansGpuTest.checkConv(find, d, 1e-4);
    }
}
