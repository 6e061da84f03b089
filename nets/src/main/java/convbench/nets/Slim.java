package convbench.nets;

import convbench.engine.Ctx;
import convbench.engine.Model;
import convbench.engine.ops.Add;
import convbench.engine.ops.BatchNorm;
import convbench.engine.ops.Concat;
import convbench.engine.ops.Conv2d;
import convbench.engine.ops.Dense;
import convbench.engine.ops.Dropout;
import convbench.engine.ops.Flatten;
import convbench.engine.ops.GlobalAvgPool;
import convbench.engine.ops.Lrn;
import convbench.engine.ops.Pad;
import convbench.engine.ops.Pool;
import convbench.engine.ops.Subsample;
import convbench.engine.spec.Activation;
import convbench.engine.spec.PoolMode;
import convbench.engine.tensor.Tensor;

import java.util.function.UnaryOperator;

/**
 * The TF-slim-like helpers a net's forward code calls (scope, argScope, conv2d, batchNorm, maxPool2d, ...),
 * over the pass in progress: the step it runs in and the model its layers come from ({@link Net} starts and
 * ends each pass). A layer is made on a model's first pass and the same one reused on later passes.
 */
@SuppressWarnings("try") // scopes are try-with-resources blocks whose variable is never read
public abstract class Slim {
    /** The step a pass runs in and the model its layers come from (the net's own, or a shape pass's). */
    private record Pass(Ctx ctx, Model model) {}

    private Pass pass;          // the pass in progress
    private Args args = Args.slim();

    Slim() {}

    /** Starts a pass of the forward code in step c on model m, with slim's defaults. */
    final void begin(Ctx c, Model m) {
        pass = new Pass(c, m);
        args = Args.slim();
    }

    /** Ends the pass begun last. */
    final void end() { pass = null; }

    /** The step running the current pass. */
    protected final Ctx ctx() { return pass.ctx(); }

    /** tf.variable_scope(name) until closed. */
    protected final Model.Scope scope(String name) { return pass.model().scope(name); }

    /** slim.arg_scope: the defaults changed by change until closed. */
    protected final ArgScope argScope(UnaryOperator<Args> change) {
        ArgScope s = new ArgScope(args);
        args = change.apply(args);
        return s;
    }

    /** Restores the defaults an {@link #argScope} changed. */
    protected final class ArgScope implements AutoCloseable {
        private final Args previous;

        private ArgScope(Args previous) { this.previous = previous; }

        @Override public void close() { args = previous; }
    }

    /** slim.conv2d(x, filters, [kh, kw], scope=name) with the current defaults. */
    protected final Tensor conv2d(Tensor x, int filters, int kh, int kw, String name) {
        return conv2d(x, filters, kh, kw, name, a -> a);
    }

    /**
     * slim.conv2d with some defaults overridden for this call. With a normalizer: conv without bias,
     * then batch norm (scope name/BatchNorm) with the activation fused; without: conv with bias and
     * the activation fused.
     */
    protected final Tensor conv2d(Tensor x, int filters, int kh, int kw, String name, UnaryOperator<Args> override) {
        Args a = override.apply(args);
        int in = x.shape().c();
        boolean bn = a.normalizer != null;
        Conv2d conv = pass.model().layer(name, full -> new Conv2d(pass.model(), full, in, filters, kh, kw, a.stride, a.stride, a.padding,
                !bn, bn ? Activation.NONE : a.activation, a.weights, a.biases));
        Tensor y = conv.forward(pass.ctx(), x);
        if (!bn) return y;
        try (var s = scope(name)) {
            return batchNorm(y, "BatchNorm", a.normalizer, a.activation);
        }
    }

    /** slim.batch_norm(x, activation_fn=act, scope=name): parameters name/beta, name/gamma (with scale), name/moving_*. */
    protected final Tensor batchNorm(Tensor x, String name, Args.BatchNorm p, Activation act) {
        int channels = x.shape().c();
        BatchNorm l = pass.model().layer(name, full -> new BatchNorm(pass.model(), full, channels, p.scale(), p.epsilon(), p.decay(), act));
        return l.forward(pass.ctx(), x);
    }

    /** slim.fully_connected / a dense layer on (N, in) with the current defaults (activation, initialisers; always a bias). */
    protected final Tensor fullyConnected(Tensor x, int out, String name) {
        return fullyConnected(x, out, name, a -> a);
    }

    protected final Tensor fullyConnected(Tensor x, int out, String name, UnaryOperator<Args> override) {
        Args a = override.apply(args);
        int in = x.shape().dim(1);
        Dense l = pass.model().layer(name, full -> new Dense(pass.model(), full, in, out, true, a.activation, a.weights, a.biases));
        return l.forward(pass.ctx(), x);
    }

    /** slim.max_pool2d(x, [kh, kw], scope=name) with the current stride and padding. */
    protected final Tensor maxPool2d(Tensor x, int kh, int kw, String name) { return maxPool2d(x, kh, kw, name, a -> a); }

    protected final Tensor maxPool2d(Tensor x, int kh, int kw, String name, UnaryOperator<Args> override) {
        return pool(PoolMode.MAX, x, kh, kw, name, override.apply(args));
    }

    /** slim.avg_pool2d(x, [kh, kw], scope=name): padded cells are left out of the mean. */
    protected final Tensor avgPool2d(Tensor x, int kh, int kw, String name) { return avgPool2d(x, kh, kw, name, a -> a); }

    protected final Tensor avgPool2d(Tensor x, int kh, int kw, String name, UnaryOperator<Args> override) {
        return pool(PoolMode.AVG, x, kh, kw, name, override.apply(args));
    }

    private Tensor pool(PoolMode mode, Tensor x, int kh, int kw, String name, Args a) {
        Pool l = pass.model().layer(name, full -> new Pool(full, mode, kh, kw, a.stride, a.stride, a.padding));
        return l.forward(pass.ctx(), x);
    }

    /** tf.nn.lrn(x, depth_radius, bias, alpha, beta). */
    protected final Tensor lrn(Tensor x, int depthRadius, double bias, double alpha, double beta, String name) {
        Lrn l = pass.model().layer(name, full -> new Lrn(full, depthRadius, bias, alpha, beta));
        return l.forward(pass.ctx(), x);
    }

    /** tf.nn.dropout / slim.dropout with keep probability keep (identity in inference). */
    protected final Tensor dropout(Tensor x, double keep, String name) {
        Dropout l = pass.model().layer(name, full -> new Dropout(full, keep));
        return l.forward(pass.ctx(), x);
    }

    /** tf.reshape(x, [N, -1]) of an NCHW tensor: (N, C, H, W) to (N, C*H*W) in NCHW order. */
    protected final Tensor flatten(Tensor x, String name) {
        Flatten l = pass.model().layer(name, Flatten::new);
        return l.forward(pass.ctx(), x);
    }

    /** tf.squeeze(x, [H, W]) when H = W = 1, giving (N, C); a spatial x is returned unchanged. */
    protected final Tensor squeezeSpatial(Tensor x, String name) {
        if (x.shape().h() != 1 || x.shape().w() != 1) return x;
        return flatten(x, name);
    }

    /** tf.concat(xs, axis=channels). */
    protected final Tensor concat(String name, Tensor... xs) {
        Concat l = pass.model().layer(name, Concat::new);
        return l.forward(pass.ctx(), xs);
    }

    /** a + b. */
    protected final Tensor add(Tensor a, Tensor b, String name) {
        Add l = pass.model().layer(name, Add::new);
        return l.forward(pass.ctx(), a, b);
    }

    /** tf.pad of H and W: before rows/columns on top and left, after on bottom and right. */
    protected final Tensor pad(Tensor x, int before, int after, String name) {
        Pad l = pass.model().layer(name, full -> new Pad(full, before, after, before, after));
        return l.forward(pass.ctx(), x);
    }

    /** x[:, :, ::s, ::s] (slim.max_pool2d(x, [1, 1], stride=s)). */
    protected final Tensor subsample(Tensor x, int stride, String name) {
        Subsample l = pass.model().layer(name, full -> new Subsample(full, stride));
        return l.forward(pass.ctx(), x);
    }

    /** tf.reduce_mean(x, [H, W], keep_dims=True): (N, C, H, W) to (N, C, 1, 1). */
    protected final Tensor globalAvgPool(Tensor x, String name) {
        GlobalAvgPool l = pass.model().layer(name, GlobalAvgPool::new);
        return l.forward(pass.ctx(), x);
    }
}
