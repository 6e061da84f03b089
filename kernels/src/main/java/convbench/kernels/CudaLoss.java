package convbench.kernels;

import convbench.engine.Grad;
import convbench.engine.Shape;
import convbench.engine.Tensor;
import convbench.engine.plan.LossPlan;

import static convbench.kernels.CudaKernels.BLOCK;
import static convbench.kernels.CudaKernels.REDUCE_BLOCK;
import static convbench.kernels.CudaKernels.arg;
import static convbench.kernels.CudaKernels.grid;

/**
 * Losses with convbench's own kernels (cuDNN and cuBLAS have no loss calls). The loss stays on the
 * device in a (1,) tensor; nothing synchronises until it is read. Reductions run in one block with
 * double accumulation (deterministic, and as accurate as the CPU backend's double sums).
 * <ul>
 *   <li>l2_loss: loss = 0.5 sum x^2; l2_loss_backward: dx (=|+=) dloss x.</li>
 *   <li>softmax_xent_rows (one block per row): probs = softmax(logits), rowLoss = -sum labels log softmax;
 *       sum_scaled: loss = (1/N) sum rowLoss; softmax_xent_backward: dlogits (=|+=) dloss / N (probs - labels).</li>
 * </ul>
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
        be.enter();
        be.kernels().launch("l2_loss", 1, REDUCE_BLOCK, arg(be.ptr(x)), arg(size), arg(be.ptr(loss)));
    }

    /** dx = dloss x, or dx += dloss x. */
    @Override public void l2Backward(Tensor x, float dloss, Grad dx) {
        be.enter();
        be.kernels().launch("l2_loss_backward", grid(size), BLOCK, arg(be.ptr(x)), arg(size), arg(dloss), arg(be.ptr(dx.t())),
                arg(dx.accumulate() ? 1 : 0));
    }

    /** probs = softmax(logits) per row; loss[0] = -(1/N) sum_n sum_c labels log probs. */
    @Override public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        be.enter();
        if (rows == 0) {
            be.memsetZero(be.ptr(loss), 4);
            return;
        }
        if (rowLoss == null) rowLoss = be.buffer(Cuda.bytes(rows));
        be.kernels().launch("softmax_xent_rows", rows, BLOCK, arg(be.ptr(logits)), arg(be.ptr(labels)), arg(be.ptr(probs)), arg(cols),
                arg(rowLoss.ptr()));
        be.kernels().launch("sum_scaled", 1, REDUCE_BLOCK, arg(rowLoss.ptr()), arg(rows), arg(1f / rows), arg(be.ptr(loss)));
    }

    /** dlogits (=|+=) dloss (probs - labels) / N. */
    @Override public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float dloss, Grad dlogits) {
        be.enter();
        if (rows == 0) return;
        be.kernels().launch("softmax_xent_backward", grid(size), BLOCK, arg(be.ptr(probs)), arg(be.ptr(labels)), arg(size),
                arg(dloss / rows), arg(be.ptr(dlogits.t())), arg(dlogits.accumulate() ? 1 : 0));
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        be.release(rowLoss);
    }
}
