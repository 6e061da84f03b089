package convbench.engine.tensor;

/**
 * Backend memory behind one or more tensors (a tensor and its reshaped views share it).
 * Reference counted: the last release hands the memory back to the backend's pool ({@link Memory#free}).
 */
public abstract class Storage {
    private final Memory backend;
    private final long bytes;
    private int refs = 1;

    protected Storage(Memory backend, long bytes) {
        this.backend = backend;
        this.bytes = bytes;
    }

    public final Memory backend() { return backend; }

    public final long bytes() { return bytes; }

    final synchronized void retain() {
        if (refs <= 0) throw new IllegalStateException("storage used after it was freed");
        refs++;
    }

    final void release() {
        boolean free;
        synchronized (this) {
            if (refs <= 0) throw new IllegalStateException("storage released twice");
            free = --refs == 0;
        }
        if (free) backend.free(this);
    }

    public final synchronized boolean live() { return refs > 0; }
}
