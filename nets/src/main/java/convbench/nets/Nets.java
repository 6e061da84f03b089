package convbench.nets;

import convbench.engine.Backend;
import convbench.engine.MetaBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The registry of nets by name. Lookup ignores case and the separators '-', '_', '.' and spaces,
 * so "Inception_V3", "inception-v3" and "inceptionv3" all find inception3; each net also has
 * aliases (vgg, vgg_16; resnet_v2_152, resnet152_v2; ...). An unknown name is refused with the
 * closest names by edit distance ({@link #suggest}).
 */
public final class Nets {
    private Nets() {}

    /** Makes a net on a backend. */
    @FunctionalInterface
    public interface Factory {
        Net create(Backend backend, int classes, int imageSize, long seed);
    }

    /**
     * One registered net.
     *
     * @param name             the canonical name ("resnet152")
     * @param aliases          other accepted names
     * @param seedDocument     the seed document its code follows ("004")
     * @param defaultImageSize the seed's input size
     */
    public record Spec(String name, List<String> aliases, String seedDocument, int defaultImageSize, Factory factory) {
        /** Makes the net; the image size is checked against the smallest the net takes. */
        public Net create(Backend backend, int classes, int imageSize, long seed) {
            return factory.create(backend, classes, imageSize, seed);
        }

        /** The net with 1000 classes at the seed's input size. */
        public Net create(Backend backend, long seed) { return create(backend, 1000, defaultImageSize, seed); }

        /** The net's one-line description. */
        public String description() {
            try (Net n = create(new MetaBackend(), 0)) {
                return n.description();
            }
        }

        /** The canonical name and the aliases. */
        public List<String> allNames() {
            List<String> all = new ArrayList<>();
            all.add(name);
            all.addAll(aliases);
            return all;
        }
    }

    public static final int DEFAULT_CLASSES = 1000;

    private static final List<Spec> SPECS = List.of(
            new Spec("alexnet", List.of(), "003", 224, AlexNet::new),
            new Spec("alexnet-conv", List.of("alexnet_conv"), "000", 224, AlexNetConv::new),
            new Spec("vgg16", List.of("vgg", "vgg_16", "vgg-16"), "002", 224, Vgg16::new),
            new Spec("inception3", List.of("inception_v3", "inceptionv3", "inception"), "001", 299, InceptionV3::new),
            resnet(50, "004 family"),
            resnet(101, "004 family"),
            resnet(152, "004"),
            resnet(200, "004 family"));

    private static Spec resnet(int depth, String seedDocument) {
        return new Spec("resnet" + depth, List.of("resnet_v2_" + depth, "resnet" + depth + "_v2", "resnet-" + depth),
                seedDocument, 224, (b, c, s, seed) -> new ResNetV2(depth, b, c, s, seed));
    }

    /** Every registered net, in listing order. */
    public static List<Spec> all() { return SPECS; }

    /** The canonical names in listing order. */
    public static List<String> names() {
        List<String> n = new ArrayList<>();
        for (Spec s : SPECS) n.add(s.name());
        return n;
    }

    /** The net with this name or alias (case and separators ignored), if any. */
    public static Optional<Spec> find(String name) {
        if (name == null) return Optional.empty();
        String k = key(name);
        for (Spec s : SPECS)
            for (String n : s.allNames())
                if (key(n).equals(k)) return Optional.of(s);
        return Optional.empty();
    }

    /** The net with this name or alias; an unknown name throws {@link UnknownNetException} with suggestions. */
    public static Spec spec(String name) {
        return find(name).orElseThrow(() -> new UnknownNetException(String.valueOf(name), suggest(String.valueOf(name)), names()));
    }

    /** Makes the named net (see {@link Spec#create(Backend, int, int, long)}). */
    public static Net create(String name, Backend backend, int classes, int imageSize, long seed) {
        return spec(name).create(backend, classes, imageSize, seed);
    }

    /**
     * The canonical names closest to a misspelt name, in listing order: those at the smallest edit
     * distance ({@link #editDistance}) of any of their names, if that is at most max(2, length / 3).
     * A name that starts another (at least 3 characters, "resnet") counts as that far from it.
     */
    public static List<String> suggest(String name) {
        String k = key(name);
        int limit = Math.max(2, k.length() / 3);
        int[] best = new int[SPECS.size()];
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < SPECS.size(); i++) {
            best[i] = Integer.MAX_VALUE;
            for (String n : SPECS.get(i).allNames()) {
                String nk = key(n);
                int d = editDistance(k, nk);
                if (k.length() >= 3 && nk.startsWith(k)) d = Math.min(d, limit);
                best[i] = Math.min(best[i], d);
            }
            min = Math.min(min, best[i]);
        }
        List<String> out = new ArrayList<>();
        if (min > limit) return out;
        for (int i = 0; i < SPECS.size(); i++) if (best[i] == min) out.add(SPECS.get(i).name());
        return out;
    }

    /** Lower case without '-', '_', '.' and whitespace. */
    static String key(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[-_.\\s]", "");
    }

    /**
     * Edit distance with adjacent transpositions (optimal string alignment): inserting, deleting or
     * substituting a character, or swapping two neighbours, each cost 1 ("resnet125" is 1 from "resnet152").
     */
    public static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}
