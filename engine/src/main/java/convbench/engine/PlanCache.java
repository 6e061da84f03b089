package convbench.engine;

import convbench.engine.plan.Plan;

import java.util.function.Function;

/**
 * The kernel plan a layer made for the last input it saw, under a key (the input's shape, or its parts'
 * shapes): reused while the key stays the same, made again (the old one closed first) when it changes.
 * A layer gets its caches from {@link Layer#planCache()}, and {@link Layer#closePlans()} closes them all.
 */
public final class PlanCache<K, P extends Plan> {
    private K key;
    private P plan;

    PlanCache() {}

    /** The plan for key: the one made last when it was made for an equal key, else make(key). */
    public P get(K key, Function<? super K, ? extends P> make) {
        if (plan != null && this.key.equals(key)) return plan;
        close();
        plan = make.apply(key);
        this.key = key;
        return plan;
    }

    /** The plan made last, or null when there is none (never made, or closed). */
    public P current() { return plan; }

    void close() {
        if (plan != null) plan.close();
        plan = null;
        key = null;
    }
}
