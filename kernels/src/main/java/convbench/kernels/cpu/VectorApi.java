package convbench.kernels.cpu;

import java.util.function.Supplier;

/**
 * Picks between a Vector-API implementation and its portable twin: the Vector API is an incubator module a JVM
 * has only when started with {@code --add-modules jdk.incubator.vector} (bench.jar relaunches itself so), and
 * its classes are loaded by name, so the portable path never touches them.
 */
final class VectorApi {
    private VectorApi() {}

    /** A new vectorClass (a T with a no-argument constructor) where the module is there and it loads, else portable. */
    static <T> T pick(Class<T> type, String vectorClass, Supplier<? extends T> portable) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return type.cast(Class.forName(vectorClass).getDeclaredConstructor().newInstance());
            } catch (ReflectiveOperationException | LinkageError e) {
                // fall through to the portable one
            }
        }
        return portable.get();
    }
}
