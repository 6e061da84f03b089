package convbench.engine.plan;

/**
 * What every kernel plan is: made once for one descriptor (descriptors, algorithm choice, scratch), reused
 * every step, closed when its layer drops it ({@link convbench.engine.PlanCache}). Closing is a no-op
 * where the plan holds nothing.
 */
public interface Plan extends AutoCloseable {
    /** Which kernel the backend chose for this plan, for tables (e.g. "winograd"); empty where it has one way. */
    default String algorithm() { return ""; }

    @Override default void close() {}
}
