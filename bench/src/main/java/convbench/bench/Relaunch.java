package convbench.bench;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU backend's matrix kernel needs the incubating Vector API, which a JVM only has when started
 * with --add-modules jdk.incubator.vector (a jar's manifest cannot ask for it). So
 * {@code java -jar bench.jar} starts a second JVM with that flag and the same arguments, and
 * passes its exit code on, for the commands that do arithmetic (not --help, --version, list,
 * summary). The options the first JVM was given (-Xmx and the like) are passed on. Set
 * CONVBENCH_NO_RELAUNCH=1 to run in the first JVM instead (with the portable, much slower kernel).
 * <p>
 * The second JVM uses the serial collector unless a collector was chosen: a step's memory is a pool
 * of long-lived float arrays that is reused every step, and little else, so there is little for a
 * collector to do, while G1's heap sizing grew the process to twice that pool and more (resnet152 at
 * batch 4: 1.5 GiB with G1, 0.6 GiB serial, the same step time; vgg16 and inception3 training steps
 * 10 to 15 % faster serial, from fewer and cheaper collections). Its young generation is 64 MiB unless the
 * heap was sized: what a step allocates afresh is small, while the serial default (a third of the heap)
 * kept pages resident for nothing (vgg16 batch 4 forward 1.27 GiB -> 0.92 GiB, training 2.06 -> 1.70 GiB,
 * no slower).
 */
final class Relaunch {
    /** The young generation the relaunch gives the second JVM unless its heap was sized (-Xmx, -Xmn, -XX:NewSize...). */
    static final String YOUNG = "64m";

    private Relaunch() {}

    static boolean needed() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()
                && System.getenv("CONVBENCH_NO_RELAUNCH") == null;
    }

    static int run(String[] args) {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        List<String> given = jvmArguments();
        cmd.addAll(defaults(given));
        cmd.addAll(given);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path")); // bench.jar under java -jar
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put("CONVBENCH_NO_RELAUNCH", "1");
        try {
            Process p = pb.start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
            return p.waitFor();
        } catch (Exception e) {
            System.err.println("bench: could not start " + java + " with --add-modules jdk.incubator.vector (" + e.getMessage()
                    + "); run java --add-modules jdk.incubator.vector -jar bench.jar ... yourself, or set CONVBENCH_NO_RELAUNCH=1");
            return 1;
        }
    }

    /** The collector and young generation the second JVM gets where the given options leave them open. */
    static List<String> defaults(List<String> given) {
        List<String> out = new ArrayList<>();
        if (given.stream().noneMatch(a -> a.matches("-XX:\\+Use\\w*GC"))) out.add("-XX:+UseSerialGC");
        if (given.stream().noneMatch(a -> a.startsWith("-Xmx") || a.startsWith("-Xmn") || a.matches("-XX:(Max)?New(Size|Ratio)=.*")))
            out.add("-Xmn" + YOUNG);
        return out;
    }

    /** The options this JVM was started with (-Xmx and the like), when java.management is there to tell. */
    private static List<String> jvmArguments() {
        try {
            List<String> out = new ArrayList<>();
            for (String s : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
                if (!s.startsWith("-agentlib:jdwp")) out.add(s); // a debugger's port cannot be taken twice
            return out;
        } catch (LinkageError | RuntimeException e) {
            return List.of(); // a runtime without java.management
        }
    }
}
