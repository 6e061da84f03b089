package convbench.bench;

import convbench.engine.Layer;
import convbench.engine.LayerListener;
import convbench.engine.tensor.Tensor;
import convbench.kernels.cuda.Nvtx;

import java.util.Map;

/**
 * NVTX ranges for Nsight Systems (--nvtx, on with --profile): one per timed step ("alexnet-conv forward step 3"),
 * and inside it one per layer's forward ("conv1 forward") and backward ("conv1 backward"), named by the
 * layer's TF-style name. Host-side calls only: nothing synchronises. The mechanics are {@link Nvtx}.
 */
final class NvtxRanges implements LayerListener {
    private int depth;

    private NvtxRanges() {}

    /** The ranges, with a line for the report's environment saying whether a tool can record them. */
    static NvtxRanges open(Map<String, String> env) {
        String off = Nvtx.enable();
        env.put("nvtx", off == null ? "ranges for each timed step and each layer's forward and backward" : off);
        return new NvtxRanges();
    }

    /** Opens a timed step's range (closing first any that a failed step left open). */
    void step(String name) {
        endStep();
        push(name);
    }

    /** Closes the step's range and any a failed layer left open. */
    void endStep() {
        while (depth > 0) pop();
    }

    private void push(String name) {
        Nvtx.push(name);
        depth++;
    }

    private void pop() {
        if (depth == 0) return;
        Nvtx.pop();
        depth--;
    }

    @Override public void beforeForward(Layer layer) { push(layer.name() + " forward"); }

    @Override public void afterForward(Layer layer, Tensor y) { pop(); }

    @Override public void beforeBackward(Layer layer) { push(layer.name() + " backward"); }

    @Override public void afterBackward(Layer layer) { pop(); }
}
