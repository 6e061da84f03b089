package convbench.engine.plan;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;

import java.util.List;

/** Concatenation along channels of NCHW tensors that agree in N, H, W, and its inverse, split. */
public interface ConcatPlan extends Plan {
    List<Shape> parts();

    /** The parts side by side along channels: (N, the sum of their C, H, W). */
    default Shape y() {
        Shape a = parts().get(0);
        int c = 0;
        for (Shape s : parts()) c += s.c();
        return Shape.nchw(a.n(), c, a.h(), a.w());
    }

    /** {@link convbench.engine.ops.Concat.Reference#concat}. */
    void concat(List<Tensor> xs, Tensor y);

    /** {@link convbench.engine.ops.Concat.Reference#split}; null entries are skipped. */
    void split(Tensor dy, List<Grad> dxs);
}
