package convbench.nets;

import convbench.engine.spec.PoolMode;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.Lifetimes;
import convbench.engine.Model;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.ops.Add;
import convbench.engine.ops.BatchNorm;
import convbench.engine.ops.Concat;
import convbench.engine.ops.Conv2d;
import convbench.engine.ops.Dense;
import convbench.engine.ops.Dropout;
import convbench.engine.ops.Flatten;
import convbench.engine.ops.GlobalAvgPool;
import convbench.engine.ops.L2Loss;
import convbench.engine.ops.Lrn;
import convbench.engine.ops.Pad;
import convbench.engine.ops.Pool;
import convbench.engine.ops.Subsample;
import convbench.engine.spec.Activation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A network: its forward code, written with TF-slim-like helpers so it reads like the seed code,
 * and the {@link Model} (layers and parameters) that code builds on its first pass.
 *
 * <pre>
 * try (var s = scope("Branch_1")) {
 *     branch1 = conv2d(net, 48, 1, 1, "Conv2d_0a_1x1");
 *     branch1 = conv2d(branch1, 64, 5, 5, "Conv2d_0b_5x5");
 * }
 * </pre>
 *
 * A layer's full name is its scope path ("InceptionV3/Mixed_5b/Branch_1/Conv2d_0b_5x5"); its
 * parameters are {@code <layer>/weights} and {@code <layer>/biases}, and a conv with a batch-norm
 * normalizer has {@code <layer>/BatchNorm/{beta,gamma,moving_mean,moving_variance}} and no bias.
 * {@link #argScope} sets defaults like slim.arg_scope (stride, padding, normalizer, activation,
 * initialisers) until closed.
 *
 * <p>Inputs are NCHW images (N, 3, size, size). Modes come from the step's {@link Ctx}: inference
 * uses the batch-norm moving statistics and no dropout; training uses batch statistics, updates the
 * moving averages and applies dropout (unless the Ctx turns it off). Parameters are initialised
 * deterministically from the model seed, per parameter name.
 */
@SuppressWarnings("try") // scopes are try-with-resources blocks whose variable is never read
public abstract class Net implements AutoCloseable {
    /** The output of one forward pass, and the auxiliary head's output (Inception v3; else null). */
    public record Outputs(Tensor output, Tensor aux) {
        /** The outputs that exist, main first. */
        public List<Tensor> all() { return aux == null ? List.of(output) : List.of(output, aux); }
    }

    private final String name;
    private final Backend backend;
    private final int classes, imageSize;
    private final long seed;
    private final L2Loss l2Output = new L2Loss("l2_loss"), l2Aux = new L2Loss("aux_l2_loss");
    private final Model model;
    private Pass pass;          // the pass in progress: its step and the model it builds on
    private final Map<String, Lifetimes> lifetimes = new java.util.HashMap<>(); // per input shape and mode, forward-only steps
    private Args args = Args.slim();

    /**
     * @param name      the registry name, e.g. "resnet152"
     * @param classes   number of classes of the logits (nets without a classifier ignore it)
     * @param imageSize height and width of the input images
     * @param seed      seeds parameter initialisation
     */
    protected Net(String name, Backend backend, int classes, int imageSize, long seed) {
        if (classes <= 0) throw new IllegalArgumentException("the number of classes must be positive, got " + classes);
        if (imageSize <= 0) throw new IllegalArgumentException("the image size must be positive, got " + imageSize);
        this.name = name;
        this.backend = backend;
        this.classes = classes;
        this.imageSize = imageSize;
        this.seed = seed;
        this.model = new Model(backend, seed);
    }

    // ---- what a net is ----

    public final String name() { return name; }

    public final Backend backend() { return backend; }

    public final int classes() { return classes; }

    public final int imageSize() { return imageSize; }

    public final long seed() { return seed; }

    /** The layers and parameters (empty until the first forward or {@link #ensureBuilt()}). */
    public final Model model() { return model; }

    /** One line: what this net is and where it comes from. */
    public abstract String description();

    /** The input size of the seed code (224, or 299 for Inception v3). */
    public abstract int defaultImageSize();

    /** The forward code: images (N, 3, H, W) to the output(s), using the helpers below. */
    protected abstract Outputs build(Tensor images);

    // ---- running ----

    /** Runs the forward code in the step ctx on images (N, 3, imageSize, imageSize). */
    public final Outputs forward(Ctx ctx, Tensor images) {
        Shape s = images.shape();
        if (s.rank() != 4 || s.n() < 1 || s.c() != 3 || s.h() != imageSize || s.w() != imageSize)
            throw new IllegalArgumentException(name + " takes images of shape (N, 3, " + imageSize + ", " + imageSize
                    + "), got " + s);
        // Forward-only steps free each activation after its last reader: the lifetimes are learnt on
        // shapes only (MetaBackend) before the first such step, so even that step holds only what is live.
        if (ctx.tape() == null && !ctx.backend().shapesOnly()) {
            String key = s + (ctx.training() ? " training" : " inference") + (ctx.dropoutActive() ? " dropout" : "");
            ctx.lifetimes(lifetimes.computeIfAbsent(key, k -> ShapePass.lifetimes(this, s, ctx.training(), ctx.dropoutActive())));
        }
        return pass(ctx, images, model);
    }

    /** The step a pass runs in and the model its layers come from (this net's, or a shape pass's own). */
    private record Pass(Ctx ctx, Model model) {}

    /** Runs the forward code once in step c, making or reusing the layers of m. */
    final Outputs pass(Ctx c, Tensor images, Model m) {
        boolean first = !m.built();
        pass = new Pass(c, m);
        args = Args.slim();
        m.beginPass();
        try {
            Outputs out = build(images);
            m.endPass();
            return out;
        } catch (RuntimeException e) {
            if (first) m.close(); // a half-built model cannot be reused: it starts again empty on the next pass
            throw e;
        } finally {
            pass = null;
        }
    }

    /**
     * The forward-backward objective of the seeds, tf.nn.l2_loss of each output (Inception v3:
     * l2(logits) + l2(aux_logits), so every parameter, the auxiliary head's included, gets a
     * gradient). Returns the (1,) losses, to be summed; {@link #backward} starts from them.
     */
    public final List<Tensor> objective(Ctx c, Outputs out) {
        List<Tensor> losses = new ArrayList<>();
        losses.add(l2Output.forward(c, out.output()));
        if (out.aux() != null) losses.add(l2Aux.forward(c, out.aux()));
        return losses;
    }

    /** The objective, then the backward pass from it; parameter gradients end in each Param's grad(). */
    public final List<Tensor> backward(Ctx c, Outputs out) {
        if (c.tape() == null) throw new IllegalStateException("backward needs a step that records a tape (Ctx.training or withGrad)");
        List<Tensor> losses = objective(c, out);
        c.tape().backward(losses.toArray(new Tensor[0]));
        return losses;
    }

    /**
     * Builds the layers and parameters without computing anything: runs the forward code once on
     * shape-only activations (MetaBackend) with this net's model, then drops the shape-only kernel
     * plans so the first real step makes real ones. Parameters are allocated on this net's backend.
     */
    public final void ensureBuilt() {
        if (!model.built()) ShapePass.build(this);
    }

    @Override public void close() {
        model.close();
        l2Output.closePlans();
        l2Aux.closePlans();
    }

    // ---- input sizes and the summary (shape-only passes, see ShapePass) ----

    /** True when the forward code accepts (1, 3, size, size) images (shape inference on MetaBackend). */
    public final boolean fits(int size) { return ShapePass.fits(this, size); }

    /** The smallest input size this net accepts (a binary search with shape inference; cached per net name). */
    public final int minImageSize() { return ShapePass.minImageSize(this); }

    /** Refuses an image size the forward code cannot take; concrete nets call it last in their constructor. */
    protected final void requireImageSize() {
        if (!fits(imageSize)) {
            int min = minImageSize();
            throw new ImageSizeException(name, imageSize, min);
        }
    }

    /** The per-layer table (shapes, parameters, MACs per image), computed on MetaBackend. */
    public final Summary summary() {
        return ShapePass.onMeta(this, imageSize, 1, (m, out) -> Summary.of(this, m, out, 1));
    }

    // ---- slim-like helpers for the forward code ----

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
