package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.Layer;
import convbench.engine.LayerListener;
import convbench.engine.Timer;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-layer forward and backward times (Caffe's `caffe time`): a timer pair around each layer's
 * forward and backward on the backend's stream, read after each step. Run as a separate pass after
 * the main timing, since the extra events and reads perturb the whole-step numbers.
 */
final class LayerTimes implements LayerListener, AutoCloseable {
    /** Mean milliseconds per step of one layer; kernel: the algorithm its plans ran ("winograd"), empty where there is one way. */
    record Row(String layer, String op, String kernel, double forwardMs, double backwardMs) {
        /** The op with its kernel in brackets, for the text table. */
        String opAndKernel() { return kernel.isEmpty() ? op : op + " [" + kernel + "]"; }
    }

    private static final class Entry {
        final Layer layer;
        final Timer fwd, bwd;
        double fwdSum, bwdSum;
        boolean fwdRan, bwdRan;

        Entry(Layer layer, Backend be) {
            this.layer = layer;
            this.fwd = be.timer();
            this.bwd = be.timer();
        }
    }

    private final Backend be;
    private final Map<Layer, Entry> entries = new IdentityHashMap<>();
    private final List<Entry> order = new ArrayList<>();
    private int steps;

    LayerTimes(Backend be) { this.be = be; }

    private Entry entry(Layer l) {
        Entry e = entries.get(l);
        if (e == null) {
            e = new Entry(l, be);
            entries.put(l, e);
            order.add(e);
        }
        return e;
    }

    @Override public void beforeForward(Layer layer) { entry(layer).fwd.start(); }

    @Override public void afterForward(Layer layer, convbench.engine.tensor.Tensor y) {
        Entry e = entry(layer);
        e.fwd.stop();
        e.fwdRan = true;
    }

    @Override public void beforeBackward(Layer layer) { entry(layer).bwd.start(); }

    @Override public void afterBackward(Layer layer) {
        Entry e = entry(layer);
        e.bwd.stop();
        e.bwdRan = true;
    }

    /** After a step: reads this step's timers (waiting for their events) into the sums. */
    void endStep() {
        be.synchronize();
        for (Entry e : order) {
            if (e.fwdRan) e.fwdSum += e.fwd.elapsedMillis();
            if (e.bwdRan) e.bwdSum += e.bwd.elapsedMillis();
            e.fwdRan = e.bwdRan = false;
        }
        steps++;
    }

    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (Entry e : order)
            rows.add(new Row(e.layer.name(), e.layer.describe(), e.layer.algorithms(), e.fwdSum / Math.max(1, steps), e.bwdSum / Math.max(1, steps)));
        return rows;
    }

    static List<Row> measure(Workload w, Mode mode, int steps, long seed) {
        try (LayerTimes lt = new LayerTimes(w.backend())) {
            w.prepare();
            w.step(mode, seed, null); // plans exist already after the main timing; one more warm step
            for (int i = 0; i < steps; i++) {
                w.step(mode, seed + i, lt);
                lt.endStep();
            }
            return lt.rows();
        }
    }

    @Override public void close() {
        for (Entry e : order) {
            e.fwd.close();
            e.bwd.close();
        }
    }
}
