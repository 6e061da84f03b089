package convbench.engine.ops;

import convbench.engine.Backend;
import convbench.engine.Model;
import convbench.engine.OpException;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.init.Init;
import convbench.engine.spec.Activation;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.DensePlan;

/**
 * Fully connected: z = x . w^T + b with x (N, in), w (out, in), b (out); y = act(z).
 *
 * <p>Forward and backward are {@link WeightedOp}'s, on the plan {@link #makePlan} makes. Forward: y (N, out) = act(z),
 * overwritten. Backward: dz = dy * act'(z) (in place in dy); dx (N, in) = dz . w; dw (out, in) = dz^T . x;
 * db = sum over n of dz. dx accumulates when x already has a gradient; dw, db overwrite on first use.
 */
public final class Dense extends WeightedOp<DensePlan> {
    private final int in, out;
    private final Param w; // (out, in)
    private final Param b; // (out) or null

    public Dense(Model m, String name, int in, int out, boolean bias, Activation act, Init wInit, Init bInit) {
        super(name, act);
        if (in <= 0 || out <= 0) throw new OpException("dense", name, "sizes must be positive, got " + in + " -> " + out);
        this.in = in;
        this.out = out;
        this.w = addParam(m.param(name + "/weights", Shape.of(out, in), wInit, true));
        this.b = bias ? addParam(m.param(name + "/biases", Shape.of(out), bInit, true)) : null;
    }

    public Param weights() { return w; }

    public Param biases() { return b; }

    @Override public String describe() {
        return "dense " + in + "->" + out + (b != null ? " +b" : "") + (act == Activation.RELU ? " relu" : "");
    }

    /** The plan for an input x (N, in), after checking that x is flat and in wide. */
    @Override DensePlan makePlan(Backend be, Shape x) {
        if (x.rank() != 2 || x.dim(1) != in)
            throw new OpException("dense", name(), "expects x (N, " + in + "), got x " + x + " (flatten NCHW inputs first)");
        if (x.n() <= 0) throw new OpException("dense", name(), "empty input x " + x);
        return be.dense(new DenseDesc(x.n(), in, out, b != null, act));
    }

    /** The reference arithmetic of dense (float64 plain loops): the oracle of the fast kernels. */
    public static final class Reference {
        private Reference() {}

        /** y[n,o] = b[o] + sum_i x[n,i] * w[o,i]; x (N, in), w (out, in), b (out) or null, y (N, out) overwritten. */
        public static void forward(DenseDesc d, double[] x, double[] w, double[] b, double[] y) {
            for (int r = 0; r < d.n(); r++)
                for (int o = 0; o < d.out(); o++) {
                    double s = b == null ? 0 : b[o];
                    for (int i = 0; i < d.in(); i++) s += x[r * d.in() + i] * w[o * d.in() + i];
                    y[r * d.out() + o] = s;
                }
        }

        /**
         * From dz (N, out), the gradient before the activation:
         * dx[n,i] += sum_o dz[n,o] * w[o,i];  dw[o,i] += sum_n dz[n,o] * x[n,i];  db[o] += sum_n dz[n,o].
         * Accumulates; any of dx, dw, db may be null.
         */
        public static void backward(DenseDesc d, double[] x, double[] w, double[] dz, double[] dx, double[] dw, double[] db) {
            for (int r = 0; r < d.n(); r++)
                for (int o = 0; o < d.out(); o++) {
                    double g = dz[r * d.out() + o];
                    if (db != null) db[o] += g;
                    for (int i = 0; i < d.in(); i++) {
                        if (dx != null) dx[r * d.in() + i] += g * w[o * d.in() + i];
                        if (dw != null) dw[o * d.in() + i] += g * x[r * d.in() + i];
                    }
                }
        }
    }
}
