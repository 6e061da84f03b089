package convbench.engine;

import convbench.engine.cpu.CpuBackend;

import java.util.ServiceLoader;

/** Opens a backend from a device spec: "auto", "cpu", "cuda" or "cuda:N". */
public final class Backends {
    private Backends() {}

    /** The backend opened, and for "auto" the reason it is not a GPU (null when it is, or when asked for by name). */
    public record Opened(Backend backend, String fallbackReason) {}

    /**
     * @throws BackendUnavailableException when a named device cannot be opened (with the reason)
     * @throws IllegalArgumentException    for a spec that is not auto, cpu, cuda or cuda:N
     */
    public static Opened open(String spec, BackendOptions options) throws BackendUnavailableException {
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) return new Opened(new CpuBackend(options.threads()), null);
        if (s.equals("auto")) {
            try {
                return new Opened(openProvider("cuda", 0, options), null);
            } catch (BackendUnavailableException e) {
                return new Opened(new CpuBackend(options.threads()), e.getMessage());
            }
        }
        if (s.equals("cuda") || s.startsWith("cuda:")) {
            int index = 0;
            if (s.startsWith("cuda:")) {
                try {
                    index = Integer.parseInt(s.substring(5));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("device '" + spec + "' is not auto, cpu, cuda or cuda:N");
                }
                if (index < 0) throw new IllegalArgumentException("device index in '" + spec + "' must not be negative");
            }
            return new Opened(openProvider("cuda", index, options), null);
        }
        throw new IllegalArgumentException("device '" + spec + "' is not auto, cpu, cuda or cuda:N");
    }

    private static Backend openProvider(String kind, int index, BackendOptions options) throws BackendUnavailableException {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.kind().equals(kind)) return p.open(index, options);
        }
        throw new BackendUnavailableException("no " + kind + " backend is on the class path: use bench.jar, which bundles the kernels module");
    }
}
