package convbench.engine;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tape of one forward-backward step (micrograd / tinygrad style): forward appends an entry
 * per op that needs a gradient (the closure holds what its backward needs); {@link #backward}
 * walks the entries in reverse. Gradients of activations live here, allocated at their first
 * contribution; a tensor read by several ops (an Inception input, a ResNet shortcut) gets the
 * first contribution written and the others accumulated (cuDNN beta 0, then beta 1).
 * A gradient is freed as soon as the op that produced its tensor has consumed it.
 */
public final class Tape implements AutoCloseable {
    private record Entry(Layer layer, Tensor[] outputs, Runnable backward) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<Tensor, Tensor> grads = new IdentityHashMap<>();
    private final Set<Tensor> seeds = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Tensor> touchedParams = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Tensor, Param> paramsByValue = new IdentityHashMap<>();
    private LayerListener listener;
    private boolean done;
    private List<Write> writes; // the gradients the op being walked writes (when a listener wants them)

    /**
     * One gradient an op's backward wrote: of which tensor (a parameter's name, or the layer whose
     * output it is, or "input"), into which buffer, and how: "overwrite" (the first contribution,
     * cuDNN beta 0), "accumulate" (a second reader's contribution, beta 1), or "alias" (dx is dy
     * itself, no copy: flatten, the first input of an add).
     */
    public record Write(String of, Tensor grad, String how) {}

    /** Which layer made each taped output, to name the gradients in {@link Write}s; kept only for a listener. */
    private final Map<Tensor, Layer> producers = new IdentityHashMap<>();

    void setListener(LayerListener l) { this.listener = l; }

    void record(Layer layer, Runnable backward, Tensor... outputs) {
        if (done) throw new IllegalStateException("tape already walked backward");
        for (Param p : layer.params()) if (p.trainable()) paramsByValue.put(p.value(), p);
        entries.add(new Entry(layer, outputs, backward));
        if (listener != null) for (Tensor y : outputs) producers.put(y, layer);
    }

    public int size() { return entries.size(); }

    /**
     * Walks the tape backward from the given losses (each a (1,) tensor whose gradient is 1:
     * the losses are summed). Parameter gradients end in {@link Param#grad()}, overwritten this pass.
     */
    public void backward(Tensor... losses) {
        if (done) throw new IllegalStateException("backward was already run on this tape");
        done = true;
        for (Tensor l : losses) {
            if (l.size() != 1) throw new IllegalArgumentException("backward starts from scalar losses, got " + l.shape());
            seeds.add(l);
        }
        touchedParams.clear();
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            boolean any = false;
            for (Tensor y : e.outputs) any |= grads.containsKey(y) || seeds.contains(y);
            if (any) {
                if (listener != null) {
                    listener.beforeBackward(e.layer);
                    writes = new ArrayList<>();
                }
                e.backward.run();
                if (listener != null) {
                    listener.afterBackward(e.layer);
                    listener.gradientsWritten(e.layer, writes);
                    writes = null;
                }
            }
            for (Tensor y : e.outputs) {
                Tensor g = grads.remove(y);
                if (g != null) g.close();
            }
        }
        // Parameters that received no gradient (not on any path to the loss) get zeros, as tf.gradients' None would be.
        for (Map.Entry<Tensor, Param> pe : paramsByValue.entrySet()) {
            if (!touchedParams.contains(pe.getKey())) {
                Tensor g = pe.getValue().grad();
                g.backend().fill(g, 0f);
            }
        }
    }

    /** True when t is one of the losses backward started from: its gradient is the constant 1. */
    public boolean isSeed(Tensor t) { return seeds.contains(t); }

    /** The gradient flowing into y, or null when none does. Valid inside y's producer's backward. */
    public Tensor grad(Tensor y) { return grads.get(y); }

    /**
     * Where the gradient of x goes: null when x needs none (the input image, constants);
     * a parameter's own buffer (overwritten at its first contribution of this pass);
     * else an activation gradient, allocated at the first contribution and accumulated after.
     */
    public Grad gradFor(Tensor x) {
        if (!x.requiresGrad()) return null;
        Param p = paramsByValue.get(x);
        Grad out;
        if (p != null) {
            out = new Grad(p.grad(), !touchedParams.add(x));
        } else if (grads.containsKey(x)) {
            out = new Grad(grads.get(x), true);
        } else {
            Tensor g = x.backend().alloc(x.shape());
            grads.put(x, g);
            out = new Grad(g, false);
        }
        note(x, out.t(), out.accumulate() ? "accumulate" : "overwrite");
        return out;
    }

    private void note(Tensor x, Tensor g, String how) {
        if (writes == null) return;
        Param p = paramsByValue.get(x);
        Layer producer = producers.get(x);
        writes.add(new Write(p != null ? p.name() : producer != null ? producer.name() : "input", g, how));
    }

    /**
     * Makes dy itself the gradient of x when x has none yet (no copy), for ops whose dx = dy
     * (flatten, the first input of an add). Safe because dy has no reader after its producer's backward.
     * Returns false (and does nothing) when x needs no gradient, is a parameter, or already has one.
     */
    public boolean aliasGrad(Tensor x, Tensor dy) {
        if (!x.requiresGrad() || paramsByValue.containsKey(x) || grads.containsKey(x)) return false;
        Tensor g = dy.view(x.shape());
        grads.put(x, g);
        note(x, g, "alias");
        return true;
    }

    @Override public void close() {
        for (Tensor g : grads.values()) g.close();
        grads.clear();
        entries.clear();
        producers.clear();
    }
}
