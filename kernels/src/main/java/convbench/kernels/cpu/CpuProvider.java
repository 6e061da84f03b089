package convbench.kernels.cpu;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.engine.BackendProvider;
import convbench.engine.BackendUnavailableException;

/**
 * The "cpu" backend for {@link convbench.engine.Backends} (registered in META-INF/services, like the CUDA
 * backend): the pure-Java kernels on {@link BackendOptions#threads()} worker threads. It needs no native
 * library, so it always opens.
 */
public final class CpuProvider implements BackendProvider {
    @Override public String kind() { return "cpu"; }

    @Override public Backend open(int index, BackendOptions options) throws BackendUnavailableException {
        if (index != 0) throw new BackendUnavailableException("there is one CPU backend: use --device cpu (--threads sets its threads)");
        return new CpuBackend(options.threads(), options.cpuConv());
    }
}
