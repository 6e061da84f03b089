package convbench.engine.ops;

import convbench.engine.spec.PoolMode;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.PlanCache;
import convbench.engine.Padding;
import convbench.engine.tensor.Shape;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.PoolDesc;
import convbench.engine.plan.PoolPlan;

/**
 * Max or average pooling, TF semantics. Max: y = max over the window, padding counts as -infinity.
 * Average: y = mean over the window's cells that lie inside x (padding left out of the divisor).
 */
public final class Pool extends Layer {
    private final PoolMode mode;
    private final int kh, kw, sh, sw;
    private final Padding padding;
    private final PlanCache<Shape, PoolPlan> plan = planCache();

    public Pool(String name, PoolMode mode, int kh, int kw, int sh, int sw, Padding padding) {
        super(name);
        this.mode = mode;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.padding = padding;
    }

    public static Pool max(String name, int k, int stride, Padding padding) {
        return new Pool(name, PoolMode.MAX, k, k, stride, stride, padding);
    }

    public static Pool avg(String name, int k, int stride, Padding padding) {
        return new Pool(name, PoolMode.AVG, k, k, stride, stride, padding);
    }

    /** The window of the last forward (shape, kernel, strides, pads), or null before the first. */
    public PoolDesc desc() { return plan.current() == null ? null : plan.current().desc(); }

    private String op() { return mode == PoolMode.MAX ? "max_pool" : "avg_pool"; }

    @Override public String describe() {
        return (mode == PoolMode.MAX ? "max pool " : "avg pool ") + Geometry.window(kh, kw, sh, sw) + " " + padding;
    }

    private PoolPlan plan(Backend be, Shape x) {
        return plan.get(x, s -> {
            int[] p = Geometry.pads(op(), name(), s, kh, kw, sh, sw, padding);
            return be.pool(new PoolDesc(s, mode, kh, kw, sh, sw, p[0], p[1], p[2], p[3]));
        });
    }

    public Tensor forward(Ctx ctx, Tensor x) {
        ctx.begin(this);
        PoolPlan p = plan(ctx.backend(), x.shape());
        Tensor y = ctx.alloc(p.desc().y());
        p.forward(x, y);
        return ctx.end(this, y, () -> backward(ctx.tape(), p, x, y), x);
    }

    /**
     * Max: dx[window argmax] += dy (the first maximum in row-major window order when tied);
     * average: dx[cell] += dy / count for each real cell of each window containing it.
     */
    private void backward(Tape tape, PoolPlan p, Tensor x, Tensor y) {
        var dx = tape.gradFor(x);
        if (dx != null) p.backward(x, y, tape.grad(y), dx);
    }

    /**
     * The reference arithmetic of pooling (float64 plain loops). Max: padding is -infinity;
     * average: padded cells are left out of the divisor (TF SAME, cuDNN COUNT_EXCLUDE_PADDING).
     * x (N, C, H, W), y (N, C, OH, OW).
     */
    public static final class Reference {
        private Reference() {}

        /** y[n,c,i,j] = max, or sum / count, over the window's cells inside x. y is overwritten. */
        public static void forward(PoolDesc d, double[] x, double[] y) {
            int h = d.x().h(), w = d.x().w(), oh = d.outH(), ow = d.outW();
            for (int plane = 0; plane < d.x().n() * d.x().c(); plane++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double max = Double.NEGATIVE_INFINITY, sum = 0;
                        int count = 0;
                        for (int p = 0; p < d.kh(); p++)
                            for (int q = 0; q < d.kw(); q++) {
                                int ih = i * d.strideH() + p - d.padTop(), iw = j * d.strideW() + q - d.padLeft();
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                double v = x[(plane * h + ih) * w + iw];
                                max = Math.max(max, v);
                                sum += v;
                                count++;
                            }
                        y[(plane * oh + i) * ow + j] = d.mode() == PoolMode.MAX ? max : sum / count;
                    }
        }

        /**
         * Max: dx[first argmax of the window, row-major] += dy[n,c,i,j];
         * average: dx[cell] += dy[n,c,i,j] / count for each of the window's count cells inside x. Accumulates into dx.
         */
        public static void backward(PoolDesc d, double[] x, double[] dy, double[] dx) {
            int h = d.x().h(), w = d.x().w(), oh = d.outH(), ow = d.outW();
            for (int plane = 0; plane < d.x().n() * d.x().c(); plane++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double g = dy[(plane * oh + i) * ow + j], max = Double.NEGATIVE_INFINITY;
                        int arg = -1, count = 0;
                        for (int p = 0; p < d.kh(); p++)
                            for (int q = 0; q < d.kw(); q++) {
                                int ih = i * d.strideH() + p - d.padTop(), iw = j * d.strideW() + q - d.padLeft();
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                int at = (plane * h + ih) * w + iw;
                                if (x[at] > max) {
                                    max = x[at];
                                    arg = at;
                                }
                                count++;
                            }
                        if (d.mode() == PoolMode.MAX) {
                            dx[arg] += g;
                            continue;
                        }
                        for (int p = 0; p < d.kh(); p++)
                            for (int q = 0; q < d.kw(); q++) {
                                int ih = i * d.strideH() + p - d.padTop(), iw = j * d.strideW() + q - d.padLeft();
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) dx[(plane * h + ih) * w + iw] += g / count;
                            }
                    }
        }
    }
}
