package convbench.bench;

import convbench.engine.Layer;
import convbench.engine.LayerListener;
import convbench.engine.Tape;
import convbench.engine.ops.Pool;
import convbench.engine.plan.PoolDesc;
import convbench.engine.spec.PoolMode;
import convbench.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench verify}'s record of one run: every layer's output and written gradients, by layer name, in
 * the order they run. Following the device's run, it also takes over the device's decisions at relu kinks and
 * max-pool ties within rounding, so both backward passes route alike ({@link VerifyCommand} compares them).
 */
final class VerifyRecorder implements LayerListener {
    /** A relu output within this many times its layer's rms rounding difference of 0 is at a kink: the two backends may decide it differently. */
    static final double KINK = 10;

    /** What one layer made in one run: its output, then each gradient it wrote (of what, and the values). */
    static final class Record {
        double[] output;
        double[] input; // a max pool's, for its ties
        final List<String> gradNames = new ArrayList<>();
        final List<double[]> grads = new ArrayList<>();
    }

    final Map<String, Record> layers = new LinkedHashMap<>();
    final List<String> backwardOrder = new ArrayList<>();
    /** The device's run, whose relu decisions at kinks this run takes over (null: the device's own run). */
    private final VerifyRecorder follow;
    int followed;

    VerifyRecorder(VerifyRecorder follow) { this.follow = follow; }

    @Override public void forwarded(Layer layer, Tensor[] inputs, Tensor[] outputs) {
        Record r = layers.computeIfAbsent(layer.name(), k -> new Record());
        double[] v = outputs[0].toDoubles();
        boolean maxPool = layer instanceof Pool p && p.desc().mode() == PoolMode.MAX;
        if (maxPool) r.input = inputs[0].toDoubles();
        if (follow != null) {
            Record device = follow.layers.get(layer.name());
            if (layer.describe().endsWith("relu") && followKinks(v, device.output)) outputs[0].set(v);
            if (maxPool && followTies(((Pool) layer).desc(), r.input, v, device.input)) {
                inputs[0].set(r.input);
                outputs[0].set(v);
            }
        }
        r.output = v;
    }

    /**
     * A max pool whose window holds two values within rounding of each other may route its gradient to
     * either: where the device's first maximum (of its own input) is another cell than this run's, and
     * the two cells differ here by less than KINK times the input's rms difference (device vs this run),
     * this run's input at the device's cell is raised to the maximum (one ulp above it where the device's
     * cell comes later, since the first maximum wins), so both backward passes route alike.
     */
    private boolean followTies(PoolDesc d, double[] x, double[] y, double[] device) {
        double sq = 0;
        for (int i = 0; i < x.length; i++) sq += (x[i] - device[i]) * (x[i] - device[i]);
        double band = KINK * Math.sqrt(sq / Math.max(1, x.length));
        int h = d.x().h(), w = d.x().w(), oh = d.outH(), ow = d.outW();
        boolean changed = false;
        for (int plane = 0; plane < d.x().n() * d.x().c(); plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    int here = -1, there = -1;
                    for (int p = 0; p < d.kh(); p++)
                        for (int q = 0; q < d.kw(); q++) {
                            int ih = i * d.strideH() + p - d.padTop(), iw = j * d.strideW() + q - d.padLeft();
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            int at = (plane * h + ih) * w + iw;
                            if (here < 0 || x[at] > x[here]) here = at;
                            if (there < 0 || device[at] > device[there]) there = at;
                        }
                    if (here == there || x[here] - x[there] > band) continue;
                    x[there] = there < here ? x[here] : Math.nextUp(x[here]);
                    y[(plane * oh + i) * ow + j] = x[there];
                    followed++;
                    changed = true;
                }
        return changed;
    }

    /**
     * A relu whose input lies within rounding of 0 may go either way on the two backends: where the
     * device's output and this one disagree on whether an element is positive, and both values lie within
     * KINK times the layer's rms difference (device vs this run) of 0, this run takes the device's decision
     * (0, or the smallest positive double), so both backward passes use the same relu mask. The change to
     * the output is below that rounding. Returns true when it changed v.
     */
    private boolean followKinks(double[] v, double[] device) {
        double sq = 0;
        for (int i = 0; i < v.length; i++) sq += (v[i] - device[i]) * (v[i] - device[i]);
        double band = KINK * Math.sqrt(sq / Math.max(1, v.length));
        boolean changed = false;
        for (int i = 0; i < v.length; i++) {
            boolean devicePositive = device[i] > 0;
            if (devicePositive == v[i] > 0 || Math.abs(v[i]) > band || Math.abs(device[i]) > band) continue;
            v[i] = devicePositive ? Double.MIN_VALUE : 0;
            followed++;
            changed = true;
        }
        return changed;
    }

    @Override public void gradientsWritten(Layer layer, List<Tape.Write> writes) {
        Record r = layers.computeIfAbsent(layer.name(), k -> new Record());
        backwardOrder.add(layer.name());
        for (Tape.Write w : writes) {
            r.gradNames.add("d " + w.of());
            r.grads.add(w.grad().toDoubles());
        }
    }
}
