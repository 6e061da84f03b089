package convbench.engine.tensor;

import java.util.Arrays;

/**
 * An immutable tensor shape. Activations are NCHW: (batch, channels, height, width);
 * matrices are (rows, cols); vectors are (n).
 */
public final class Shape {
    private final int[] dims;
    private final long size;

    private Shape(int[] dims) {
        long s = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            s *= d;
        }
        this.dims = dims;
        this.size = s;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    /** An NCHW activation shape. */
    public static Shape nchw(int n, int c, int h, int w) {
        return new Shape(new int[] {n, c, h, w});
    }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i]; }

    public int[] dims() { return dims.clone(); }

    /** Number of elements. */
    public long size() { return size; }

    /** Number of elements, checked to fit an int (a Java array index). */
    public int intSize() {
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor " + this + " has more than 2^31-1 elements");
        return (int) size;
    }

    // NCHW accessors; a rank-2 (N, F) shape reads as (N, F, 1, 1).
    public int n() { return dims[0]; }
    public int c() { return dims.length > 1 ? dims[1] : 1; }
    public int h() { return dims.length > 2 ? dims[2] : 1; }
    public int w() { return dims.length > 3 ? dims[3] : 1; }

    /** Elements per item of the batch: size / n. */
    public int perItem() { return (int) (size / Math.max(1, dims[0])); }

    /** This shape with the leading (batch) dimension replaced. */
    public Shape withBatch(int n) {
        int[] d = dims.clone();
        d[0] = n;
        return new Shape(d);
    }

    /** (N, C*H*W...) */
    public Shape flatten2d() {
        return new Shape(new int[] {dims[0], perItem()});
    }

    /** Rank-4 form, (N, F) becoming (N, F, 1, 1). */
    public Shape as4d() {
        if (dims.length == 4) return this;
        if (dims.length == 2) return nchw(dims[0], dims[1], 1, 1);
        if (dims.length == 1) return nchw(1, dims[0], 1, 1);
        throw new IllegalArgumentException("shape " + this + " has no 4-d form");
    }

    @Override public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    /** Like TF: (32, 64, 56, 56). */
    @Override public String toString() {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) b.append(", ");
            b.append(dims[i]);
        }
        return b.append(dims.length == 1 ? ",)" : ")").toString();
    }
}
