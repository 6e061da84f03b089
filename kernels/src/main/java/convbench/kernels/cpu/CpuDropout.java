package convbench.kernels.cpu;

import convbench.engine.ops.Dropout;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.DropoutPlan;

import java.util.SplittableRandom;

/**
 * Dropout on the CPU: the reserve holds the mask values (0 or 1 / keep), drawn in parallel chunks
 * exactly as {@link Dropout.Reference#mask} defines them, so a CPU and a reference run drop the same elements.
 */
final class CpuDropout implements DropoutPlan {
    private static final int CHUNK = Dropout.Reference.CHUNK;
    private final CpuBackend be;
    private final Shape shape;
    private final double keep;
    private final int size;

    CpuDropout(CpuBackend be, Shape shape, double keep) {
        this.be = be;
        this.shape = shape;
        this.keep = keep;
        this.size = shape.intSize();
    }

    @Override public Shape shape() { return shape; }

    @Override public double keep() { return keep; }

    @Override public Shape reserveShape() { return shape; }

    @Override public void forward(Tensor xt, Tensor yt, Tensor reserve, long seed) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt), mask = CpuBackend.data(reserve);
        float scale = (float) (1.0 / keep);
        int chunks = (size + CHUNK - 1) / CHUNK;
        be.par().forEach(chunks, (ck, wk) -> {
            SplittableRandom rng = new SplittableRandom(seed * 31 + ck);
            int from = ck * CHUNK, to = Math.min(size, from + CHUNK);
            for (int i = from; i < to; i++) {
                float m = rng.nextDouble() < keep ? scale : 0f;
                mask[i] = m;
                y[i] = x[i] * m;
            }
        });
    }

    @Override public void backward(Tensor dyt, Tensor reserve, Grad dx) {
        float[] dy = CpuBackend.data(dyt), mask = CpuBackend.data(reserve), g = CpuBackend.data(dx.t());
        boolean acc = dx.accumulate();
        be.chunks(size, CHUNK, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = dy[i] * mask[i];
                g[i] = CpuBackend.grad(g[i], v, acc);
            }
        });
    }
}
