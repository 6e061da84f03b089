package convbench.engine;

/**
 * A backend found at run time through java.util.ServiceLoader: the kernels module registers "cpu" and
 * "cuda", this module "reference". So the engine names no fast backend and never imports JCuda, and the
 * CPU path needs no native library.
 */
public interface BackendProvider {
    /** The device kind it opens, e.g. "cuda". */
    String kind();

    /**
     * Opens device number index.
     *
     * @throws BackendUnavailableException with one sentence naming what is missing (no driver, no
     *                                     device, no cuDNN found in ..., the kernels not built) and the fix
     */
    Backend open(int index, BackendOptions options) throws BackendUnavailableException;
}
