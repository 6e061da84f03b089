package convbench.engine;

/**
 * Backend memory in bytes: held by live tensors now, the peak of that since the last reset,
 * and what the backend's caching allocator holds in all (live plus cached for reuse, plus workspaces).
 */
public record MemoryStats(long inUse, long peakInUse, long reserved, long peakReserved) {
}
