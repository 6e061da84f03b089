package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.LayerListener;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.init.Init;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The tensors of one forward-backward step of a net, in a safetensors file, for comparing this
 * engine with another (a GPU backend, PyTorch, TF) tensor by tensor.
 *
 * <p>The step: training mode (batch-norm batch statistics, moving averages updated) with dropout
 * off; input images (batch, 3, size, size) drawn from a normal distribution with mean 0 and
 * stddev 0.1 (as seeds 000 and 002 draw theirs) by a generator seeded from the seed ({@link #input});
 * parameters initialised from the same seed; objective the l2 loss of the output(s).
 *
 * <p>The file holds {@code input}, {@code output} ({@code aux_output} for inception3), {@code loss}
 * (the objective's value, shape (1,)), every parameter under its name with the values the step ran
 * with (batch-norm moving statistics included: they are parameters too, not trainable), the gradient
 * of every trainable parameter as {@code grad/<name>}, and the moving statistics after the step's
 * update as {@code updated/<name>}. Layouts: NCHW; conv weights (out, in, kh, kw); dense weights (out, in).
 * The __metadata__ map records net, batch, image size, classes, seed, mode, input and objective.
 */
public final class TensorDump {
    private TensorDump() {}

    /** The stddev of the normal input images. */
    public static final double INPUT_STDDEV = 0.1;

    /** What was written. */
    public record Result(Path file, float loss, int tensors) {}

    /** The input of a dump: (batch, 3, size, size) values from normal(0, 0.1), seeded by seed. */
    public static float[] input(long seed, int batch, int size) {
        float[] v = new float[Math.multiplyExact(Math.multiplyExact(batch, 3), Math.multiplyExact(size, size))];
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < v.length; i++) v[i] = (float) (INPUT_STDDEV * Init.gaussian(rng));
        return v;
    }

    /**
     * Runs one forward-backward step of net (which brings its classes, image size and seed) at this
     * batch on its backend and writes the tensors to file (atomically).
     */
    public static Result write(Net net, int batch, Path file) throws IOException {
        if (batch <= 0) throw new IllegalArgumentException("the batch must be positive, got " + batch);
        Backend be = net.backend();
        int size = net.imageSize();
        Map<String, float[]> stateBefore = new HashMap<>();
        try (Ctx ctx = new Ctx(be, true, true, net.seed()).withDropout(false)) {
            // Moving statistics as the step found them, taken just before each layer's forward changes them.
            ctx.listener(new LayerListener() {
                @Override public void beforeForward(Layer layer) {
                    for (Param p : layer.params()) if (!p.trainable()) stateBefore.put(p.name(), p.value().toFloats());
                }
            });
            float[] in = input(net.seed(), batch, size);
            Tensor x = ctx.alloc(Shape.nchw(batch, 3, size, size)).set(in);
            Net.Outputs out = net.forward(ctx, x);
            List<Tensor> losses = net.backward(ctx, out);
            float loss = 0;
            for (Tensor l : losses) loss += l.toFloats()[0];
            final float total = loss;

            List<SafeTensors.Entry> entries = new ArrayList<>();
            entries.add(new SafeTensors.Entry("input", x.shape(), () -> in));
            entries.add(new SafeTensors.Entry("output", out.output().shape(), out.output()::toFloats));
            if (out.aux() != null) entries.add(new SafeTensors.Entry("aux_output", out.aux().shape(), out.aux()::toFloats));
            entries.add(new SafeTensors.Entry("loss", Shape.of(1), () -> new float[] {total}));
            List<Param> params = net.model().params();
            for (Param p : params) {
                float[] before = stateBefore.get(p.name());
                entries.add(new SafeTensors.Entry(p.name(), p.shape(), before != null ? () -> before : p.value()::toFloats));
            }
            for (Param p : params)
                if (p.trainable()) entries.add(new SafeTensors.Entry("grad/" + p.name(), p.shape(), p.grad()::toFloats));
            for (Param p : params)
                if (!p.trainable()) entries.add(new SafeTensors.Entry("updated/" + p.name(), p.shape(), p.value()::toFloats));

            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "convbench tensor dump 1");
            meta.put("net", net.name());
            meta.put("batch", Integer.toString(batch));
            meta.put("image_size", Integer.toString(size));
            meta.put("classes", Integer.toString(net.classes()));
            meta.put("seed", Long.toString(net.seed()));
            meta.put("mode", "training (batch-norm batch statistics, moving averages updated), dropout off");
            meta.put("input", "normal(0, " + INPUT_STDDEV + ") from java.util.SplittableRandom(seed ^ 0x5DEECE66D), Box-Muller");
            meta.put("objective", out.aux() == null ? "l2_loss(output)" : "l2_loss(output) + l2_loss(aux_output)");
            meta.put("layout", "NCHW; conv weights (out, in, kh, kw); dense weights (out, in); flatten in NCHW order");
            meta.put("state", "parameters hold the values the step ran with; updated/<name> the moving statistics after it");
            meta.put("backend", be.name());
            SafeTensors.write(file, meta, entries);
            return new Result(file, total, entries.size());
        }
    }

    /**
     * Loads every parameter of net's model (moving statistics included) from a safetensors file,
     * by name. All names and shapes are checked before any value is changed; a missing tensor or a
     * shape mismatch is refused naming the tensor. Other tensors in the file are ignored.
     */
    public static void loadParams(Net net, Path file) throws IOException {
        SafeTensors st = SafeTensors.open(file);
        net.ensureBuilt();
        String writtenFor = st.metadata().get("net");
        String origin = writtenFor == null ? "" : " (the file was written for " + writtenFor + ")";
        List<Param> params = net.model().params();
        for (Param p : params) {
            Shape s = st.shape(p.name());
            if (s == null)
                throw new TensorFileException("tensor '" + p.name() + "' that " + net.name() + " needs is missing from " + file + origin);
            if (!s.equals(p.shape()))
                throw new TensorFileException("tensor '" + p.name() + "' in " + file + " has shape " + s + " but " + net.name()
                        + " expects " + p.shape() + origin);
        }
        for (Param p : params) p.value().set(st.read(p.name()));
    }
}
