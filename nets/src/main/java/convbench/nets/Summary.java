package convbench.nets;

import convbench.engine.Layer;
import convbench.engine.Model;
import convbench.engine.Param;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A net's layers in call order with their output shapes, parameters and multiply-accumulates
 * (conv and dense) per image, and the totals; computed by running the forward code on MetaBackend
 * (see {@link Net#summary()}). {@link #table()} renders it as plain text, {@link #listing()} as a
 * darknet-style build listing.
 *
 * @param outputs      the output shapes at batch 1 (main, then auxiliary)
 * @param trainable    trainable parameters (weights, biases, beta, gamma)
 * @param state        other state: batch-norm moving means and variances
 * @param macsPerImage multiply-accumulates of one image's forward pass (FLOPs = 2 x MACs)
 */
public record Summary(String net, String description, int imageSize, int classes, List<Row> rows,
                      List<Shape> outputs, long trainable, long state, long macsPerImage) {

    /**
     * One layer.
     *
     * @param output the output shape at batch 1
     */
    public record Row(int index, String name, String op, Shape output, long trainable, long state, long macsPerImage) {}

    static Summary of(Net net, Model m, Net.Outputs out, int batch) {
        List<Row> rows = new ArrayList<>();
        long macs = 0;
        int i = 0;
        for (Layer l : m.layers()) {
            long t = 0, s = 0;
            for (Param p : l.params()) {
                if (p.trainable()) t += p.shape().size();
                else s += p.shape().size();
            }
            long perImage = l.macs() / batch;
            macs += perImage;
            rows.add(new Row(i++, l.name(), l.describe(), l.outShape().withBatch(1), t, s, perImage));
        }
        List<Shape> outputs = new ArrayList<>();
        for (Tensor t : out.all()) outputs.add(t.shape().withBatch(1));
        return new Summary(net.name(), net.description(), net.imageSize(), net.classes(), List.copyOf(rows),
                List.copyOf(outputs), m.trainableCount(), m.stateCount(), macs);
    }

    /** Multiply-accumulates per image in billions. */
    public double gmacs() { return macsPerImage / 1e9; }

    /** The row of the layer with this full name, or null. */
    public Row row(String name) {
        for (Row r : rows) if (r.name().equals(name)) return r;
        return null;
    }

    /** A shape with its batch written N: "(N, 64, 56, 56)". */
    public static String batchShape(Shape s) {
        StringBuilder b = new StringBuilder("(N");
        for (int i = 1; i < s.rank(); i++) b.append(", ").append(s.dim(i));
        return b.append(')').toString();
    }

    private static String n(long v) { return String.format(Locale.ROOT, "%,d", v); }

    /** The widest line of {@link #table()}. */
    public static final int WIDTH = 100;

    /** The plain-text table: one row per layer, then the totals; at most {@link #WIDTH} columns. */
    public String table() {
        String[] head = {"#", "layer", "op", "output", "params", "state", "MACs/img"};
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows) {
            cells.add(new String[] {Integer.toString(r.index()), r.name(), r.op(), batchShape(r.output()),
                    r.trainable() == 0 ? "-" : n(r.trainable()), r.state() == 0 ? "-" : n(r.state()),
                    r.macsPerImage() == 0 ? "-" : n(r.macsPerImage())});
        }
        int[] w = new int[head.length];
        for (int c = 0; c < head.length; c++) {
            w[c] = head[c].length();
            for (String[] row : cells) w[c] = Math.max(w[c], row[c].length());
        }
        boolean[] right = {true, false, false, false, true, true, true};
        // at most WIDTH columns: where the names make a row wider, each name gets a line of its own, its cells below it
        int total = 0;
        for (int x : w) total += x + 2;
        boolean ownLine = total - 2 > WIDTH;
        if (ownLine) w[1] = 0;
        StringBuilder b = new StringBuilder();
        b.append(net).append(": ").append(description).append('\n');
        b.append("input (N, 3, ").append(imageSize).append(", ").append(imageSize).append("), ")
                .append(classes).append(" classes\n\n");
        if (ownLine) {
            b.append(" ".repeat(w[0] - 1)).append("#  layer\n");
            head = head.clone();
            head[0] = head[1] = "";
        }
        int start = b.length();
        line(b, head, w, right);
        b.append("-".repeat(b.length() - start - 1)).append('\n');
        for (String[] row : cells) {
            if (ownLine) {
                b.append(" ".repeat(w[0] - row[0].length())).append(row[0]).append("  ").append(row[1]).append('\n');
                row = row.clone();
                row[0] = row[1] = "";
            }
            line(b, row, w, right);
        }
        b.append('\n');
        List<String> outs = new ArrayList<>();
        for (Shape s : outputs) outs.add(batchShape(s));
        b.append("output: ").append(String.join(" + ", outs)).append('\n');
        b.append("trainable parameters: ").append(n(trainable)).append('\n');
        b.append("other state (batch-norm moving statistics): ").append(n(state)).append('\n');
        b.append(String.format(Locale.ROOT, "MACs per image: %s (%.3f GMACs, %.3f GFLOPs)%n", n(macsPerImage), gmacs(), 2 * gmacs()));
        return b.toString();
    }

    private static void line(StringBuilder b, String[] cells, int[] w, boolean[] right) {
        for (int c = 0; c < cells.length; c++) {
            String pad = " ".repeat(w[c] - cells[c].length());
            b.append(right[c] ? pad + cells[c] : cells[c] + pad);
            if (c < cells.length - 1) b.append("  ");
        }
        int end = b.length();
        while (end > 0 && b.charAt(end - 1) == ' ') end--;
        b.setLength(end);
        b.append('\n');
    }

    /** A darknet-style build listing: one line per layer, op, output (C x H x W), GMACs, name. */
    public String listing() {
        int opWidth = 4;
        for (Row r : rows) opWidth = Math.max(opWidth, r.op().length());
        StringBuilder b = new StringBuilder();
        for (Row r : rows) {
            Shape s = r.output();
            String out = s.rank() == 4 ? String.format(Locale.ROOT, "%4d x%4d x%4d", s.c(), s.h(), s.w())
                    : String.format(Locale.ROOT, "%4d", s.dim(1));
            b.append(String.format(Locale.ROOT, "%4d %-" + opWidth + "s -> %-18s %7.3f GMACs  %s%n",
                    r.index(), r.op(), out, r.macsPerImage() / 1e9, r.name()));
        }
        b.append(String.format(Locale.ROOT, "total %.3f GMACs per image, %s trainable parameters%n", gmacs(), n(trainable)));
        return b.toString();
    }
}
