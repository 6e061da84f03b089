package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The context of one step: the backend, the mode (training: batch-norm batch statistics and
 * dropout on; inference: moving statistics, dropout off), the tape when gradients are wanted,
 * and the tensors the step allocated, all freed (returned to the backend's cache) by close().
 */
public final class Ctx implements AutoCloseable {
    private final Backend backend;
    private final boolean training;
    private final Tape tape;
    private final List<Tensor> owned = new ArrayList<>();
    private final long seed;
    private LayerListener listener;
    private Lifetimes.Recorder recorder;
    private Lifetimes.Replayer replayer;
    private boolean dropoutEnabled = true;
    private int dropoutCalls;

    /**
     * @param training batch norm on batch statistics, dropout active
     * @param withGrad record a tape for backward
     * @param seed     seeds this step's dropout masks
     */
    public Ctx(Backend backend, boolean training, boolean withGrad, long seed) {
        this.backend = backend;
        this.training = training;
        this.tape = withGrad ? new Tape() : null;
        this.seed = seed;
    }

    public static Ctx inference(Backend b) { return new Ctx(b, false, false, 0); }

    public static Ctx training(Backend b, long seed) { return new Ctx(b, true, true, seed); }

    public Backend backend() { return backend; }

    public boolean training() { return training; }

    /** The tape, or null in a forward-only step. */
    public Tape tape() { return tape; }

    /** Turns dropout off in training mode (the tensor dump's setting); it is always off in inference. */
    public Ctx withDropout(boolean enabled) {
        this.dropoutEnabled = enabled;
        return this;
    }

    public boolean dropoutActive() { return training && dropoutEnabled; }

    /** A distinct seed for each dropout layer of the step, in call order. */
    public long nextDropoutSeed() { return seed * 0x9E3779B97F4A7C15L + (++dropoutCalls); }

    /**
     * Frees activations after their last reader, by the given lifetimes (learnt on the first
     * forward-only step that uses them, applied after). Ignored in a step with a tape.
     */
    public Ctx lifetimes(Lifetimes l) {
        if (tape != null || l == null || !owned.isEmpty()) return this;
        if (l.recorded()) replayer = l.new Replayer(owned);
        else recorder = l.new Recorder();
        return this;
    }

    public Ctx listener(LayerListener l) {
        this.listener = l;
        if (tape != null) tape.setListener(l);
        return this;
    }

    /** A tensor that lives until this step closes (contents undefined). */
    public Tensor alloc(Shape shape) {
        return own(backend.alloc(shape));
    }

    /** Takes ownership of a tensor made elsewhere (freed when the step closes). */
    public Tensor own(Tensor t) {
        owned.add(t);
        if (recorder != null) recorder.allocated(t);
        if (replayer != null) replayer.allocated(t);
        return t;
    }

    /** Called by a layer as its forward starts. */
    public void begin(Layer layer) {
        if (listener != null) listener.beforeForward(layer);
    }

    /**
     * Called by a layer as its forward ends. When a tape is recording and a gradient can flow
     * (an input needs one, or the layer has a trainable parameter), the backward closure goes on
     * the tape and the outputs are marked as needing gradients.
     */
    public Tensor end(Layer layer, Tensor y, Runnable backward, Tensor... inputs) {
        finish(layer, new Tensor[] {y}, backward, inputs);
        return y;
    }

    /** {@link #end} for ops with several outputs (split). */
    public void endMany(Layer layer, Tensor[] ys, Runnable backward, Tensor... inputs) {
        finish(layer, ys, backward, inputs);
    }

    private void finish(Layer layer, Tensor[] ys, Runnable backward, Tensor[] inputs) {
        layer.outShape = ys[0].shape();
        if (tape != null && needsGrad(layer, inputs)) {
            for (Tensor y : ys) y.requireGrad();
            tape.record(layer, backward, ys);
        }
        if (listener != null) {
            listener.afterForward(layer, ys[0]);
            listener.forwarded(layer, inputs, ys);
        }
        if (recorder != null) recorder.ended(inputs);
        if (replayer != null) replayer.ended();
    }

    private static boolean needsGrad(Layer layer, Tensor[] inputs) {
        if (layer.hasTrainable()) return true;
        for (Tensor x : inputs) if (x.requiresGrad()) return true;
        return false;
    }

    @Override public void close() {
        if (recorder != null) recorder.finish();
        if (tape != null) tape.close();
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
    }
}
