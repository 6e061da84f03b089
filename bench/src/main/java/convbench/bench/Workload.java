package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.LayerListener;

/** Something the harness times: one step of a given mode on a backend. */
interface Workload extends AutoCloseable {
    Backend backend();

    String name();

    int batch();

    /** Makes everything a step needs that is not per-step work (parameters, the input batch). */
    void prepare();

    /** One whole step: its work is complete (or submitted to the backend's stream) when this returns. */
    void step(Mode mode, long seed, LayerListener listener);

    @Override void close();
}
