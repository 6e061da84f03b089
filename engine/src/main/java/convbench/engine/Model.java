package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import convbench.engine.init.Init;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The layers and parameters of one network on one backend, made on the first pass of the
 * network's forward code (like TF variable scopes: a layer is created, with its parameters,
 * where the code first calls it, once its input shape is known) and reused on every later pass.
 * Nets read like the seed code: {@code net = conv2d(net, 64, 1, 1, "Conv2d_0a_1x1")} inside
 * {@code try (var s = scope("Branch_0")) {...}}.
 */
public final class Model implements AutoCloseable {
    private final Backend backend;
    private final long seed;
    private final List<Layer> layers = new ArrayList<>();
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final ArrayDeque<String> scopes = new ArrayDeque<>();
    private boolean built;
    private int cursor;

    public Model(Backend backend, long seed) {
        this.backend = backend;
        this.seed = seed;
    }

    public Backend backend() { return backend; }

    public long seed() { return seed; }

    public boolean built() { return built; }

    /** Call before each pass of the network's forward code. */
    public void beginPass() {
        cursor = 0;
        scopes.clear();
    }

    /** Call after each pass; the first one fixes the layer list. */
    public void endPass() {
        if (!built) {
            built = true;
        } else if (cursor != layers.size()) {
            throw new IllegalStateException("this pass called " + cursor + " layers, the first pass made " + layers.size());
        }
        if (!scopes.isEmpty()) throw new IllegalStateException("scope " + scopes.peekLast() + " left open");
    }

    /** Opens a name scope until close(). */
    public Scope scope(String name) {
        scopes.addLast(name);
        return new Scope();
    }

    public final class Scope implements AutoCloseable {
        @Override public void close() { scopes.removeLast(); }
    }

    /** The current scope joined with name: "InceptionV3/Mixed_5b/Branch_0/" + name. */
    public String qualify(String name) {
        if (scopes.isEmpty()) return name;
        StringBuilder b = new StringBuilder();
        for (String s : scopes) b.append(s).append('/');
        return b.append(name).toString();
    }

    /**
     * The layer named name in the current scope: made by make(fullName) on the first pass,
     * the same object on later passes (which must call layers in the same order).
     */
    @SuppressWarnings("unchecked")
    public <L extends Layer> L layer(String name, Function<String, L> make) {
        if (!built) {
            String full = qualify(name);
            for (Layer l : layers)
                if (l.name().equals(full)) throw new IllegalStateException("two layers named " + full);
            L l = make.apply(full);
            layers.add(l);
            return l;
        }
        if (cursor >= layers.size())
            throw new IllegalStateException("layer " + name + " was not made on the first pass");
        Layer l = layers.get(cursor++);
        if (!l.name().endsWith(name))
            throw new IllegalStateException("expected layer " + l.name() + " but the code called " + name
                    + ": a net must call the same layers in the same order on every pass");
        return (L) l;
    }

    /** Makes and initialises a parameter (or non-trainable state) named fullName. */
    public Param param(String fullName, Shape shape, Init init, boolean trainable) {
        if (params.containsKey(fullName)) throw new IllegalStateException("two parameters named " + fullName);
        Tensor t = backend.alloc(shape);
        SplittableRandom rng = new SplittableRandom(seed ^ mix(fullName.hashCode()));
        backend.initialize(t, init, rng);
        Param p = new Param(fullName, t, trainable, backend);
        params.put(fullName, p);
        return p;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    public List<Layer> layers() { return Collections.unmodifiableList(layers); }

    /** All parameters and state in creation order. */
    public List<Param> params() { return List.copyOf(params.values()); }

    public Param param(String fullName) { return params.get(fullName); }

    public List<Param> trainable() {
        List<Param> out = new ArrayList<>();
        for (Param p : params.values()) if (p.trainable()) out.add(p);
        return out;
    }

    public long trainableCount() {
        long n = 0;
        for (Param p : params.values()) if (p.trainable()) n += p.shape().size();
        return n;
    }

    /** Elements of non-trainable state (batch-norm moving statistics). */
    public long stateCount() {
        long n = 0;
        for (Param p : params.values()) if (!p.trainable()) n += p.shape().size();
        return n;
    }

    @Override public void close() {
        for (Layer l : layers) l.closePlans();
        for (Param p : params.values()) p.close();
        layers.clear();
        params.clear();
    }
}
