package convbench.nets;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.Lifetimes;
import convbench.engine.MetaBackend;
import convbench.engine.Model;
import convbench.engine.tensor.Shape;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * What a net's forward code tells on shapes only (MetaBackend, nothing computed): whether an input size
 * fits, the smallest that does, the per-layer summary, which op reads each activation last. Each pass but
 * {@link #build} makes its own model on MetaBackend, so the net's own model is never touched.
 */
final class ShapePass {
    private ShapePass() {}

    private static final Map<String, Integer> MIN_SIZES = new ConcurrentHashMap<>();

    /** Makes the net's own layers and parameters (on its backend) with one shape-only pass, then drops the shape-only plans. */
    static void build(Net net) {
        MetaBackend meta = new MetaBackend();
        try (Ctx c = Ctx.inference(meta)) {
            net.pass(c, meta.alloc(Shape.nchw(1, 3, net.imageSize(), net.imageSize())), net.model());
        }
        for (Layer l : net.model().layers()) l.closePlans();
    }

    /**
     * Runs the forward code in inference mode on shape-only (batch, 3, size, size) images with a fresh
     * model on MetaBackend, and hands that model and the outputs to f.
     */
    static <T> T onMeta(Net net, int size, int batch, BiFunction<Model, Net.Outputs, T> f) {
        MetaBackend meta = new MetaBackend();
        Model model = new Model(meta, net.seed());
        try (Ctx c = Ctx.inference(meta)) {
            Net.Outputs out = net.pass(c, meta.alloc(Shape.nchw(batch, 3, size, size)), model);
            return f.apply(model, out);
        }
    }

    /** True when the forward code accepts (1, 3, size, size) images. */
    static boolean fits(Net net, int size) {
        if (size <= 0) return false;
        try {
            onMeta(net, size, 1, (m, out) -> true);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The smallest input size the net accepts: a binary search with shape inference, cached per net name. */
    static int minImageSize(Net net) {
        return MIN_SIZES.computeIfAbsent(net.name(), k -> {
            int hi = Math.max(net.defaultImageSize(), net.imageSize());
            while (!fits(net, hi)) {
                if (hi > 8192) throw new IllegalStateException(net.name() + " accepts no input size up to " + hi);
                hi *= 2;
            }
            int lo = 0; // fits(lo) is false, fits(hi) is true
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (fits(net, mid)) hi = mid;
                else lo = mid;
            }
            return hi;
        });
    }

    /** Records which op reads each activation last, by running the forward code on shapes only with its own model. */
    static Lifetimes lifetimes(Net net, Shape images, boolean training, boolean dropout) {
        Lifetimes l = new Lifetimes();
        MetaBackend meta = new MetaBackend();
        Model model = new Model(meta, net.seed());
        try (Ctx c = new Ctx(meta, training, false, 0).withDropout(dropout).lifetimes(l)) {
            net.pass(c, meta.alloc(images), model);
        }
        return l;
    }
}
