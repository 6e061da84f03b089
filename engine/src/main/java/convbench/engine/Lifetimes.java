package convbench.engine;

import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * When each activation of a forward-only step can go back to the allocator: learnt on the first step
 * (which op reads each tensor last), applied on every later step of the same network and input shape,
 * so inference holds only the live activations (as PyTorch under no_grad does) instead of every
 * activation until the step ends. A tensor no op reads (the outputs) lives until the step closes.
 * Steps with a tape do not use it: backward needs the activations.
 */
public final class Lifetimes {
    private List<Shape> shapes;    // shape of each tensor the step allocated, in allocation order
    private int[][] freeAfter;     // per op (in end() order): the allocation indices whose last reader it is
    private int ops;

    /** Whether a step has been recorded (later steps free early). */
    public boolean recorded() { return freeAfter != null; }

    /** A step recording its uses: allocation order, and for each allocation the last op that read it. */
    final class Recorder {
        private final Map<Tensor, Integer> ids = new IdentityHashMap<>();
        private final List<Shape> allocShapes = new ArrayList<>();
        private final List<Integer> lastUse = new ArrayList<>();
        private int op;

        void allocated(Tensor t) {
            ids.put(t, allocShapes.size());
            allocShapes.add(t.shape());
            lastUse.add(-1);
        }

        void ended(Tensor[] inputs) {
            for (Tensor x : inputs) {
                Integer id = ids.get(x);
                if (id != null) lastUse.set(id, op);
            }
            op++;
        }

        void finish() {
            List<List<Integer>> per = new ArrayList<>();
            for (int i = 0; i < op; i++) per.add(new ArrayList<>());
            for (int id = 0; id < lastUse.size(); id++) if (lastUse.get(id) >= 0) per.get(lastUse.get(id)).add(id);
            int[][] f = new int[op][];
            for (int i = 0; i < op; i++) f[i] = per.get(i).stream().mapToInt(Integer::intValue).toArray();
            shapes = List.copyOf(allocShapes);
            ops = op;
            freeAfter = f;
        }
    }

    /** A step freeing by the recorded plan; it stops freeing at the first sign the step differs. */
    final class Replayer {
        private final List<Tensor> allocs;
        private int op;
        private boolean diverged;

        Replayer(List<Tensor> allocs) { this.allocs = allocs; }

        void allocated(Tensor t) {
            int id = allocs.size() - 1;
            if (id >= shapes.size() || !shapes.get(id).equals(t.shape())) diverged = true;
        }

        void ended() {
            if (!diverged && op < ops) {
                for (int id : freeAfter[op]) {
                    if (id < allocs.size()) allocs.get(id).close();
                    else diverged = true;
                }
            } else {
                diverged = true;
            }
            op++;
        }
    }
}
