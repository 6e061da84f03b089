package convbench.engine.reference;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendProvider;
import convbench.engine.BackendUnavailableException;

/** Registers the reference backend as device kind "reference" (--device reference). */
public final class ReferenceProvider implements BackendProvider {
    @Override public String kind() { return "reference"; }

    @Override public Backend open(int index, BackendOptions options) throws BackendUnavailableException {
        if (index != 0) throw new BackendUnavailableException("there is one reference backend: use --device reference");
        return new ReferenceBackend();
    }
}
