package convbench.bench;

import convbench.engine.Backend;
import convbench.engine.BackendOptions;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.TensorDump;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;

/** One forward-backward's tensors in a safetensors file, for checking the engine against another implementation. */
@Command(name = "dump", mixinStandardHelpOptions = true,
        description = {"Writes one forward-backward's tensors to a safetensors file, to check the engine against another implementation.",
                "The forward-backward: l2 objective, training mode, dropout off. The file: input, output, loss, every parameter,",
                "every gradient (grad/<name>) and the batch-norm moving statistics."})
final class DumpCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET", description = "The net: alexnet, alexnet-conv, vgg16, inception3, resnet50, resnet101, resnet152, resnet200.")
    String net;

    @Option(names = "--batch", defaultValue = "2", paramLabel = "N", description = "Images in the batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--image-size", paramLabel = "PX", description = "Input size (default: the seed's).") Integer imageSize;

    @Option(names = "--classes", defaultValue = "1000", paramLabel = "N", description = "Classes of the classifier (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seeds parameters and input (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEV", description = "cpu | cuda[:N] | auto | reference (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "CPU backend threads (default: all cores).") Integer threads;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The file (default: <net>.safetensors).") Path output;

    @Override public void run() {
        if (batch <= 0) throw new UsageException("--batch must be a positive number of images, got " + batch);
        if (imageSize != null && imageSize <= 0) throw new UsageException("--image-size must be positive, got " + imageSize);
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        StepOptions.checkThreads(threads);
        Nets.Spec s = Nets.spec(net);
        Path file = output != null ? output : Path.of(s.name() + ".safetensors");
        Output.check(file); // before the forward-backward, not after
        BackendOptions bo = BackendOptions.defaults();
        if (threads != null) bo = bo.withThreads(threads);
        Backend be = Session.open(device, bo).backend();
        try (be; Net n = s.create(be, classes, imageSize == null ? s.defaultImageSize() : imageSize, seed)) {
            TensorDump.Result r = TensorDump.write(n, batch, file);
            spec.commandLine().getOut().println(TextReport.f("wrote %s: %d tensors of %s at batch %d, %dx%d, seed %d, loss %.6g",
                    r.file(), r.tensors(), s.name(), batch, n.imageSize(), n.imageSize(), seed, r.loss()));
        } catch (IOException e) {
            throw new RunFailure("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
