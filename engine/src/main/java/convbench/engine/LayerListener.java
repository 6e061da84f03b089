package convbench.engine;

/** Observes layers as a step runs: summaries, darknet-style build lines, per-layer timing. */
public interface LayerListener {
    default void beforeForward(Layer layer) {}

    default void afterForward(Layer layer, Tensor y) {}

    default void beforeBackward(Layer layer) {}

    default void afterBackward(Layer layer) {}
}
