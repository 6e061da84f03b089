package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.LossPlan;

import convbench.kernels.cuda.CudaKernels.Launch;

import static convbench.kernels.cuda.CudaKernels.BLOCK;
import static convbench.kernels.cuda.CudaKernels.REDUCE_BLOCK;
import static convbench.kernels.cuda.CudaKernels.arg;
import static convbench.kernels.cuda.CudaKernels.grid;
import static convbench.kernels.cuda.CudaKernels.ptr;

/**
 * Losses with convbench's own kernels (cuDNN and cuBLAS have no loss calls). The loss stays on the
 * device in a (1,) tensor; nothing synchronises until it is read. Reductions run in one block with
 * double accumulation (deterministic, and as accurate as the CPU backend's double sums).
 * <ul>
 *   <li>l2_loss: loss = 0.5 sum x^2; l2_loss_backward: dx (=|+=) dloss x.</li>
 *   <li>softmax_xent_rows (one block per row): probs = softmax(logits), rowLoss = -sum labels log softmax;
 *       sum_scaled: loss = (1/N) sum rowLoss; softmax_xent_backward: dlogits (=|+=) dloss / N (probs - labels).</li>
 * </ul>
 * The launches are built by static methods (device pointers in, {@link Launch}es out) so that
 * KernelsOnHostTest runs exactly these launches on the host, against the CPU backend.
 */
final class CudaLoss implements LossPlan {
    private final CudaBackend be;
    private final Shape shape;
    private final long size;
    private final int rows, cols;
    private DeviceAllocator.Block rowLoss;
    private boolean closed;

    CudaLoss(CudaBackend be, Shape shape) {
        this.be = be;
        this.shape = shape;
        be.kernels().require("the loss " + shape);
        be.kernels().prepare("l2_loss", "l2_loss_backward", "softmax_xent_rows", "sum_scaled", "softmax_xent_backward");
        size = shape.size();
        rows = shape.dim(0);
        cols = (int) (rows == 0 ? 0 : size / rows);
    }

    @Override public Shape shape() { return shape; }

    /** loss[0] = 0.5 sum x^2. */
    @Override public void l2(Tensor x, Tensor loss) {
        Cuda.enter(be, closed, "the loss on " + shape);
        be.kernels().launch(l2(be.ptr(x), size, be.ptr(loss)));
    }

    /** dx = dloss x, or dx += dloss x. */
    @Override public void l2Backward(Tensor x, float dloss, Grad dx) {
        Cuda.enter(be, closed, "the loss on " + shape);
        be.kernels().launch(l2Backward(be.ptr(x), size, dloss, be.ptr(dx.t()), dx.accumulate()));
    }

    /** probs = softmax(logits) per row; loss[0] = -(1/N) sum_n sum_c labels log probs. */
    @Override public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        Cuda.enter(be, closed, "the loss on " + shape);
        if (rows == 0) {
            be.mem().memsetZero(be.ptr(loss), 4);
            return;
        }
        if (rowLoss == null) rowLoss = be.mem().buffer(Cuda.bytes(rows));
        be.kernels().launch(softmaxCrossEntropy(be.ptr(logits), be.ptr(labels), be.ptr(probs), rowLoss.ptr(), be.ptr(loss), rows, cols));
    }

    /** dlogits (=|+=) dloss (probs - labels) / N. */
    @Override public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float dloss, Grad dlogits) {
        Cuda.enter(be, closed, "the loss on " + shape);
        if (rows == 0) return;
        be.kernels().launch(softmaxCrossEntropyBackward(be.ptr(probs), be.ptr(labels), rows, size, dloss, be.ptr(dlogits.t()),
                dlogits.accumulate()));
    }

    // ---- the launches (x, loss, ... are device pointers) ----

    /** One block of REDUCE_BLOCK threads sums x^2 in double. */
    static Launch l2(Object x, long n, Object loss) {
        return new Launch("l2_loss", 1, REDUCE_BLOCK, ptr(x), arg(n), ptr(loss));
    }

    static Launch l2Backward(Object x, long n, float dloss, Object dx, boolean accumulate) {
        return new Launch("l2_loss_backward", grid(n), BLOCK, ptr(x), arg(n), arg(dloss), ptr(dx), arg(accumulate ? 1 : 0));
    }

    /** One block per row writes probs and the row's loss into rowLoss (rows floats); one block averages them into loss. */
    static Launch[] softmaxCrossEntropy(Object logits, Object labels, Object probs, Object rowLoss, Object loss, int rows, int cols) {
        return new Launch[] {
                new Launch("softmax_xent_rows", rows, BLOCK, ptr(logits), ptr(labels), ptr(probs), arg(cols), ptr(rowLoss)),
                new Launch("sum_scaled", 1, REDUCE_BLOCK, ptr(rowLoss), arg(rows), arg(1f / rows), ptr(loss))};
    }

    static Launch softmaxCrossEntropyBackward(Object probs, Object labels, int rows, long n, float dloss, Object dlogits, boolean accumulate) {
        return new Launch("softmax_xent_backward", grid(n), BLOCK, ptr(probs), ptr(labels), arg(n), arg(dloss / rows), ptr(dlogits),
                arg(accumulate ? 1 : 0));
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        be.mem().release(rowLoss);
    }
}
