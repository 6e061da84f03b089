package convbench.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import convbench.engine.MetaBackend;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.Summary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** The nets with their input size, parameters and GMACs (computed on shapes only). */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the nets: input size, parameters, GMACs per image.")
final class ListCommand implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--format", defaultValue = "text", description = "text | json (default: ${DEFAULT-VALUE}).")
    String format;

    @Override public void run() {
        if (!format.equals("text") && !format.equals("json")) throw new UsageException("--format must be text or json, got " + format);
        PrintWriter out = spec.commandLine().getOut();
        JsonArray arr = new JsonArray();
        Table table = new Table("net", "input", "parameters", "state", "GMACs", "seed", "aliases");
        try (MetaBackend meta = new MetaBackend()) {
            for (Nets.Spec s : Nets.all()) {
                Summary sum;
                try (Net net = s.create(meta, 1)) {
                    sum = net.summary();
                }
                if (format.equals("text")) {
                    table.row(s.name(), Integer.toString(s.defaultImageSize()), TextReport.f("%,d", sum.trainable()),
                            TextReport.f("%,d", sum.state()), TextReport.f("%.3f", sum.gmacs()), s.seedDocument(), String.join(",", s.aliases()));
                } else {
                    JsonObject o = new JsonObject();
                    o.addProperty("net", s.name());
                    o.addProperty("image_size", s.defaultImageSize());
                    o.addProperty("params", sum.trainable());
                    o.addProperty("state", sum.state());
                    o.addProperty("macs_per_image", sum.macsPerImage());
                    o.addProperty("description", sum.description());
                    arr.add(o);
                }
            }
        }
        if (format.equals("text")) out.print(table.render(""));
        else out.println(new GsonBuilder().setPrettyPrinting().create().toJson(arr));
        out.flush();
    }
}
