package convbench.bench;

import convbench.engine.MetaBackend;
import convbench.nets.Net;
import convbench.nets.Nets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The per-layer table of a net: name, op, output shape, parameters, MACs; and the totals. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = {"Prints a net's layers (name, op, output shape, parameters, MACs per image) and totals.",
                "Computed on shapes only: no arithmetic, no memory."})
final class SummaryCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NET", description = "The net: alexnet, alexnet-conv, vgg16, inception3, resnet50, resnet101, resnet152, resnet200.")
    String net;

    @Option(names = "--image-size", paramLabel = "PX", description = "Input size (default: the seed's).") Integer imageSize;

    @Option(names = "--classes", defaultValue = "1000", paramLabel = "N", description = "Classes of the classifier (default: ${DEFAULT-VALUE}).")
    int classes;

    @Override public void run() {
        if (imageSize != null && imageSize <= 0) throw new UsageException("--image-size must be positive, got " + imageSize);
        if (classes <= 0) throw new UsageException("--classes must be positive, got " + classes);
        Nets.Spec s = Nets.spec(net);
        try (MetaBackend meta = new MetaBackend(); Net n = s.create(meta, classes, imageSize == null ? s.defaultImageSize() : imageSize, 1)) {
            spec.commandLine().getOut().print(n.summary().table());
            spec.commandLine().getOut().flush();
        }
    }
}
