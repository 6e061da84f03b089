package convbench.engine.mutation;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shows that the float64 gradient checks bite: each single term of each op's reference backward (the
 * plain loops in the op's own class) is scaled by 1.001, the op's source is compiled with that change,
 * and the op's check in {@link GradientChecks}, run in a class loader where the mutated op replaces the
 * real one, must fail. A mutation whose text is no longer in the source fails too, so the list follows
 * the code. The unmutated checks pass in {@link #everyCheckPassesOnTheRealOps}.
 */
class BackwardMutationTest {
    /** A change to one op's source: the exact text (found once) and what it becomes; the check that must fail. */
    record Mutation(String op, String from, String to, String check) {
        @Override public String toString() { return op + ": " + to.strip(); }
    }

    static List<Mutation> mutations() {
        return List.of(
                new Mutation("Conv2d", "if (dx != null) dx[xo + iw] += wv * g;", "if (dx != null) dx[xo + iw] += 1.001 * wv * g;", "conv"),
                new Mutation("Conv2d", "if (dw != null) dw[wi] += dwSum;", "if (dw != null) dw[wi] += 1.001 * dwSum;", "conv"),
                new Mutation("Conv2d", "db[f] += dz[zo + o];", "db[f] += 1.001 * dz[zo + o];", "conv"),
                new Mutation("Dense", "dx[r * d.in() + i] += g * w[o * d.in() + i];", "dx[r * d.in() + i] += 1.001 * g * w[o * d.in() + i];", "dense"),
                new Mutation("Dense", "dw[o * d.in() + i] += g * x[r * d.in() + i];", "dw[o * d.in() + i] += 1.001 * g * x[r * d.in() + i];", "dense"),
                new Mutation("Dense", "if (db != null) db[o] += g;", "if (db != null) db[o] += 1.001 * g;", "dense"),
                new Mutation("Pool", "dx[arg] += g;", "dx[arg] += 1.001 * g;", "maxPool"),
                new Mutation("Pool", "dx[(plane * h + ih) * w + iw] += g / count;", "dx[(plane * h + ih) * w + iw] += g / (1.001 * count);", "avgPool"),
                new Mutation("Lrn", "double direct = dy[base + c * hw] * Math.pow", "double direct = 1.001 * dy[base + c * hw] * Math.pow", "lrn"),
                new Mutation("Lrn", "direct - 2 * alpha * beta", "direct - 1.001 * 2 * alpha * beta", "lrn"),
                new Mutation("BatchNorm", "if (dbeta != null) dbeta[c] += sumDy;", "if (dbeta != null) dbeta[c] += 1.001 * sumDy;", "batchNormTraining"),
                new Mutation("BatchNorm", "if (dgamma != null) dgamma[c] += sumDyXhat;", "if (dgamma != null) dgamma[c] += 1.001 * sumDyXhat;", "batchNormTraining"),
                new Mutation("BatchNorm", "(m * dy[at] - sumDy - xhat * sumDyXhat)", "(1.001 * m * dy[at] - sumDy - xhat * sumDyXhat)", "batchNormTraining"),
                new Mutation("BatchNorm", "(m * dy[at] - sumDy - xhat * sumDyXhat)", "(m * dy[at] - 1.001 * sumDy - xhat * sumDyXhat)", "batchNormTraining"),
                new Mutation("BatchNorm", "(m * dy[at] - sumDy - xhat * sumDyXhat)", "(m * dy[at] - sumDy - 1.001 * xhat * sumDyXhat)", "batchNormTraining"),
                new Mutation("BatchNorm", "dx[at] += g * saveInvStd[c] / m *", "dx[at] += 1.001 * g * saveInvStd[c] / m *", "batchNormTraining"),
                new Mutation("BatchNorm", "if (dx != null) dx[at] += dy[at] * g * invStd;", "if (dx != null) dx[at] += 1.001 * dy[at] * g * invStd;", "batchNormInference"),
                new Mutation("BatchNorm", "if (dgamma != null) dgamma[c] += dy[at] * (x[at] - movingMean[c]) * invStd;",
                        "if (dgamma != null) dgamma[c] += 1.001 * dy[at] * (x[at] - movingMean[c]) * invStd;", "batchNormInference"),
                new Mutation("BatchNorm", "if (dbeta != null) dbeta[c] += dy[at];", "if (dbeta != null) dbeta[c] += 1.001 * dy[at];", "batchNormInference"),
                new Mutation("Relu", "if (y[i] > 0) dx[i] += dy[i];", "if (y[i] > 0) dx[i] += 1.001 * dy[i];", "relu"),
                new Mutation("Softmax", "+= y[base + c * hw] * (dy[base + c * hw] - dot);", "+= y[base + c * hw] * (1.001 * dy[base + c * hw] - dot);", "softmax"),
                new Mutation("Softmax", "+= y[base + c * hw] * (dy[base + c * hw] - dot);", "+= y[base + c * hw] * (dy[base + c * hw] - 1.001 * dot);", "softmax"),
                new Mutation("Dropout", "dx[i] += dy[i] * mask[i];", "dx[i] += 1.001 * dy[i] * mask[i];", "dropout"),
                new Mutation("Concat", "+= dy[((img * total) + offset + c) * plane + p];", "+= 1.001 * dy[((img * total) + offset + c) * plane + p];", "concat"),
                new Mutation("Add", "dst[i] += alpha * src[i];", "dst[i] += 1.001 * alpha * src[i];", "add"),
                new Mutation("Pad", "dx[(plane * h + ih) * w + iw] += dy[(plane * oh + i) * ow + j];",
                        "dx[(plane * h + ih) * w + iw] += 1.001 * dy[(plane * oh + i) * ow + j];", "pad"),
                new Mutation("Pad", "dx[(plane * h + ih) * w + iw] += dy[(plane * oh + i) * ow + j];",
                        "dx[(plane * h + ih) * w + iw] += 1.001 * dy[(plane * oh + i) * ow + j];", "subsample"),
                new Mutation("L2Loss", "dx[i] += dloss * x[i];", "dx[i] += 1.001 * dloss * x[i];", "l2Loss"),
                new Mutation("SoftmaxCrossEntropy", "dlogits[i] += dloss * (probs[i] - labels[i]) / n;",
                        "dlogits[i] += dloss * (1.001 * probs[i] - labels[i]) / n;", "softmaxCrossEntropy"),
                new Mutation("SoftmaxCrossEntropy", "dlogits[i] += dloss * (probs[i] - labels[i]) / n;",
                        "dlogits[i] += dloss * (probs[i] - 1.001 * labels[i]) / n;", "softmaxCrossEntropy"),
                new Mutation("SgdMomentum", "v[i] = momentum * v[i] + dw[i];", "v[i] = momentum * v[i] + 1.001 * dw[i];", "sgd"),
                new Mutation("SgdMomentum", "w[i] = w[i] - lr * v[i];", "w[i] = w[i] - 1.001 * lr * v[i];", "sgd"));
    }

    static final Path OPS = Path.of("src/main/java/convbench/engine/ops");
    static final Path CLASSES = Path.of("target/classes"), TEST_CLASSES = Path.of("target/test-classes");
    static JavaCompiler javac;
    static Path work;

    @BeforeAll static void up() throws IOException {
        javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the mutation test compiles op sources and needs a JDK's compiler (javax.tools)");
        work = Files.createTempDirectory("convbench-mutants");
    }

    @AfterAll static void down() throws IOException {
        try (Stream<Path> files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Runs GradientChecks.check in a fresh class loader whose first entry (if not null) holds mutated classes. */
    static void runCheck(Path mutantClasses, String check) throws Throwable {
        Stream<Path> entries = mutantClasses == null ? Stream.of(CLASSES, TEST_CLASSES) : Stream.of(mutantClasses, CLASSES, TEST_CLASSES);
        URL[] urls = entries.map(p -> {
            try {
                return p.toUri().toURL();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toArray(URL[]::new);
        try (URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            Class<?> checks = loader.loadClass(GradientChecks.class.getName());
            checks.getMethod(check).invoke(null);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void everyCheckPassesOnTheRealOps() throws Throwable {
        for (String check : mutations().stream().map(Mutation::check).distinct().toList()) runCheck(null, check);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mutations")
    void scalingOneBackwardTermBy1001FailsTheOpsCheck(Mutation m) throws Throwable {
        Path source = OPS.resolve(m.op() + ".java");
        String text = Files.readString(source);
        int at = text.indexOf(m.from());
        assertTrue(at >= 0, m.op() + ".java no longer contains '" + m.from() + "': update the mutation list");
        Path dir = Files.createDirectories(work.resolve("m" + Math.abs((long) m.toString().hashCode() + m.check().hashCode())));
        Path mutated = Files.createDirectories(dir.resolve("src")).resolve(m.op() + ".java");
        Files.writeString(mutated, text.substring(0, at) + m.to() + text.substring(at + m.from().length()));
        Path out = Files.createDirectories(dir.resolve("classes"));
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-proc:none", "-nowarn", "-d", out.toString(),
                "-classpath", CLASSES.toString(), mutated.toString());
        assertEquals(0, rc, "the mutant of " + m.op() + " does not compile: " + diagnostics.toString(StandardCharsets.UTF_8));
        try {
            runCheck(out, m.check());
        } catch (AssertionError expected) {
            return; // the check caught the 0.1 % error
        }
        fail("scaling '" + m.from() + "' in " + m.op() + " by 1.001 passed the " + m.check() + " check: it cannot see a 0.1 % error");
    }
}
