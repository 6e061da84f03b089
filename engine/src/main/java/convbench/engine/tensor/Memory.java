package convbench.engine.tensor;

/**
 * Where a tensor's values live: the memory half of a {@link convbench.engine.Backend} (which adds the
 * kernel plans). A tensor sees its backend only as this, so the tensor types need nothing above them.
 */
public interface Memory {
    /** "cpu", "cuda:N", "reference", ... */
    String name();

    /** A tensor with undefined contents (kernels overwrite their outputs). */
    Tensor alloc(Shape shape);

    default Tensor zeros(Shape shape) {
        Tensor t = alloc(shape);
        fill(t, 0f);
        return t;
    }

    default Tensor of(Shape shape, float[] values) {
        return alloc(shape).set(values);
    }

    void upload(Tensor t, float[] src);

    void download(Tensor t, float[] dst);

    /** Uploads doubles: rounded to float on a float32 backend, exact on the reference backend. */
    default void uploadDoubles(Tensor t, double[] src) {
        float[] f = new float[src.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) src[i];
        upload(t, f);
    }

    /** Downloads as doubles: widened from float on a float32 backend, exact on the reference backend. */
    default void downloadDoubles(Tensor t, double[] dst) {
        float[] f = new float[dst.length];
        download(t, f);
        for (int i = 0; i < f.length; i++) dst[i] = f[i];
    }

    void fill(Tensor t, float value);

    void copy(Tensor src, Tensor dst);

    /** Called by {@link Storage} when its last reference goes; returns the memory to the cache. */
    void free(Storage storage);
}
