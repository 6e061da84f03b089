package convbench.engine;

import convbench.engine.plan.Plan;
import convbench.engine.tensor.Shape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One op at one place in a network, like a Caffe layer: its configuration, its parameters,
 * the kernel plan it made for the input shape it last saw, and forward and backward side by side.
 * Subclasses call {@link Ctx#begin} at the start of forward and {@link Ctx#end} with the output
 * and the backward closure at its end.
 */
public abstract class Layer {
    private final String name;
    private final List<Param> params = new ArrayList<>();
    private final List<PlanCache<?, ?>> plans = new ArrayList<>();
    /** Multiply-accumulates of the last forward, whole batch (conv and dense; 0 for others). */
    protected long macs;
    /** The output shape of the last forward. */
    protected Shape outShape;

    protected Layer(String name) {
        this.name = name;
    }

    /** Full scope name, e.g. "conv1" or "resnet_v2_50/block1/unit_1/bottleneck_v2/conv1". */
    public final String name() { return name; }

    /** A short description of the op for tables, e.g. "conv 11x11/4 SAME +b relu". */
    public abstract String describe();

    public final List<Param> params() { return Collections.unmodifiableList(params); }

    public final long macs() { return macs; }

    public final Shape outShape() { return outShape; }

    /** Registers a parameter named scope/leaf, initialised on the backend. */
    protected final Param addParam(Param p) {
        params.add(p);
        return p;
    }

    /** True when this layer has a trainable parameter (so backward has work even if no input needs a gradient). */
    public final boolean hasTrainable() {
        for (Param p : params) if (p.trainable()) return true;
        return false;
    }

    /** A cache for one of this layer's kernel plans (per input shape); {@link #closePlans()} closes it. */
    protected final <K, P extends Plan> PlanCache<K, P> planCache() {
        PlanCache<K, P> c = new PlanCache<>();
        plans.add(c);
        return c;
    }

    /** The algorithms the backend chose for this layer's current plans ({@link Plan#algorithm}), joined by "+"; empty where none says. */
    public final String algorithms() {
        StringBuilder b = new StringBuilder();
        for (PlanCache<?, ?> c : plans) {
            Plan p = c.current();
            String a = p == null ? "" : p.algorithm();
            if (!a.isEmpty()) b.append(b.length() == 0 ? "" : "+").append(a);
        }
        return b.toString();
    }

    /** Releases the plans (descriptors, device buffers) this layer's caches hold. Parameters belong to the model. */
    public final void closePlans() {
        for (PlanCache<?, ?> c : plans) c.close();
    }

    @Override public String toString() { return name + " [" + describe() + "]"; }
}
