package convbench.engine;

/** A backend ran out of device memory: how much was asked for, and what was free and in use. */
public final class DeviceMemoryException extends RuntimeException {
    private final long requested, free, inUse;

    public DeviceMemoryException(String device, long requested, long free, long inUse) {
        super(String.format("out of memory on %s: asked for %.1f MiB with %.1f MiB free and %.1f MiB in use",
                device, requested / 1048576.0, free / 1048576.0, inUse / 1048576.0));
        this.requested = requested;
        this.free = free;
        this.inUse = inUse;
    }

    /**
     * A library call (cuDNN, cuBLAS, a runtime call other than the allocator's) ran out of device memory
     * for its own buffers, so the size it asked for is unknown (requested() is 0).
     */
    public DeviceMemoryException(String device, String call, long free, long inUse) {
        super(String.format("out of memory on %s: %s ran out of device memory with %.1f MiB free and %.1f MiB in use",
                device, call, free / 1048576.0, inUse / 1048576.0));
        this.requested = 0;
        this.free = free;
        this.inUse = inUse;
    }

    public long requested() { return requested; }

    public long free() { return free; }

    public long inUse() { return inUse; }
}
