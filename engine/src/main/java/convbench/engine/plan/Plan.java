package convbench.engine.plan;

/**
 * What every kernel plan is: made once for one descriptor (descriptors, algorithm choice, scratch), reused
 * every step, closed when its layer drops it ({@link convbench.engine.PlanCache}). Closing is a no-op
 * where the plan holds nothing.
 */
public interface Plan extends AutoCloseable {
    @Override default void close() {}
}
