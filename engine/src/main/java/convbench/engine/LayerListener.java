package convbench.engine;

import convbench.engine.tensor.Tensor;

/** Observes layers as a step runs: summaries, darknet-style build lines, per-layer timing. */
public interface LayerListener {
    default void beforeForward(Layer layer) {}

    default void afterForward(Layer layer, Tensor y) {}

    default void beforeBackward(Layer layer) {}

    default void afterBackward(Layer layer) {}

    /** After a layer's forward, with what it read and what it made (the tape's record, for {@code bench trace}). */
    default void forwarded(Layer layer, Tensor[] inputs, Tensor[] outputs) {}

    /**
     * After a layer's backward (and {@link #afterBackward}): the gradients it wrote, in order. The
     * gradient tensors are valid during the call (for {@code bench verify}, which reads them).
     */
    default void gradientsWritten(Layer layer, java.util.List<Tape.Write> writes) {}
}
