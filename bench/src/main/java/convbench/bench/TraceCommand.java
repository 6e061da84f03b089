package convbench.bench;

import convbench.engine.Ctx;
import convbench.engine.Layer;
import convbench.engine.LayerListener;
import convbench.engine.MetaBackend;
import convbench.engine.tensor.Shape;
import convbench.engine.Tape;
import convbench.engine.tensor.Tensor;
import convbench.nets.Net;
import convbench.nets.Nets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Teaching: the tape of one forward-backward, on shapes only (nothing is computed, so any net at any
 * size answers at once). First each op's forward in order with what it reads and makes; then the tape
 * walked in reverse, each op saying which gradients it writes and whether it overwrites (the first
 * contribution), accumulates (a second reader's, where branches join) or aliases (dx is dy itself).
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Prints the tape of one forward-backward, on shapes only.",
                "Each op's forward with its input and output shapes, then the backward walk in reverse.",
                "Each op says which gradients it writes: overwrite, accumulate or alias.",
                "Example: bench trace alexnet-conv; bench trace resnet50 --layers 'block1/unit_1/'"})
final class TraceCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET", description = "The net (see bench list).") String net;

    @Option(names = "--layers", paramLabel = "PATTERN",
            description = "Only layers whose name contains a match of this regular expression (default: all).")
    String pattern;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "Images per batch (default: ${DEFAULT-VALUE}).") int batch;

    @Option(names = "--image-size", paramLabel = "PX", description = "Input height and width (default: the seed's).") Integer imageSize;

    @Option(names = "--classes", defaultValue = "1000", paramLabel = "N", description = "Classes of the classifier (default: ${DEFAULT-VALUE}).")
    int classes;

    /** Lines longer than this put the shapes, or each gradient written, on lines of their own. */
    private static final int WIDTH = 100;

    /** A tensor's name relative to the layer's scope: ".../conv2/BatchNorm" for a neighbour in the same unit. */
    static String relative(String of, String layer) {
        int common = 0;
        for (int i = 0; i < Math.min(of.length(), layer.length()) && of.charAt(i) == layer.charAt(i); i++)
            if (of.charAt(i) == '/') common = i + 1;
        return common == 0 ? of : ".../" + of.substring(common);
    }

    private record Fwd(int index, Layer layer, String in, String out, boolean taped) {}

    private record Bwd(int index, Layer layer, String writes) {}

    @Override public void run() {
        if (batch < 1) throw new UsageException("--batch must be positive, got " + batch);
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        Pattern filter;
        try {
            filter = pattern == null ? null : Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            throw new UsageException("--layers '" + pattern + "' is not a regular expression: " + e.getDescription());
        }
        Nets.Spec s = Nets.spec(net);
        int size = imageSize != null ? imageSize : s.defaultImageSize();
        List<Fwd> forward = new ArrayList<>();
        List<Bwd> backward = new ArrayList<>();
        int[] taped = {0};
        MetaBackend meta = new MetaBackend();
        try (Net n = s.create(meta, classes, size, 1); Tensor x = meta.alloc(Shape.nchw(batch, 3, size, size));
             Ctx ctx = Ctx.training(meta, 1)) {
            ctx.listener(new LayerListener() {
                @Override public void forwarded(Layer layer, Tensor[] inputs, Tensor[] outputs) {
                    StringJoiner in = new StringJoiner(" + "), out = new StringJoiner(" + ");
                    for (Tensor t : inputs) in.add(t.shape().toString());
                    for (Tensor t : outputs) out.add(t.shape().toString());
                    boolean onTape = ctx.tape().size() > taped[0];
                    taped[0] = ctx.tape().size();
                    forward.add(new Fwd(forward.size() + 1, layer, inputs.length == 0 ? "(passes its input through)" : in.toString(), out.toString(), onTape));
                }

                @Override public void gradientsWritten(Layer layer, List<Tape.Write> writes) {
                    StringJoiner w = new StringJoiner(", ");
                    for (Tape.Write g : writes) w.add("d " + relative(g.of(), layer.name()) + " (" + g.how() + ")");
                    int index = 0;
                    for (Fwd f : forward) if (f.layer() == layer) index = f.index();
                    backward.add(new Bwd(index, layer, writes.isEmpty() ? "nothing (no input needs a gradient)" : w.toString()));
                }
            });
            n.backward(ctx, n.forward(ctx, x));
        }
        PrintWriter out = spec.commandLine().getOut();
        int width = 5, opWidth = 2;
        for (Fwd f : forward) {
            if (filter != null && !filter.matcher(f.layer().name()).find()) continue;
            width = Math.max(width, f.layer().name().length());
            opWidth = Math.max(opWidth, f.layer().describe().length());
        }
        out.println(TextReport.f("trace %s: the tape of one forward-backward, batch %d at %dx%d, objective l2_loss", s.name(), batch, size, size));
        out.println("(shapes only: nothing is computed)" + (filter == null ? "" : "; layers matching '" + pattern + "'"));
        out.println();
        out.println("forward, in order (* = recorded on the tape, because a gradient will flow through it):");
        int shown = 0;
        for (Fwd f : forward) {
            if (filter != null && !filter.matcher(f.layer().name()).find()) continue;
            shown++;
            String line = TextReport.f("%5d %s %-" + width + "s  %-" + opWidth + "s  %s -> %s", f.index(), f.taped() ? "*" : " ",
                    f.layer().name(), f.layer().describe(), f.in(), f.out());
            if (line.length() <= WIDTH) out.println(line);
            else out.println(TextReport.f("%5d %s %s  %s%n          %s -> %s", f.index(), f.taped() ? "*" : " ", f.layer().name(),
                    f.layer().describe(), f.in(), f.out()));
        }
        out.println();
        out.println("backward, the tape walked in reverse (d T = the gradient of the loss with respect to T: a parameter,");
        out.println("or the output of the layer named; overwrite = its first contribution, accumulate = added to another");
        out.println("reader's, alias = dy itself, no copy):");
        for (Bwd b : backward) {
            if (filter != null && !filter.matcher(b.layer().name()).find()) continue;
            String line = TextReport.f("%5d   %-" + width + "s  writes %s", b.index(), b.layer().name(), b.writes());
            if (line.length() <= WIDTH) out.println(line);
            else out.println(TextReport.f("%5d   %s%n          writes %s", b.index(), b.layer().name(), b.writes().replace(", d ", ",\n                 d ")));
        }
        out.println();
        out.println(TextReport.f("%d ops forward (%d shown), %d on the tape, %d backward", forward.size(), shown, taped[0], backward.size()));
        out.flush();
        if (filter != null && shown == 0) throw new UsageException("no layer of " + s.name() + " matches --layers '" + pattern + "'");
    }
}
