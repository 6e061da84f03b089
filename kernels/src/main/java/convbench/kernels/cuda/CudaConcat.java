package convbench.kernels.cuda;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.ConcatPlan;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnTensorDescriptor;

import java.util.List;

import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.runtime.JCuda.cudaMemcpy2DAsync;
import static jcuda.runtime.cudaMemcpyKind.cudaMemcpyDeviceToDevice;

/**
 * Channel concat and split as 2-D copies: in NCHW, part i of image n is one contiguous run of
 * C_i H W floats at channel offset o_i of y's image n, so each part is one cudaMemcpy2DAsync of N rows
 * (width C_i H W floats, source pitch C_i H W, destination pitch C H W). An accumulating split adds with
 * cudnnAddTensor from a strided view of dy ((N, C_i, H, W) with y's strides) into dx_i.
 */
final class CudaConcat implements ConcatPlan {
    private final CudaBackend be;
    private final List<Shape> parts;
    private final Shape y;
    private final long[] offsets; // bytes of part i's first channel in an image of y
    private final long hw, cTotal;
    private final cudnnTensorDescriptor[] views, dense;
    private final String what;
    private boolean closed;

    CudaConcat(CudaBackend be, List<Shape> parts) {
        this.be = be;
        this.parts = List.copyOf(parts);
        Shape a = parts.get(0);
        int n = a.n(), h = a.h(), w = a.w();
        hw = (long) h * w;
        offsets = new long[parts.size()];
        int c = 0;
        for (int i = 0; i < parts.size(); i++) {
            offsets[i] = Cuda.bytes(c * hw);
            c += parts.get(i).c();
        }
        cTotal = c;
        y = Shape.nchw(n, c, h, w);
        what = "concat of " + parts.size() + " parts -> " + y;
        views = new cudnnTensorDescriptor[parts.size()];
        dense = new cudnnTensorDescriptor[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            int ci = parts.get(i).c();
            views[i] = Cuda.strided(n, ci, h, w, (int) (cTotal * hw), (int) hw, w, 1);
            dense[i] = Cuda.tensor(n, ci, h, w);
        }
    }

    @Override public List<Shape> parts() { return parts; }

    @Override public Shape y() { return y; }

    /** y[:, o_i : o_i + C_i] = xs[i], each part one 2-D copy. */
    @Override public void concat(List<Tensor> xs, Tensor yt) {
        Cuda.enter(be, closed, what);
        Pointer yp = be.ptr(yt);
        int n = y.n();
        for (int i = 0; i < parts.size(); i++) {
            long width = Cuda.bytes(parts.get(i).c() * hw);
            if (width == 0 || n == 0) continue;
            Cuda.rt(cudaMemcpy2DAsync(yp.withByteOffset(offsets[i]), Cuda.bytes(cTotal * hw), be.ptr(xs.get(i)), width, width, n,
                    cudaMemcpyDeviceToDevice, be.stream()), "cudaMemcpy2DAsync", what + " part " + i);
        }
    }

    /** dxs[i] (=|+=) dy[:, o_i : o_i + C_i]; null entries skipped. */
    @Override public void split(Tensor dyt, List<Grad> dxs) {
        Cuda.enter(be, closed, what);
        Pointer dy = be.ptr(dyt);
        int n = y.n();
        for (int i = 0; i < parts.size(); i++) {
            Grad g = dxs.get(i);
            if (g == null) continue;
            long width = Cuda.bytes(parts.get(i).c() * hw);
            if (width == 0 || n == 0) continue;
            if (g.accumulate())
                Cuda.dnn(cudnnAddTensor(be.dnn(), Cuda.ONE, views[i], dy.withByteOffset(offsets[i]), Cuda.ONE, dense[i], be.ptr(g.t())),
                        "cudnnAddTensor", what + " split " + i);
            else
                Cuda.rt(cudaMemcpy2DAsync(be.ptr(g.t()), width, dy.withByteOffset(offsets[i]), Cuda.bytes(cTotal * hw), width, n,
                        cudaMemcpyDeviceToDevice, be.stream()), "cudaMemcpy2DAsync", what + " split " + i);
        }
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Cuda.destroy(views);
        Cuda.destroy(dense);
    }
}
