package convbench.kernels.cuda;

import jcuda.Pointer;
import jcuda.jcudnn.cudnnTensorDescriptor;

import static jcuda.jcudnn.JCudnn.cudnnTransformTensor;

/**
 * The strided window y[n, c, i, j] = x[n, c, i * sh - pt, j * sw - pl] between two packed NCHW
 * buffers of equal N and C, as one cudnnTransformTensor between two strided views: the rectangle of
 * (i, j) whose source lies inside x. It is explicit padding (strides 1, pads >= 0: x lands in the
 * interior of y), cropping (pads < 0) and strided subsampling (strides > 1), and, run backwards, their
 * adjoints: dx[view] (=|+=) dy[view].
 */
final class StridedCopy implements AutoCloseable {
    /**
     * The two views, in elements. x side: dims (n, c, ni, nj), strides (c*xh*xw, xh*xw, sh*xw, sw), from
     * element xOffset (row i0*sh - pt, column j0*sw - pl); y side: the same dims, strides
     * (c*yh*yw, yh*yw, yw, 1), from element yOffset (row i0, column j0). Pure arithmetic, tested on the CPU.
     */
    record Geometry(int n, int c, int ni, int nj, int[] xStrides, int[] yStrides, long xOffset, long yOffset,
                    long xSize, long ySize, boolean empty, boolean coversY, boolean coversX) {

        static Geometry of(int n, int c, int xh, int xw, int yh, int yw, int sh, int sw, int pt, int pl) {
            int i0 = Math.max(0, ceilDiv(pt, sh)), i1 = Math.min(yh - 1, Math.floorDiv(xh - 1 + pt, sh));
            int j0 = Math.max(0, ceilDiv(pl, sw)), j1 = Math.min(yw - 1, Math.floorDiv(xw - 1 + pl, sw));
            int ni = Math.max(0, i1 - i0 + 1), nj = Math.max(0, j1 - j0 + 1);
            boolean empty = ni == 0 || nj == 0 || n == 0 || c == 0;
            long xOffset = empty ? 0 : (long) (i0 * sh - pt) * xw + (j0 * sw - pl);
            long yOffset = empty ? 0 : (long) i0 * yw + j0;
            return new Geometry(n, c, ni, nj, new int[] {c * xh * xw, xh * xw, sh * xw, sw}, new int[] {c * yh * yw, yh * yw, yw, 1},
                    xOffset, yOffset, (long) n * c * xh * xw, (long) n * c * yh * yw, empty,
                    !empty && ni == yh && nj == yw, !empty && sh == 1 && sw == 1 && ni == xh && nj == xw);
        }

        private static int ceilDiv(int a, int b) { return -Math.floorDiv(-a, b); }

        /** What cudnnTransformTensor does with these views, on the CPU: dst[view] = alpha * src[view] + beta * dst[view]. */
        void emulate(float[] src, long srcOffset, int[] srcStrides, float[] dst, long dstOffset, int[] dstStrides, float beta) {
            for (int a = 0; a < n; a++)
                for (int b = 0; b < c; b++)
                    for (int i = 0; i < ni; i++)
                        for (int j = 0; j < nj; j++) {
                            int s = (int) (srcOffset + (long) a * srcStrides[0] + (long) b * srcStrides[1] + (long) i * srcStrides[2] + (long) j * srcStrides[3]);
                            int d = (int) (dstOffset + (long) a * dstStrides[0] + (long) b * dstStrides[1] + (long) i * dstStrides[2] + (long) j * dstStrides[3]);
                            dst[d] = src[s] + (beta == 0 ? 0 : beta * dst[d]);
                        }
        }
    }

    final Geometry g;
    private final cudnnTensorDescriptor xView, yView;
    private final String what;

    StridedCopy(int n, int c, int xh, int xw, int yh, int yw, int sh, int sw, int pt, int pl, String what) {
        this.what = what;
        this.g = Geometry.of(n, c, xh, xw, yh, yw, sh, sw, pt, pl);
        if (g.empty) {
            xView = yView = null;
            return;
        }
        for (int dim : new int[] {n, c, g.ni, g.nj})
            if (dim > 65535) // cudnnTransformTensor reports NOT_SUPPORTED beyond 16-bit dimensions
                throw new IllegalArgumentException(what + ": a dimension of " + dim + " is beyond cuDNN's strided copy (at most 65535)");
        int[] xs = g.xStrides, ys = g.yStrides;
        xView = Cuda.strided(n, c, g.ni, g.nj, xs[0], xs[1], xs[2], xs[3]);
        yView = Cuda.strided(n, c, g.ni, g.nj, ys[0], ys[1], ys[2], ys[3]);
    }

    /**
     * y[view] = x[view]; when zeroRest, every other cell of y is set to 0 first (callers that keep a
     * buffer whose border never changes pass false).
     */
    void forward(CudaBackend be, Pointer x, Pointer y, boolean zeroRest) {
        if (zeroRest && !g.coversY) be.mem().memsetZero(y, Cuda.bytes(g.ySize));
        if (g.empty) return;
        Cuda.dnn(cudnnTransformTensor(be.dnn(), Cuda.ONE, xView, x.withByteOffset(Cuda.bytes(g.xOffset)), Cuda.ZERO,
                yView, y.withByteOffset(Cuda.bytes(g.yOffset))), "cudnnTransformTensor", what);
    }

    /** dx[view] = dy[view] (every other cell of dx 0), or dx[view] += dy[view] when accumulating. */
    void backward(CudaBackend be, Pointer dy, Pointer dx, boolean accumulate) {
        if (!accumulate && !g.coversX) be.mem().memsetZero(dx, Cuda.bytes(g.xSize));
        if (g.empty) return;
        Cuda.dnn(cudnnTransformTensor(be.dnn(), Cuda.ONE, yView, dy.withByteOffset(Cuda.bytes(g.yOffset)), accumulate ? Cuda.ONE : Cuda.ZERO,
                xView, dx.withByteOffset(Cuda.bytes(g.xOffset))), "cudnnTransformTensor", what + " (backward)");
    }

    @Override public void close() { Cuda.destroy(xView, yView); }
}
