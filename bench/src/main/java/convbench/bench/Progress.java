package convbench.bench;

import java.io.PrintWriter;

/**
 * A progress bar on stderr, drawn between steps (never inside the timed region), only when stderr
 * is a terminal and not --quiet; redrawn at most ten times a second.
 */
final class Progress {
    private final PrintWriter err;
    private final boolean enabled;
    private long lastDraw;
    private boolean drawn;

    Progress(PrintWriter err) {
        this.err = err;
        this.enabled = err != null && System.console() != null && System.getenv("CONVBENCH_NO_PROGRESS") == null;
    }

    void show(String what, int done, int total) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        int width = 30, filled = (int) ((long) width * done / Math.max(1, total));
        err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total + " " + what + "   ");
        err.flush();
        drawn = true;
    }

    void clear() {
        if (!enabled || !drawn) return;
        err.print("\r" + " ".repeat(100) + "\r");
        err.flush();
        drawn = false;
    }
}
