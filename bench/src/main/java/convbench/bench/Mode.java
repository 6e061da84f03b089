package convbench.bench;

import java.util.List;
import java.util.Locale;

/**
 * What a timed step does. forward: inference mode (batch norm on moving statistics, dropout off),
 * as seeds 000-004 time it. forward-backward: training mode (batch statistics, dropout on),
 * l2 objective, gradients of every parameter (seeds 000 and 002). train: forward-backward and an
 * SGD-with-momentum update.
 */
enum Mode {
    FORWARD("forward", "Forward", 1),
    FORWARD_BACKWARD("forward-backward", "Forward-backward", 3),
    TRAIN("train", "Train", 3);

    final String id;
    /** The label of the seeds' result line. */
    final String label;
    /** FLOPs of a step as a multiple of the forward FLOPs (backward: data and filter gradients, 2x forward). */
    final int flopFactor;

    Mode(String id, String label, int flopFactor) {
        this.id = id;
        this.label = label;
        this.flopFactor = flopFactor;
    }

    /** forward | forward-backward | train | all, or the default (forward and forward-backward, as the seeds). */
    static List<Mode> parse(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "forward": return List.of(FORWARD);
            case "forward-backward": case "fwd-bwd": case "backward": return List.of(FORWARD_BACKWARD);
            case "train": return List.of(TRAIN);
            case "all": return List.of(FORWARD, FORWARD_BACKWARD, TRAIN);
            case "default": return List.of(FORWARD, FORWARD_BACKWARD);
            default: throw new UsageException("mode '" + s + "' is not forward, forward-backward, train or all");
        }
    }
}
