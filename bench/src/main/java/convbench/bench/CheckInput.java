package convbench.bench;

import convbench.engine.MetaBackend;
import convbench.engine.tensor.Shape;
import convbench.nets.Net;
import convbench.nets.Nets;
import convbench.nets.Summary;

import java.util.HashMap;
import java.util.Map;

/**
 * The input `gradcheck` and `verify` run at: small enough for the float64 reference backend, yet never
 * degenerate. By default it is the smallest size at which every layer keeps the spatial extent it has
 * at the seed's size, up to 2x2 (a layer that is 1x1 at the seed's size, a global pool or a logits
 * layer, may be 1x1; every other is at least 2x2), so at batch 2 every batch norm sees at least 8
 * values per channel and no window, stride or padding degenerates to a single cell.
 */
record CheckInput(int size, String why) {
    static final int DEFAULT_BATCH = 2;

    static CheckInput of(Nets.Spec spec, Integer requested) {
        if (requested != null) {
            if (requested <= 0) throw new UsageException("--image-size must be positive, got " + requested);
            return new CheckInput(requested, "as asked (--image-size)");
        }
        try (Net probe = spec.create(new MetaBackend(), 1)) {
            Map<String, Shape> atSeed = outputs(spec, spec.defaultImageSize());
            for (int size = probe.minImageSize(); size <= spec.defaultImageSize(); size++) {
                if (!probe.fits(size)) continue;
                Map<String, Shape> here = outputs(spec, size);
                String smallest = null;
                boolean ok = true;
                for (Map.Entry<String, Shape> e : here.entrySet()) {
                    Shape s = e.getValue(), seed = atSeed.get(e.getKey());
                    if (s.rank() != 4 || seed == null) continue;
                    if (s.h() < Math.min(2, seed.h()) || s.w() < Math.min(2, seed.w())) {
                        ok = false;
                        break;
                    }
                    if (seed.h() > 1 && (smallest == null || s.h() * s.w() < here.get(smallest).h() * here.get(smallest).w())) smallest = e.getKey();
                }
                if (ok) {
                    Shape s = here.get(smallest);
                    return new CheckInput(size, "the smallest size at which every layer that is not 1x1 at " + spec.defaultImageSize()
                            + " keeps 2x2 or more (the smallest: " + smallest + ", " + s.h() + "x" + s.w() + ")");
                }
            }
        }
        return new CheckInput(spec.defaultImageSize(), "the seed's size");
    }

    /** Each layer's output shape at this input size (shape inference only). */
    private static Map<String, Shape> outputs(Nets.Spec spec, int size) {
        try (Net n = spec.create(new MetaBackend(), 10, size, 1)) {
            Map<String, Shape> m = new HashMap<>();
            for (Summary.Row r : n.summary().rows()) m.put(r.name(), r.output());
            return m;
        }
    }
}
