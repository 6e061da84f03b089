package convbench.engine.ops;

import convbench.engine.OpException;
import convbench.engine.Padding;
import convbench.engine.tensor.Shape;

/** Argument checks shared by the windowed ops (conv, pool). */
final class Geometry {
    private Geometry() {}

    static void requireRank4(String op, String layer, Shape x) {
        if (x.rank() != 4) throw new OpException(op, layer, "expects an NCHW input, got x " + x);
    }

    /**
     * Pads {top, bottom, left, right} for a kh x kw window at stride sh x sw, checking that the
     * stride is positive and the window fits the padded input.
     */
    static int[] pads(String op, String layer, Shape x, int kh, int kw, int sh, int sw, Padding padding) {
        requireRank4(op, layer, x);
        if (kh <= 0 || kw <= 0)
            throw new OpException(op, layer, "kernel " + kh + "x" + kw + " must be positive (x " + x + ")");
        if (sh <= 0 || sw <= 0)
            throw new OpException(op, layer, "stride " + sh + "x" + sw + " must be positive (x " + x + ")");
        int[] v = padding.vertical(x.h(), kh, sh);
        int[] h = padding.horizontal(x.w(), kw, sw);
        int ph = x.h() + v[0] + v[1], pw = x.w() + h[0] + h[1];
        if (kh > ph || kw > pw)
            throw new OpException(op, layer, "kernel " + kh + "x" + kw + " does not fit the padded input "
                    + ph + "x" + pw + " (x " + x + ", " + padding + ")");
        if (x.n() <= 0 || x.c() <= 0 || x.h() <= 0 || x.w() <= 0)
            throw new OpException(op, layer, "empty input x " + x);
        return new int[] {v[0], v[1], h[0], h[1]};
    }

    static String window(int kh, int kw, int sh, int sw) {
        return kh + "x" + kw + (sh == 1 && sw == 1 ? "" : sh == sw ? "/" + sh : "/" + sh + "x" + sw);
    }
}
