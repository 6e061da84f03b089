package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.plan.ConcatPlan;

import java.util.List;

/** Channel concat / split on the CPU: per (image, part), one contiguous block copy of C_i * H * W floats. */
final class CpuConcat implements ConcatPlan {
    private final CpuBackend be;
    private final List<Shape> parts;
    private final Shape y;
    private final int[] offsets; // channel offset of each part in y
    private final int n, hw, cTotal;

    CpuConcat(CpuBackend be, List<Shape> parts) {
        this.be = be;
        this.parts = List.copyOf(parts);
        Shape a = parts.get(0);
        offsets = new int[parts.size()];
        int c = 0;
        for (int i = 0; i < parts.size(); i++) {
            offsets[i] = c;
            c += parts.get(i).c();
        }
        cTotal = c;
        n = a.n();
        hw = a.h() * a.w();
        y = Shape.nchw(n, c, a.h(), a.w());
    }

    @Override public List<Shape> parts() { return parts; }

    @Override public Shape y() { return y; }

    @Override public void concat(List<Tensor> xs, Tensor yt) {
        float[] out = CpuBackend.data(yt);
        int k = parts.size();
        be.par().forEach(n * k, (task, wk) -> {
            int img = task / k, i = task % k, ci = parts.get(i).c();
            System.arraycopy(CpuBackend.data(xs.get(i)), img * ci * hw, out, (img * cTotal + offsets[i]) * hw, ci * hw);
        });
    }

    @Override public void split(Tensor dyt, List<Grad> dxs) {
        float[] dy = CpuBackend.data(dyt);
        int k = parts.size();
        be.par().forEach(n * k, (task, wk) -> {
            int img = task / k, i = task % k, ci = parts.get(i).c();
            Grad g = dxs.get(i);
            if (g == null) return;
            CpuBackend.store(CpuBackend.data(g.t()), img * ci * hw, dy, (img * cTotal + offsets[i]) * hw, ci * hw, g.accumulate());
        });
    }
}
