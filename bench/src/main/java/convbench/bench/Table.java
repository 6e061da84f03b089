package convbench.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A plain-text table whose columns are as wide as their content: numbers right-aligned, text left.
 * Where a row would pass {@link #WIDTH} columns, its first cell (a long layer name) goes on a line
 * of its own and the other cells follow on the next, indented, so every line fits.
 */
final class Table {
    static final int WIDTH = 100;
    private static final Pattern NUMBER = Pattern.compile("[-+]?[\\d,.]+[%x]?|-|");

    private final String[] head;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... head) { this.head = head; }

    Table row(String... cells) {
        if (cells.length != head.length) throw new IllegalArgumentException(cells.length + " cells for " + head.length + " columns");
        rows.add(cells);
        return this;
    }

    String render(String indent) {
        int n = head.length;
        int[] w = new int[n];
        boolean[] right = new boolean[n];
        for (int c = 0; c < n; c++) {
            w[c] = head[c].length();
            right[c] = true; // unless a cell is not a number
            for (String[] r : rows) {
                w[c] = Math.max(w[c], r[c].length());
                if (!NUMBER.matcher(r[c]).matches()) right[c] = false;
            }
        }
        int rest = 0;
        for (int c = 1; c < n; c++) rest += 2 + w[c];
        int firstMax = WIDTH - indent.length() - rest;
        boolean wrap = w[0] > firstMax;
        if (wrap) w[0] = Math.max(head[0].length(), Math.min(w[0], firstMax));
        StringBuilder b = new StringBuilder();
        line(b, indent, head, w, right, false);
        for (String[] r : rows) line(b, indent, r, w, right, wrap && r[0].length() > w[0]);
        return b.toString();
    }

    private static void line(StringBuilder b, String indent, String[] cells, int[] w, boolean[] right, boolean ownLine) {
        StringBuilder l = new StringBuilder(indent);
        if (ownLine) {
            b.append(indent).append(cells[0]).append('\n');
            l.append(" ".repeat(w[0]));
        }
        for (int c = 0; c < cells.length; c++) {
            if (c == 0 && ownLine) continue;
            if (c > 0) l.append("  ");
            String pad = " ".repeat(Math.max(0, w[c] - cells[c].length()));
            l.append(right[c] ? pad + cells[c] : cells[c] + pad);
        }
        int end = l.length();
        while (end > 0 && l.charAt(end - 1) == ' ') end--;
        l.setLength(end);
        b.append(l).append('\n');
    }
}
