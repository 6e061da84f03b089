package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.Lifetimes;
import convbench.engine.Model;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.ops.BatchNorm;
import convbench.engine.ops.L2Loss;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 * initialisers) until closed. The helpers are in {@link Slim}.
 *
 * <p>Inputs are NCHW images (N, 3, size, size). Modes come from the step's {@link Ctx}: inference
 * uses the batch-norm moving statistics and no dropout; training uses batch statistics, updates the
 * moving averages and applies dropout (unless the Ctx turns it off). Parameters are initialised
 * deterministically from the model seed, per parameter name.
 */
public abstract class Net extends Slim implements AutoCloseable {
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
    private final Map<String, Lifetimes> lifetimes = new java.util.HashMap<>(); // per input shape and mode, forward-only steps

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

    /** Runs the forward code once in step c, making or reusing the layers of m. */
    final Outputs pass(Ctx c, Tensor images, Model m) {
        boolean first = !m.built();
        begin(c, m);
        m.beginPass();
        try {
            Outputs out = build(images);
            m.endPass();
            return out;
        } catch (RuntimeException e) {
            if (first) m.close(); // a half-built model cannot be reused: it starts again empty on the next pass
            throw e;
        } finally {
            end();
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
}
