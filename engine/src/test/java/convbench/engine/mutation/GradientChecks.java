package convbench.engine.mutation;

import convbench.engine.Ctx;
import convbench.engine.GradCheck;
import convbench.engine.Model;
import convbench.engine.Padding;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.ops.Add;
import convbench.engine.ops.BatchNorm;
import convbench.engine.ops.Concat;
import convbench.engine.ops.Conv2d;
import convbench.engine.ops.Dense;
import convbench.engine.ops.Dropout;
import convbench.engine.ops.L2Loss;
import convbench.engine.ops.Lrn;
import convbench.engine.ops.Pad;
import convbench.engine.ops.Pool;
import convbench.engine.ops.Relu;
import convbench.engine.ops.SgdMomentum;
import convbench.engine.ops.Softmax;
import convbench.engine.ops.SoftmaxCrossEntropy;
import convbench.engine.ops.Subsample;
import convbench.engine.spec.Activation;
import convbench.engine.reference.ReferenceBackend;

import static convbench.engine.GradCheck.randn;

/**
 * One float64 gradient check per op (the update rule, for SGD), as plain static methods without JUnit,
 * so that {@link BackwardMutationTest} can run them in a class loader that holds a mutated op.
 * Each throws AssertionError when the op's backward disagrees with central differences of its forward.
 * Inputs are chosen so that every term of every backward matters (LRN's alpha is large, batch-norm
 * statistics see few values).
 */
public final class GradientChecks {
    private GradientChecks() {}

    private static final ReferenceBackend be = new ReferenceBackend();

    private static Tensor tensor(Shape s, long seed) { return be.of(s, randn(s.intSize(), seed)); }

    private static GradCheck check() { return new GradCheck(be); }

    public static void conv() {
        try (Model m = new Model(be, 4); Tensor x = tensor(Shape.nchw(2, 3, 6, 7), 6)) {
            Conv2d layer = new Conv2d(m, "conv", 3, 4, 3, 3, 2, 2, Padding.SAME, true, Activation.NONE, Init.truncatedNormal(0.5), Init.truncatedNormal(0.5));
            check().check(ctx -> layer.forward(ctx, x), GradCheck.input("x", x), GradCheck.param(layer.weights()), GradCheck.param(layer.biases()));
        }
    }

    public static void dense() {
        try (Model m = new Model(be, 5); Tensor x = tensor(Shape.of(3, 11), 7)) {
            Dense layer = new Dense(m, "fc", 11, 6, true, Activation.NONE, Init.truncatedNormal(0.5), Init.truncatedNormal(0.5));
            check().check(ctx -> layer.forward(ctx, x), GradCheck.input("x", x), GradCheck.param(layer.weights()), GradCheck.param(layer.biases()));
        }
    }

    public static void maxPool() {
        try (Tensor x = tensor(Shape.nchw(2, 2, 7, 6), 22)) {
            Pool pool = Pool.max("pool", 3, 2, Padding.SAME);
            check().check(ctx -> pool.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void avgPool() {
        try (Tensor x = tensor(Shape.nchw(2, 2, 7, 6), 23)) {
            Pool pool = Pool.avg("pool", 3, 2, Padding.SAME);
            check().check(ctx -> pool.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void lrn() {
        try (Tensor x = tensor(Shape.nchw(2, 7, 3, 3), 32)) {
            Lrn a = new Lrn("lrn", 2, 1.0, 0.2, 0.75);
            check().check(ctx -> a.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void batchNormTraining() {
        try (Model m = new Model(be, 4); Tensor x = tensor(Shape.nchw(3, 2, 2, 3), 41)) {
            BatchNorm bn = new BatchNorm(m, "bn", 2, true, 1e-3, 0.9, Activation.NONE);
            bn.gamma().value().set(new float[] {1.5f, -0.7f});
            bn.beta().value().set(new float[] {0.2f, 0.1f});
            check().check(ctx -> bn.forward(ctx, x), GradCheck.input("x", x), GradCheck.param(bn.gamma()), GradCheck.param(bn.beta()));
        }
    }

    public static void batchNormInference() {
        try (Model m = new Model(be, 5); Tensor x = tensor(Shape.nchw(2, 2, 2, 2), 42)) {
            BatchNorm bn = new BatchNorm(m, "bn", 2, true, 1e-3, 0.9, Activation.NONE);
            bn.movingMean().value().set(new float[] {0.3f, -0.2f});
            bn.movingVariance().value().set(new float[] {2f, 0.5f});
            bn.gamma().value().set(new float[] {1.2f, 0.8f});
            check().training(false).check(ctx -> bn.forward(ctx, x), GradCheck.input("x", x), GradCheck.param(bn.gamma()), GradCheck.param(bn.beta()));
        }
    }

    public static void relu() {
        try (Tensor x = tensor(Shape.nchw(2, 3, 4, 4), 11)) {
            Relu relu = new Relu("relu");
            check().check(ctx -> relu.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void softmax() {
        try (Tensor x = tensor(Shape.of(3, 5), 12)) {
            Softmax softmax = new Softmax("softmax");
            check().check(ctx -> softmax.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void dropout() {
        try (Tensor x = tensor(Shape.of(4, 50), 51)) {
            Dropout d = new Dropout("drop", 0.6);
            check().check(ctx -> d.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void concat() {
        try (Tensor a = tensor(Shape.nchw(2, 2, 2, 3), 63); Tensor b = tensor(Shape.nchw(2, 3, 2, 3), 64)) {
            Concat c = new Concat("cat");
            check().check(ctx -> c.forward(ctx, a, b), GradCheck.input("a", a), GradCheck.input("b", b));
        }
    }

    public static void add() {
        try (Tensor a = tensor(Shape.nchw(2, 2, 2, 3), 65); Tensor b = tensor(Shape.nchw(2, 2, 2, 3), 66)) {
            Add add = new Add("add");
            Relu relu = new Relu("relu");
            // relu(a) + b: a's gradient is written into a fresh buffer (not aliased to dy), b's too
            check().check(ctx -> add.forward(ctx, relu.forward(ctx, a), b), GradCheck.input("a", a), GradCheck.input("b", b));
        }
    }

    public static void pad() {
        try (Tensor x = tensor(Shape.nchw(2, 2, 4, 5), 67)) {
            Pad pad = new Pad("pad", 1, 2, 0, 1);
            check().check(ctx -> pad.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void subsample() {
        try (Tensor x = tensor(Shape.nchw(2, 2, 5, 5), 68)) {
            Subsample s = new Subsample("shortcut", 2);
            check().check(ctx -> s.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void l2Loss() {
        try (Tensor x = tensor(Shape.of(2, 5), 82)) {
            L2Loss l2 = new L2Loss("loss");
            check().check(ctx -> l2.forward(ctx, x), GradCheck.input("x", x));
        }
    }

    public static void softmaxCrossEntropy() {
        try (Tensor x = tensor(Shape.of(3, 4), 81);
             Tensor l = be.of(Shape.of(3, 4), new float[] {1, 0, 0, 0, 0, 0, 1, 0, .25f, .25f, .25f, .25f})) {
            SoftmaxCrossEntropy xent = new SoftmaxCrossEntropy("xent");
            check().check(ctx -> xent.forward(ctx, x, l), GradCheck.input("logits", x));
        }
    }

    /** Two steps of TF's MomentumOptimizer worked by hand: v = 0.9 v + dw, w = w - 0.1 v. */
    public static void sgd() {
        try (Model m = new Model(be, 1); SgdMomentum sgd = new SgdMomentum(0.1, 0.9)) {
            var p = m.param("w", Shape.of(2), Init.constant(1f), true);
            p.grad().set(new double[] {0.5, -2});
            sgd.step(m.trainable());
            sgd.step(m.trainable());
            // step 1: v = (0.5, -2), w = (0.95, 1.2); step 2: v = (0.95, -3.8), w = (0.855, 1.58)
            double[] w = p.value().toDoubles(), v = p.velocity().toDoubles();
            double[][] expect = {{0.855, 1.58}, {0.95, -3.8}};
            for (int i = 0; i < 2; i++)
                if (Math.abs(w[i] - expect[0][i]) > 1e-6 || Math.abs(v[i] - expect[1][i]) > 1e-6)
                    throw new AssertionError("sgd: w " + java.util.Arrays.toString(w) + ", v " + java.util.Arrays.toString(v)
                            + ", expected w " + java.util.Arrays.toString(expect[0]) + ", v " + java.util.Arrays.toString(expect[1]));
        }
    }
}
