package convbench.engine.ops;

import convbench.engine.OpException;
import convbench.engine.tensor.Shape;
import convbench.engine.plan.WindowDesc;

/**
 * Zero padding of the spatial dimensions (tf.pad on H and W), or cropping where a pad is negative:
 * y[n, c, i, j] = x[n, c, i - top, j - left], 0 outside x. The ResNet v2 root and stride-2 units pad
 * explicitly before a VALID convolution.
 */
public final class Pad extends WindowOp {
    private final int top, bottom, left, right;

    public Pad(String name, int top, int bottom, int left, int right) {
        super(name);
        this.top = top;
        this.bottom = bottom;
        this.left = left;
        this.right = right;
    }

    /** A crop: removes the given rows and columns. */
    public static Pad crop(String name, int top, int bottom, int left, int right) {
        return new Pad(name, -top, -bottom, -left, -right);
    }

    @Override public String describe() {
        return (top < 0 || bottom < 0 || left < 0 || right < 0 ? "crop/pad " : "pad ") + top + "," + bottom + "," + left + "," + right;
    }

    /** y[n, c, i, j] = x[n, c, i - top, j - left]: a window with stride 1 and the pads (negative: a crop). */
    @Override WindowDesc window(Shape s) {
        Geometry.requireRank4("pad", name(), s);
        if (s.h() + top + bottom <= 0 || s.w() + left + right <= 0)
            throw new OpException("pad", name(), "pads " + top + "," + bottom + "," + left + "," + right + " leave nothing of x " + s);
        if (-top >= s.h() || -bottom >= s.h() || -left >= s.w() || -right >= s.w())
            throw new OpException("pad", name(), "crop " + (-top) + "," + (-bottom) + "," + (-left) + "," + (-right) + " is larger than x " + s);
        return new WindowDesc(s, 1, 1, top, bottom, left, right);
    }

    /**
     * The reference arithmetic of the strided window behind pad, crop and {@link Subsample}
     * (float64 plain loops): y[n, c, i, j] = x[n, c, i * sh - pt, j * sw - pl], 0 where that falls outside x.
     * x (N, C, H, W), y (N, C, OH, OW).
     */
    public static final class Reference {
        private Reference() {}

        /** y as above, overwritten. */
        public static void forward(WindowDesc d, double[] x, double[] y) {
            int h = d.x().h(), w = d.x().w(), oh = d.outH(), ow = d.outW();
            for (int plane = 0; plane < d.x().n() * d.x().c(); plane++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        int ih = i * d.strideH() - d.padTop(), iw = j * d.strideW() - d.padLeft();
                        y[(plane * oh + i) * ow + j] = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[(plane * h + ih) * w + iw] : 0;
                    }
        }

        /** dx[n, c, i * sh - pt, j * sw - pl] += dy[n, c, i, j] where that lies inside x (padding's gradient dropped). Accumulates. */
        public static void backward(WindowDesc d, double[] dy, double[] dx) {
            int h = d.x().h(), w = d.x().w(), oh = d.outH(), ow = d.outW();
            for (int plane = 0; plane < d.x().n() * d.x().c(); plane++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        int ih = i * d.strideH() - d.padTop(), iw = j * d.strideW() - d.padLeft();
                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) dx[(plane * h + ih) * w + iw] += dy[(plane * oh + i) * ow + j];
                    }
        }
    }
}
