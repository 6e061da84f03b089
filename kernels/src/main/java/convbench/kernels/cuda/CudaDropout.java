package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.DropoutPlan;
import jcuda.jcudnn.cudnnDropoutDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.jcudnn.JCudnn.cudnnCreateDropoutDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyDropoutDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDropoutBackward;
import static jcuda.jcudnn.JCudnn.cudnnDropoutForward;
import static jcuda.jcudnn.JCudnn.cudnnDropoutGetReserveSpaceSize;
import static jcuda.jcudnn.JCudnn.cudnnDropoutGetStatesSize;
import static jcuda.jcudnn.JCudnn.cudnnSetDropoutDescriptor;

/**
 * Inverted dropout with cuDNN: y = x * mask / keep, the mask kept in the plan's reserve tensor
 * (cuDNN's reserve space, cudnnDropoutGetReserveSpaceSize bytes) for backward.
 *
 * <p>The generator: cuDNN keeps its random state in a states buffer that cudnnSetDropoutDescriptor
 * initialises from a seed, an expensive kernel. The plan makes the buffer once and seeds it with the
 * first seed it is given; every later forward continues the same random stream (a fresh mask per
 * call), so a run is reproducible from its first seed. The engine passes a new seed per call
 * (Ctx.nextDropoutSeed), and re-seeding on each would put a state initialisation into every step, so
 * later seeds are not used. {@link #reseed(long)} restarts the stream explicitly.
 */
final class CudaDropout implements DropoutPlan {
    private final CudaBackend be;
    private final Shape shape;
    private final double keep;
    private final String what;
    private final cudnnTensorDescriptor desc;
    private final cudnnDropoutDescriptor dropout = new cudnnDropoutDescriptor();
    private final DeviceAllocator.Block states;
    private final long reserveBytes;
    private DeviceAllocator.Block scratch; // dx before an accumulate, made on first need
    private boolean seeded, closed;

    CudaDropout(CudaBackend be, Shape shape, double keep) {
        this.be = be;
        this.shape = shape;
        this.keep = keep;
        this.what = "dropout keep " + keep + " " + shape;
        if (!(keep > 0 && keep <= 1)) throw new IllegalArgumentException(what + ": keep must be in (0, 1]");
        desc = Cuda.tensor(shape);
        reserveBytes = reserveBytes(desc, what);
        long[] size = {0};
        Cuda.dnn(cudnnDropoutGetStatesSize(be.dnn(), size), "cudnnDropoutGetStatesSize", what);
        states = be.mem().buffer(Math.max(1, size[0]));
        Cuda.dnn(cudnnCreateDropoutDescriptor(dropout), "cudnnCreateDropoutDescriptor", what);
    }

    /** cuDNN's reserve-space bytes for a dropout over desc; no handle needed. */
    static long reserveBytes(cudnnTensorDescriptor desc, String what) {
        long[] size = {0};
        Cuda.dnn(cudnnDropoutGetReserveSpaceSize(desc, size), "cudnnDropoutGetReserveSpaceSize", what);
        return size[0];
    }

    @Override public Shape shape() { return shape; }

    @Override public double keep() { return keep; }

    /** cuDNN's reserve space, in floats. */
    @Override public Shape reserveShape() { return Shape.of((int) Math.max(1, (reserveBytes + 3) / 4)); }

    /** Restarts the random stream from seed (initialises cuDNN's states: not for the timed steps). */
    void reseed(long seed) {
        Cuda.dnn(cudnnSetDropoutDescriptor(dropout, be.dnn(), (float) (1 - keep), states.ptr(), states.size(), seed),
                "cudnnSetDropoutDescriptor", what);
        seeded = true;
    }

    /** y = x * mask / keep, overwritten; the mask goes into reserve. */
    @Override public void forward(Tensor x, Tensor y, Tensor reserve, long seed) {
        Cuda.enter(be, closed, what);
        if (!seeded) reseed(seed);
        Cuda.dnn(cudnnDropoutForward(be.dnn(), dropout, desc, be.ptr(x), desc, be.ptr(y), be.ptr(reserve), reserveBytes),
                "cudnnDropoutForward", what);
    }

    /** dx = dy * mask / keep, overwritten, or accumulated through a scratch buffer (cuDNN's dropout backward has no beta). */
    @Override public void backward(Tensor dy, Tensor reserve, Grad dx) {
        Cuda.enter(be, closed, what);
        if (!seeded) throw new IllegalStateException(what + ": backward before any forward");
        if (!dx.accumulate()) {
            Cuda.dnn(cudnnDropoutBackward(be.dnn(), dropout, desc, be.ptr(dy), desc, be.ptr(dx.t()), be.ptr(reserve), reserveBytes),
                    "cudnnDropoutBackward", what);
            return;
        }
        if (scratch == null) scratch = be.mem().buffer(Cuda.bytes(shape.size()));
        Cuda.dnn(cudnnDropoutBackward(be.dnn(), dropout, desc, be.ptr(dy), desc, scratch.ptr(), be.ptr(reserve), reserveBytes),
                "cudnnDropoutBackward", what);
        Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, desc, scratch.ptr(), Cuda.ONE, desc, be.ptr(dx.t())), "cudnnAddTensor", what);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        be.mem().release(states);
        be.mem().release(scratch);
        Cuda.destroy(desc);
        cudnnDestroyDropoutDescriptor(dropout);
    }
}
