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

    public long requested() { return requested; }

    public long free() { return free; }

    public long inUse() { return inUse; }
}
