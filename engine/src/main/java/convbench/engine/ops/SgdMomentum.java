package convbench.engine.ops;

import convbench.engine.OpException;
import convbench.engine.Param;
import convbench.engine.plan.SgdPlan;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SGD with momentum, TF's MomentumOptimizer: v = momentum * v + dw, w = w - lr * v, for every
 * trainable parameter after a backward pass.
 */
public final class SgdMomentum implements AutoCloseable {
    private final float lr, momentum;
    private final Map<Param, SgdPlan> plans = new HashMap<>();

    public SgdMomentum(double lr, double momentum) {
        if (!(lr > 0)) throw new OpException("sgd", "optimizer", "learning rate " + lr + " must be positive");
        if (momentum < 0 || momentum >= 1) throw new OpException("sgd", "optimizer", "momentum " + momentum + " must be in [0, 1)");
        this.lr = (float) lr;
        this.momentum = (float) momentum;
    }

    public void step(List<Param> params) {
        for (Param p : params) {
            if (!p.trainable()) continue;
            SgdPlan plan = plans.computeIfAbsent(p, q -> q.backend().sgd(q.shape()));
            plan.update(p.value(), p.grad(), p.velocity(), lr, momentum);
        }
    }

    @Override public void close() {
        for (SgdPlan p : plans.values()) p.close();
        plans.clear();
    }

    /** The reference arithmetic of the update (float64 plain loops). */
    public static final class Reference {
        private Reference() {}

        /** v = momentum * v + dw; w = w - lr * v. Updates w and v in place. */
        public static void update(double[] w, double[] dw, double[] v, double lr, double momentum, int size) {
            for (int i = 0; i < size; i++) {
                v[i] = momentum * v[i] + dw[i];
                w[i] = w[i] - lr * v[i];
            }
        }
    }
}
