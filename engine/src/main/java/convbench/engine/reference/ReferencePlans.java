package convbench.engine.reference;

import convbench.engine.Backend;
import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
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
import convbench.engine.spec.Activation;
import convbench.engine.plan.ActivationPlan;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.BatchNormPlan;
import convbench.engine.plan.ConcatPlan;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.ConvPlan;
import convbench.engine.plan.DenseDesc;
import convbench.engine.plan.DensePlan;
import convbench.engine.plan.DropoutPlan;
import convbench.engine.plan.ElementwisePlan;
import convbench.engine.plan.LossPlan;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.LrnPlan;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;
import convbench.engine.plan.SgdPlan;
import convbench.engine.plan.SoftmaxPlan;
import convbench.engine.plan.WindowDesc;
import convbench.engine.plan.WindowPlan;

import java.util.ArrayList;
import java.util.List;

import static convbench.engine.reference.ReferenceBackend.data;

/**
 * The reference backend's plans, one per op family: each finds the arrays and calls its op's reference
 * arithmetic ({@code Conv2d.Reference}, {@code Lrn.Reference}, ...), and says where its gradients go
 * ({@link #write}). {@link ReferenceBackend} adds the memory (float64 arrays) and the clock.
 *
 * <p>Every reference backward accumulates into the array it is given. Where a {@link Grad}
 * overwrites, the plan hands it a zeroed array and copies that over the gradient afterwards, so the
 * two cases are one code path (and a gradient that is its own dy, as in an in-place relu backward,
 * is read whole before it is written).
 */
abstract class ReferencePlans implements Backend {
    /** Round every op's outputs to float32 (see {@link ReferenceBackend#roundingToFloat32}). */
    private final boolean roundOutputs;

    ReferencePlans(boolean roundOutputs) { this.roundOutputs = roundOutputs; }

    /** Rounds the tensors just written to float32 when this backend models float32 storage. */
    private void written(Tensor... ts) {
        if (!roundOutputs) return;
        for (Tensor t : ts) {
            double[] d = data(t);
            for (int i = 0; i < t.shape().intSize(); i++) d[i] = (float) d[i];
        }
    }

    private static double[] dataOrNull(Tensor t) { return t == null ? null : data(t); }

    /** The gradients one backward call writes: each accumulates into its array; overwritten ones are copied over at commit. */
    private final class Writes {
        private final List<Runnable> commits = new ArrayList<>();
        private final List<Tensor> targets = new ArrayList<>();

        double[] to(Grad g) {
            if (g == null) return null;
            targets.add(g.t());
            double[] dst = data(g.t());
            if (g.accumulate()) return dst;
            double[] fresh = new double[g.t().shape().intSize()];
            commits.add(() -> System.arraycopy(fresh, 0, dst, 0, fresh.length));
            return fresh;
        }

        void commit() {
            commits.forEach(Runnable::run);
            written(targets.toArray(new Tensor[0]));
        }
    }

    /** Runs one backward, whose gradients it asks for through out.to(grad), then commits them. */
    private void write(java.util.function.Consumer<Writes> backward) {
        Writes out = new Writes();
        backward.accept(out);
        out.commit();
    }

    /** Runs conv's or dense's reference forward into y, then the activation they fuse (in place), then rounds y like any output. */
    private void activated(Activation act, Tensor y, Runnable forward) {
        forward.run();
        if (act == Activation.RELU) Relu.Reference.forward(data(y), data(y), y.shape().intSize());
        written(y);
    }

    // ---- plans: each calls its op's reference arithmetic, a line a call ----

    @Override public ConvPlan conv(ConvDesc d) {
        return new ConvPlan() {
            @Override public ConvDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
                activated(d.act(), y, () -> Conv2d.Reference.forward(d, data(x), data(w), dataOrNull(b), data(y)));
            }

            @Override public void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db) {
                write(out -> Conv2d.Reference.backward(d, data(x), data(w), data(dz), out.to(dx), out.to(dw), out.to(db)));
            }
        };
    }

    @Override public ActivationPlan activation(Shape shape, Activation kind) {
        return new ActivationPlan() {
            @Override public Shape shape() { return shape; }

            @Override public Activation kind() { return kind; }

            @Override public void forward(Tensor x, Tensor y) {
                if (kind == Activation.RELU) Relu.Reference.forward(data(x), data(y), shape.intSize());
                else if (x != y) copy(x, y);
                written(y);
            }

            @Override public void backward(Tensor y, Tensor dy, Grad dx) {
                write(out -> {
                    if (kind == Activation.RELU) Relu.Reference.backward(data(y), data(dy), out.to(dx), shape.intSize());
                    else Add.Reference.scaleInto(1, data(dy), out.to(dx), shape.intSize());
                });
            }
        };
    }

    @Override public DensePlan dense(DenseDesc d) {
        return new DensePlan() {
            @Override public DenseDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
                activated(d.act(), y, () -> Dense.Reference.forward(d, data(x), data(w), dataOrNull(b), data(y)));
            }

            @Override public void backward(Tensor x, Tensor w, Tensor dz, Grad dx, Grad dw, Grad db) {
                write(out -> Dense.Reference.backward(d, data(x), data(w), data(dz), out.to(dx), out.to(dw), out.to(db)));
            }
        };
    }

    @Override public BatchNormPlan batchNorm(BatchNormDesc d) {
        return new BatchNormPlan() {
            @Override public BatchNormDesc desc() { return d; }

            @Override public void forwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor movingMean, Tensor movingVar,
                                                  double averageFactor, Tensor saveMean, Tensor saveInvStd) {
                BatchNorm.Reference.forwardTraining(d, data(x), dataOrNull(gamma), data(beta), data(y),
                        data(movingMean), data(movingVar), averageFactor, data(saveMean), data(saveInvStd));
                written(y, movingMean, movingVar, saveMean, saveInvStd);
            }

            @Override public void forwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor movingMean, Tensor movingVar, Tensor y) {
                BatchNorm.Reference.forwardInference(d, data(x), dataOrNull(gamma), data(beta), data(movingMean), data(movingVar), data(y));
                written(y);
            }

            @Override public void backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                           Grad dx, Grad dgamma, Grad dbeta) {
                write(out -> BatchNorm.Reference.backward(d, data(x), data(dy), dataOrNull(gamma), data(saveMean), data(saveInvStd),
                        out.to(dx), out.to(dgamma), out.to(dbeta)));
            }

            @Override public void backwardInference(Tensor x, Tensor dy, Tensor gamma, Tensor movingMean, Tensor movingVar,
                                                    Grad dx, Grad dgamma, Grad dbeta) {
                write(out -> BatchNorm.Reference.backwardInference(d, data(x), data(dy), dataOrNull(gamma), data(movingMean), data(movingVar),
                        out.to(dx), out.to(dgamma), out.to(dbeta)));
            }
        };
    }

    @Override public PoolPlan pool(PoolDesc d) {
        return new PoolPlan() {
            @Override public PoolDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor y) { Pool.Reference.forward(d, data(x), data(y)); written(y); }

            @Override public void backward(Tensor x, Tensor y, Tensor dy, Grad dx) { write(out -> Pool.Reference.backward(d, data(x), data(dy), out.to(dx))); }
        };
    }

    @Override public DropoutPlan dropout(Shape shape, double keep) {
        return new DropoutPlan() {
            @Override public Shape shape() { return shape; }

            @Override public double keep() { return keep; }

            @Override public Shape reserveShape() { return shape; }

            @Override public void forward(Tensor x, Tensor y, Tensor reserve, long seed) {
                Dropout.Reference.mask(keep, seed, data(reserve), shape.intSize());
                Dropout.Reference.forward(data(x), data(reserve), data(y), shape.intSize());
                written(y);
            }

            @Override public void backward(Tensor dy, Tensor reserve, Grad dx) {
                write(out -> Dropout.Reference.backward(data(dy), data(reserve), out.to(dx), shape.intSize()));
            }
        };
    }

    @Override public LrnPlan lrn(LrnDesc d) {
        return new LrnPlan() {
            @Override public LrnDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor y) { Lrn.Reference.forward(d, data(x), data(y)); written(y); }

            @Override public void backward(Tensor x, Tensor y, Tensor dy, Grad dx) { write(out -> Lrn.Reference.backward(d, data(x), data(dy), out.to(dx))); }
        };
    }

    @Override public ConcatPlan concat(List<Shape> parts) {
        return new ConcatPlan() {
            @Override public List<Shape> parts() { return parts; }

            @Override public void concat(List<Tensor> xs, Tensor out) {
                List<double[]> arrays = new ArrayList<>();
                for (Tensor x : xs) arrays.add(data(x));
                Concat.Reference.concat(parts, arrays, data(out));
                written(out);
            }

            @Override public void split(Tensor dy, List<Grad> dxs) {
                write(out -> {
                    List<double[]> arrays = new ArrayList<>();
                    for (Grad g : dxs) arrays.add(out.to(g));
                    Concat.Reference.split(parts, data(dy), arrays);
                });
            }
        };
    }

    @Override public WindowPlan window(WindowDesc d) {
        return new WindowPlan() {
            @Override public WindowDesc desc() { return d; }

            @Override public void forward(Tensor x, Tensor y) { Pad.Reference.forward(d, data(x), data(y)); written(y); }

            @Override public void backward(Tensor dy, Grad dx) { write(out -> Pad.Reference.backward(d, data(dy), out.to(dx))); }
        };
    }

    @Override public SoftmaxPlan softmax(Shape shape) {
        return new SoftmaxPlan() {
            @Override public Shape shape() { return shape; }

            @Override public void forward(Tensor x, Tensor y) { Softmax.Reference.forward(shape, data(x), data(y)); written(y); }

            @Override public void backward(Tensor y, Tensor dy, Grad dx) { write(out -> Softmax.Reference.backward(shape, data(y), data(dy), out.to(dx))); }
        };
    }

    @Override public ElementwisePlan elementwise(Shape shape) {
        return new ElementwisePlan() {
            @Override public Shape shape() { return shape; }

            @Override public void add(Tensor a, Tensor b, Tensor y) { Add.Reference.forward(data(a), data(b), data(y), shape.intSize()); written(y); }

            @Override public void scaleInto(float alpha, Tensor src, Grad dst) {
                write(out -> Add.Reference.scaleInto(alpha, data(src), out.to(dst), shape.intSize()));
            }
        };
    }

    @Override public LossPlan loss(Shape shape) {
        return new LossPlan() {
            @Override public Shape shape() { return shape; }

            @Override public void l2(Tensor x, Tensor loss) {
                data(loss)[0] = L2Loss.Reference.forward(data(x), shape.intSize());
                written(loss);
            }

            @Override public void l2Backward(Tensor x, float dloss, Grad dx) {
                write(out -> L2Loss.Reference.backward(data(x), dloss, out.to(dx), shape.intSize()));
            }

            @Override public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
                data(loss)[0] = SoftmaxCrossEntropy.Reference.forward(shape.dim(0), shape.dim(1), data(logits), data(labels), data(probs));
                written(probs, loss);
            }

            @Override public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, float dloss, Grad dlogits) {
                write(out -> SoftmaxCrossEntropy.Reference.backward(shape.dim(0), shape.dim(1), data(probs), data(labels), dloss, out.to(dlogits)));
            }
        };
    }

    @Override public SgdPlan sgd(Shape shape) {
        return new SgdPlan() {
            @Override public Shape shape() { return shape; }

            @Override public void update(Tensor w, Tensor dw, Tensor v, float lr, float momentum) {
                SgdMomentum.Reference.update(data(w), data(dw), data(v), lr, momentum, shape.intSize());
                written(w, v);
            }
        };
    }
}
