package convbench.engine.tensor;

/**
 * A shape plus backend storage, NCHW, row-major (the last dimension varies fastest).
 * AutoCloseable: close() drops this tensor's reference to its storage. Views made by
 * {@link #view(Shape)} share the storage and keep it alive until they are closed too.
 */
public final class Tensor implements AutoCloseable {
    private final Shape shape;
    private final DType dtype;
    private final Storage storage;
    private boolean closed;
    /** Set when a gradient flows into this tensor: parameters, and outputs of ops with such inputs. */
    boolean requiresGrad;

    public Tensor(Shape shape, DType dtype, Storage storage) {
        if (storage.bytes() < shape.size() * dtype.bytes)
            throw new IllegalArgumentException("storage of " + storage.bytes() + " bytes is too small for " + shape);
        this.shape = shape;
        this.dtype = dtype;
        this.storage = storage;
    }

    public Shape shape() { return shape; }

    public DType dtype() { return dtype; }

    public Storage storage() {
        if (closed) throw new IllegalStateException("tensor " + shape + " used after close()");
        return storage;
    }

    /** The memory the tensor lives in: its backend, seen as memory only (the kernel plans are the Backend's). */
    public Memory backend() { return storage.backend(); }

    public long size() { return shape.size(); }

    public boolean requiresGrad() { return requiresGrad; }

    /**
     * Marks an input (a leaf that no op produced) as wanting its gradient; after backward it is
     * {@code tape.grad(x)}. Parameters and op outputs are marked by the engine itself.
     */
    public Tensor requireGrad() {
        requiresGrad = true;
        return this;
    }

    public boolean isClosed() { return closed; }

    /** A tensor of another shape with the same number of elements over the same storage (no copy). */
    public Tensor view(Shape s) {
        if (s.size() != shape.size())
            throw new IllegalArgumentException("cannot view " + shape + " as " + s + ": sizes differ");
        storage().retain();
        Tensor v = new Tensor(s, dtype, storage);
        v.requiresGrad = requiresGrad;
        return v;
    }

    /** Copies the values to the host. */
    public float[] toFloats() {
        float[] out = new float[shape.intSize()];
        backend().download(this, out);
        return out;
    }

    /** Copies host values into this tensor. */
    public Tensor set(float[] values) {
        if (values.length != shape.size())
            throw new IllegalArgumentException(values.length + " values do not fill a tensor of shape " + shape);
        backend().upload(this, values);
        return this;
    }

    /** Copies the values to the host in double (exact on the reference backend, widened elsewhere). */
    public double[] toDoubles() {
        double[] out = new double[shape.intSize()];
        backend().downloadDoubles(this, out);
        return out;
    }

    /** Copies host doubles into this tensor (exact on the reference backend, rounded to float elsewhere). */
    public Tensor set(double[] values) {
        if (values.length != shape.size())
            throw new IllegalArgumentException(values.length + " values do not fill a tensor of shape " + shape);
        backend().uploadDoubles(this, values);
        return this;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        storage.release();
    }

    @Override public String toString() {
        return "Tensor" + shape + (closed ? " (closed)" : "");
    }
}
