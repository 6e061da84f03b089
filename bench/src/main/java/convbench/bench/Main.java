package convbench.bench;

import convbench.engine.OpException;
import convbench.nets.ImageSizeException;
import convbench.nets.UnknownNetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * bench.jar: {@code java -jar bench.jar <net> [options]} times a net; subcommands list, summary,
 * compare, sweep, dump and gradcheck. Errors are one sentence on stderr, exit code 2 for usage
 * errors and 1 for failures at run time.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Times the classic CNNs of the seed documents, forward and forward-backward per batch.",
                "Run: bench <net> [options] (see bench run --help). Nets: alexnet, alexnet-conv, vgg16, inception3, resnet50, resnet101, resnet152, resnet200."},
        subcommands = {RunCommand.class, ListCommand.class, SummaryCommand.class, CompareCommand.class,
                SweepCommand.class, DumpCommand.class, GradcheckCommand.class, VerifyCommand.class, TraceCommand.class})
public final class Main implements Runnable {
    static final String VERSION = "0.1.0";
    private static final Set<String> COMMANDS = Set.of("run", "list", "summary", "compare", "sweep", "dump", "gradcheck", "verify", "trace", "help");

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() { return new String[] {"convbench " + VERSION}; }
    }

    @Override public void run() {
        throw new UsageException("name a net or a command, e.g. `java -jar bench.jar alexnet` or `java -jar bench.jar list`");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        if (Relaunch.needed()) System.exit(Relaunch.run(args));
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line with the given streams and returns the exit code (0, 1 or 2). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        if (!a.isEmpty() && !a.get(0).startsWith("-") && !COMMANDS.contains(a.get(0))) a.add(0, "run");
        CommandLine cmd = new CommandLine(new Main());
        PrintWriter o = new PrintWriter(out, true), e = new PrintWriter(err, true);
        cmd.setOut(o);
        cmd.setErr(e);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setOverwrittenOptionsAllowed(true); // a later --steps wins, as in most tools
        cmd.setParameterExceptionHandler((ex, argv) -> {
            e.println("bench: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cmd.setExecutionExceptionHandler((ex, command, parsed) -> report(ex, e));
        try {
            return cmd.execute(a.toArray(new String[0]));
        } catch (OutOfMemoryError oom) {
            e.println("bench: the Java heap ran out of memory: use a smaller --batch, or give Java more with -Xmx (e.g. java -Xmx16g -jar bench.jar ...)");
            return 1;
        }
    }

    /** One sentence for each failure a user can cause; a stack trace only with CONVBENCH_DEBUG set. */
    static int report(Exception ex, PrintWriter e) {
        if (System.getenv("CONVBENCH_DEBUG") != null) ex.printStackTrace(e);
        if (ex instanceof UsageException || ex instanceof UnknownNetException || ex instanceof ImageSizeException
                || ex instanceof OpException) {
            e.println("bench: " + ex.getMessage());
            return 2;
        }
        if (ex instanceof RunFailure) {
            e.println("bench: " + ex.getMessage());
            return 1;
        }
        e.println("bench: internal error: " + ex + " (set CONVBENCH_DEBUG=1 for the stack trace and report it)");
        return 1;
    }

    /** The jar this class was loaded from, or null (running from classes, e.g. in tests). */
    static File jar() {
        try {
            File f = new File(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return f.isFile() ? f : null;
        } catch (Exception e) {
            return null;
        }
    }
}
