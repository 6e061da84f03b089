package convbench.engine;

/**
 * TF padding: SAME, VALID, or explicit pads (top, bottom, left, right).
 * SAME: out = ceil(in / stride); total = max((out - 1) * stride + k - in, 0);
 * before = floor(total / 2), after = total - before (so an 11x11 stride-4 kernel on 224 pads 3 and 4).
 * VALID: no padding, out = floor((in - k) / stride) + 1.
 */
public final class Padding {
    public enum Kind { SAME, VALID, EXPLICIT }

    public static final Padding SAME = new Padding(Kind.SAME, 0, 0, 0, 0);
    public static final Padding VALID = new Padding(Kind.VALID, 0, 0, 0, 0);

    public final Kind kind;
    private final int top, bottom, left, right;

    private Padding(Kind kind, int top, int bottom, int left, int right) {
        this.kind = kind;
        this.top = top;
        this.bottom = bottom;
        this.left = left;
        this.right = right;
    }

    public static Padding explicit(int top, int bottom, int left, int right) {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new IllegalArgumentException("explicit padding must not be negative: " + top + "," + bottom + "," + left + "," + right);
        return new Padding(Kind.EXPLICIT, top, bottom, left, right);
    }

    /** The same explicit pad on every side. */
    public static Padding explicit(int p) { return explicit(p, p, p, p); }

    /** {before, after} along the height axis for this input size, kernel and stride. */
    public int[] vertical(int in, int k, int stride) {
        return kind == Kind.EXPLICIT ? new int[] {top, bottom} : axis(in, k, stride);
    }

    /** {before, after} along the width axis. */
    public int[] horizontal(int in, int k, int stride) {
        return kind == Kind.EXPLICIT ? new int[] {left, right} : axis(in, k, stride);
    }

    private int[] axis(int in, int k, int stride) {
        if (kind == Kind.VALID) return new int[] {0, 0};
        return same(in, k, stride);
    }

    /** TF SAME pads for one axis: {before, after}. */
    public static int[] same(int in, int k, int stride) {
        int out = (in + stride - 1) / stride;
        int total = Math.max((out - 1) * stride + k - in, 0);
        return new int[] {total / 2, total - total / 2};
    }

    @Override public String toString() {
        return kind == Kind.EXPLICIT ? "pad(" + top + "," + bottom + "," + left + "," + right + ")" : kind.name();
    }
}
