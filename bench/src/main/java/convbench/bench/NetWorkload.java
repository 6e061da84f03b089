package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.LayerListener;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;
import convbench.engine.ops.SgdMomentum;
import convbench.nets.Net;
import convbench.nets.Nets;

import java.util.SplittableRandom;

/**
 * A network and one batch of input images on a backend. The images are drawn once, like seed 000's
 * tf.random_normal(stddev=1e-1) variable, and stay on the device; timing does not depend on the values.
 */
final class NetWorkload implements Workload {
    private final Net net;
    private final int batch;
    private final long seed;
    private Tensor images; // (N, 3, size, size)
    private SgdMomentum sgd;

    NetWorkload(Backend backend, String name, int batch, int imageSize, int classes, long seed) {
        this.net = Nets.create(name, backend, classes, imageSize, seed);
        this.batch = batch;
        this.seed = seed;
    }

    Net net() { return net; }

    @Override public Backend backend() { return net.backend(); }

    @Override public String name() { return net.name(); }

    @Override public int batch() { return batch; }

    @Override public void prepare() {
        if (images != null) return;
        net.ensureBuilt();
        int size = net.imageSize();
        Shape s = Shape.nchw(batch, 3, size, size);
        float[] v = new float[s.intSize()];
        SplittableRandom rng = new SplittableRandom(seed * 31 + 17);
        for (int i = 0; i < v.length; i++) v[i] = (float) (0.1 * Init.gaussian(rng));
        images = net.backend().of(s, v);
    }

    @Override public void step(Mode mode, long stepSeed, LayerListener listener) {
        Backend be = net.backend();
        if (mode == Mode.FORWARD) {
            try (Ctx ctx = Ctx.inference(be)) {
                if (listener != null) ctx.listener(listener);
                net.forward(ctx, images);
            }
            return;
        }
        try (Ctx ctx = Ctx.training(be, stepSeed)) {
            if (listener != null) ctx.listener(listener);
            net.backward(ctx, net.forward(ctx, images));
        }
        if (mode == Mode.TRAIN) {
            if (sgd == null) sgd = new SgdMomentum(0.01, 0.9);
            sgd.step(net.model().trainable());
        }
    }

    @Override public void close() {
        if (images != null) images.close();
        if (sgd != null) sgd.close();
        net.close();
    }
}
