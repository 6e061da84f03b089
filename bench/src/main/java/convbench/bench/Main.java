package convbench.bench;

import convbench.engine.OpException;
import convbench.nets.ImageSizeException;
import convbench.nets.UnknownNetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

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
                SweepCommand.class, DumpCommand.class, GradcheckCommand.class, VerifyCommand.class, TraceCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final String VERSION = "0.1.0";
    private static final Set<String> COMMANDS = Set.of("run", "list", "summary", "compare", "sweep", "dump", "gradcheck", "verify", "trace", "help");
    /** Commands that do no arithmetic: they need no Vector API, so no second JVM. */
    private static final Set<String> NO_ARITHMETIC = Set.of("list", "summary", "trace", "help");
    private static final Set<String> HELP = Set.of("-h", "--help", "-V", "--version");

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() { return new String[] {"convbench " + VERSION}; }
    }

    @Override public void run() {
        throw new UsageException("name a net or a command, e.g. `java -jar bench.jar alexnet` or `java -jar bench.jar list`");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        if (arithmetic(args) && Relaunch.needed()) System.exit(Relaunch.run(args));
        System.exit(run(args, System.out, System.err));
    }

    /**
     * The command line as picocli parses it: a net or an option first means run, so
     * {@code bench alexnet --batch 4} and {@code bench --batch 4 alexnet} are the same.
     */
    static List<String> normalize(String[] args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        if (!a.isEmpty() && !COMMANDS.contains(a.get(0)) && !HELP.contains(a.get(0))) a.add(0, "run");
        return a;
    }

    /** Whether the command runs arithmetic (times, dumps, checks a net), and so needs the Vector API; help and listings do not. */
    static boolean arithmetic(String[] args) {
        List<String> a = normalize(args);
        if (a.isEmpty() || NO_ARITHMETIC.contains(a.get(0))) return false;
        for (String s : a) if (HELP.contains(s)) return false;
        return true;
    }

    /** Runs the command line with the given streams and returns the exit code (0, 1 or 2). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> a = normalize(args);
        CommandLine cmd = new CommandLine(new Main());
        // descriptions of options whose source leaves them out (gradcheck's), so every option says what it does
        PrintWriter o = new PrintWriter(out, true), e = new PrintWriter(err, true);
        cmd.setOut(o);
        cmd.setErr(e);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setOverwrittenOptionsAllowed(true); // a later --steps wins, as in most tools
        cmd.setParameterExceptionHandler((ex, argv) -> {
            e.println("bench: " + usageMessage(ex));
            return 2;
        });
        cmd.setExecutionExceptionHandler((ex, command, parsed) -> report(ex, e));
        try {
            return cmd.execute(a.toArray(new String[0]));
        } catch (OutOfMemoryError oom) {
            long heap = Runtime.getRuntime().maxMemory();
            e.println("bench: the Java heap (at most " + TextReport.bytes(heap) + ") ran out of memory: use a smaller --batch, or give Java more "
                    + "with -Xmx (e.g. java -Xmx" + 2 * Math.max(1, heap >> 30) + "g -jar bench.jar ...)");
            return 1;
        }
    }

    /** picocli's complaint as one sentence with the command's help to see; a stray word is named as the user typed it. */
    static String usageMessage(CommandLine.ParameterException ex) {
        String name = ex.getCommandLine().getCommandName();
        String help = name.equals("bench") ? "bench --help" : "bench " + name + " --help";
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            String word = u.getUnmatched().get(0);
            String takes = name.equals("run") || name.equals("sweep") || name.equals("summary") || name.equals("dump") || name.equals("gradcheck")
                    ? name + " takes one net" : name + " takes no such argument";
            return "unexpected argument '" + word + "': " + takes + " (see " + help + ")";
        }
        String m = ex.getMessage();
        if (m.startsWith("Missing required parameter: 'NET'")) m = name + " needs a net, e.g. bench " + name + " alexnet";
        return m + " (see " + help + ")";
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
}
