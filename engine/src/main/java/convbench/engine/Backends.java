package convbench.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Opens a backend from a device spec: "auto", "cpu", "cuda" or "cuda:N" (or KIND[:N] of another provider).
 * Every backend is found through java.util.ServiceLoader ({@link BackendProvider}): "cpu" and "cuda" are in
 * the kernels module, "reference" in this one, so the engine names no fast backend.
 */
public final class Backends {
    private Backends() {}

    /** The backend opened, and for "auto" the reason it is not a GPU (null when it is, or when asked for by name). */
    public record Opened(Backend backend, String fallbackReason) {}

    /**
     * @throws BackendUnavailableException when a named device cannot be opened (with the reason)
     * @throws IllegalArgumentException    for a spec that is not auto, cpu or KIND[:N] of a provider on the class path
     */
    public static Opened open(String spec, BackendOptions options) throws BackendUnavailableException {
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) return new Opened(openProvider("cpu", 0, options), null);
        if (s.equals("auto")) {
            try {
                return new Opened(openProvider("cuda", 0, options), null);
            } catch (BackendUnavailableException e) {
                return new Opened(openProvider("cpu", 0, options), e.getMessage());
            }
        }
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        int index = 0;
        if (colon >= 0) {
            try {
                index = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                index = -1;
            }
            if (index < 0) throw new IllegalArgumentException("device '" + spec + "' needs a device number after the colon, as in cuda:0");
        }
        if (kind.equals("cpu") || !kind.equals("cuda") && providers(kind).isEmpty())
            throw new IllegalArgumentException("device '" + spec + "' is not auto, cpu, cuda, cuda:N or reference (the float64 oracle)");
        return new Opened(openProvider(kind, index, options), null);
    }

    private static List<BackendProvider> providers(String kind) {
        List<BackendProvider> out = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) if (p.kind().equals(kind)) out.add(p);
        return out;
    }

    private static Backend openProvider(String kind, int index, BackendOptions options) throws BackendUnavailableException {
        List<BackendProvider> ps = providers(kind);
        if (ps.isEmpty())
            throw new BackendUnavailableException("no " + kind + " backend is on the class path: use bench.jar, which bundles the kernels module");
        return ps.get(0).open(index, options);
    }
}
