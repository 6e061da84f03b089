package convbench.engine;

/**
 * Backend memory behind one or more tensors (a tensor and its reshaped views share it).
 * Reference counted: the last release hands the memory back to the backend's pool.
 */
public abstract class Storage {
    private final Backend backend;
    private final long bytes;
    private int refs = 1;

    protected Storage(Backend backend, long bytes) {
        this.backend = backend;
        this.bytes = bytes;
    }

    public final Backend backend() { return backend; }

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
