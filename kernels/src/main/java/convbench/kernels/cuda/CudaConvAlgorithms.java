package convbench.kernels.cuda;

import convbench.engine.DeviceMemoryException;
import convbench.engine.plan.ConvDesc;
import convbench.engine.tensor.Shape;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

import static jcuda.jcudnn.JCudnn.cudnnFindConvolutionBackwardDataAlgorithmEx;
import static jcuda.jcudnn.JCudnn.cudnnFindConvolutionBackwardFilterAlgorithmEx;
import static jcuda.jcudnn.JCudnn.cudnnFindConvolutionForwardAlgorithmEx;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataWorkspaceSize;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardWorkspaceSize;

/**
 * A convolution plan's algorithms, chosen once when the plan is made: one per direction (forward, backward
 * data, backward filter) from cuDNN's heuristics (cudnnGetConvolution*Algorithm_v7) or, with convAlgo "find",
 * measured by cudnnFindConvolution*AlgorithmEx on scratch buffers; the first candidate whose workspace can be
 * reserved is used ({@link Choice}), and the shared workspace grows to the largest of the three.
 */
final class CudaConvAlgorithms {
    private final CudaBackend be;
    private final String what;
    private final cudnnTensorDescriptor xInDesc, yDesc;
    private final cudnnFilterDescriptor wDesc;
    private final cudnnConvolutionDescriptor conv;
    final Choice forward, backwardData, backwardFilter;

    /** xElements: the convolution's input as cuDNN sees it (the explicitly padded buffer where there is one). */
    CudaConvAlgorithms(CudaBackend be, CudaConv.Descriptors descs, String what, long xElements, ConvDesc d) {
        this.be = be;
        this.what = what;
        this.xInDesc = descs.xIn;
        this.yDesc = descs.y;
        this.wDesc = descs.w;
        this.conv = descs.conv;
        Scratch scratch = be.find() ? new Scratch(be, d.x(), d.y(), d.w(), xElements) : null;
        try {
            forward = chooseForward(scratch);
            backwardData = chooseBackwardData(scratch);
            backwardFilter = chooseBackwardFilter(scratch);
        } finally {
            if (scratch != null) scratch.close();
        }
    }

    /** Buffers for Find...Ex to run on (contents do not matter; zeroed so no NaN slows a candidate down). */
    private static final class Scratch implements AutoCloseable {
        final CudaBackend be;
        final DeviceAllocator.Block x, y, w, ws;

        Scratch(CudaBackend be, Shape xs, Shape ys, Shape wsh, long xElements) {
            this.be = be;
            try {
                x = be.mem().buffer(Cuda.bytes(xElements));
                y = be.mem().buffer(Cuda.bytes(ys.size()));
                w = be.mem().buffer(Cuda.bytes(wsh.size()));
                be.mem().memsetZero(x.ptr(), x.size());
                be.mem().memsetZero(y.ptr(), y.size());
                be.mem().memsetZero(w.ptr(), w.size());
                // Room for the candidates: a quarter of what is free, at most 1 GiB.
                long[] free = {0}, total = {0};
                jcuda.runtime.JCuda.cudaMemGetInfo(free, total);
                ws = be.mem().buffer(Math.max(1 << 20, Math.min(1L << 30, free[0] / 4)));
            } catch (RuntimeException e) {
                close(); // release is null-safe
                throw e;
            }
        }

        @Override public void close() {
            be.mem().release(x);
            be.mem().release(y);
            be.mem().release(w);
            be.mem().releaseToDriver(ws); // up to 1 GiB that no tensor will ask for again
        }
    }

    /** An algorithm cuDNN offers and the workspace it needs with this plan's descriptors. */
    record Candidate(int algo, long workspace) {}

    /**
     * One direction's algorithm: cuDNN's candidates in its order (fastest first), the one in use, and
     * whether it has run. The first whose workspace can be reserved is used. The heuristics report what an
     * algorithm supports without running it, and the call can still refuse it as not supported for these
     * descriptors and math type, so until the algorithm in use has run once, a "not supported" from the call moves to the next
     * candidate and the call is repeated (nothing ran, so nothing was written); after that, or on any other
     * status, the error stands.
     */
    static final class Choice {
        final String direction;
        private final List<Candidate> candidates;
        private final java.util.function.LongPredicate reserve;
        private final List<String> refused = new ArrayList<>();
        private int at = -1;
        private boolean ran;

        /** reserve: true when a workspace of that many bytes is available (grows the backend's). */
        Choice(String direction, List<Candidate> candidates, java.util.function.LongPredicate reserve) {
            this.direction = direction;
            this.candidates = List.copyOf(candidates);
            this.reserve = reserve;
            if (!advance()) throw new IllegalStateException("no " + direction + " algorithm");
        }

        int algo() { return candidates.get(at).algo(); }

        /** The next candidate whose workspace can be reserved; false when none is left. */
        private boolean advance() {
            while (++at < candidates.size()) if (reserve.test(candidates.get(at).workspace())) return true;
            at = candidates.size() - 1;
            return false;
        }

        /** After a call with algo(): true when it should be repeated with the next candidate (now algo()). */
        boolean retry(int status) {
            if (status == 0) {
                ran = true;
                return false;
            }
            if (ran || !Cuda.notSupported(status)) return false;
            refused.add(Integer.toString(algo()));
            return advance();
        }

        /** The algorithms the execution refused before this one ran, for messages ("" when none). */
        String refused() { return refused.isEmpty() ? "" : " (cuDNN refused algorithm " + String.join(", ", refused) + " when run)"; }
    }

    /** Candidates in cuDNN's order (fastest first); the first whose workspace can be reserved is used. */
    private Choice pick(List<Candidate> candidates, String direction) {
        DeviceMemoryException[] last = {null};
        java.util.function.LongPredicate reserve = bytes -> {
            try {
                be.mem().reserveWorkspace(bytes);
                return true;
            } catch (DeviceMemoryException e) {
                last[0] = e;
                return false;
            }
        };
        if (!candidates.isEmpty()) {
            try {
                return new Choice(direction, candidates, reserve);
            } catch (IllegalStateException e) {
                throw last[0]; // no candidate's workspace fits
            }
        }
        throw new CudaException("cuDNN offers no " + direction + " algorithm for " + what
                + (be.tf32() ? "" : " in strict FP32") + ": try --precision tf32 or other shapes", 0);
    }

    /**
     * One of cuDNN's three algorithm searches (name: Forward, BackwardData, BackwardFilter), as the calls
     * that differ: the number of algorithms, the measured search (Find...Ex, on scratch buffers), the
     * heuristic one (_v7), a candidate's workspace size, and the perf record's fields.
     */
    private record Search<P>(String name, IntFunction<P[]> perfs, ToIntFunction<P> status, ToIntFunction<P> algo,
                             ToIntFunction<int[]> maxCount, Find<P> find, Heuristic<P> heuristic, Workspace workspace) {
        interface Find<P> { int run(Scratch s, P[] perf, int[] returned); }

        interface Heuristic<P> { int run(P[] perf, int[] returned); }

        interface Workspace { int bytes(int algo, long[] out); }
    }

    /** cuDNN's candidates, measured (s, with convAlgo "find") or by its heuristics (s null), each with its workspace; see {@link #pick}. */
    private <P> Choice choose(Search<P> q, Scratch s, String direction) {
        int[] count = {0}, returned = {0};
        Cuda.dnn(q.maxCount().applyAsInt(count), "cudnnGetConvolution" + q.name() + "AlgorithmMaxCount", what);
        P[] perf = q.perfs().apply(Math.max(1, count[0]));
        if (s != null) Cuda.dnn(q.find().run(s, perf, returned), "cudnnFindConvolution" + q.name() + "AlgorithmEx", what);
        else Cuda.dnn(q.heuristic().run(perf, returned), "cudnnGetConvolution" + q.name() + "Algorithm_v7", what);
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < returned[0]; i++) {
            if (q.status().applyAsInt(perf[i]) != 0) continue;
            int algo = q.algo().applyAsInt(perf[i]);
            long[] ws = {0};
            if (q.workspace().bytes(algo, ws) != 0) continue;
            out.add(new Candidate(algo, ws[0]));
        }
        return pick(out, direction);
    }

    private static <P> P[] filled(P[] perf, Supplier<P> make) {
        for (int i = 0; i < perf.length; i++) perf[i] = make.get();
        return perf;
    }

    private Choice chooseForward(Scratch s) {
        return choose(new Search<cudnnConvolutionFwdAlgoPerf>("Forward",
                n -> filled(new cudnnConvolutionFwdAlgoPerf[n], cudnnConvolutionFwdAlgoPerf::new), p -> p.status, p -> p.algo,
                count -> cudnnGetConvolutionForwardAlgorithmMaxCount(be.dnn(), count),
                (sc, perf, returned) -> cudnnFindConvolutionForwardAlgorithmEx(be.dnn(), xInDesc, sc.x.ptr(), wDesc, sc.w.ptr(), conv,
                        yDesc, sc.y.ptr(), perf.length, returned, perf, sc.ws.ptr(), sc.ws.size()),
                (perf, returned) -> cudnnGetConvolutionForwardAlgorithm_v7(be.dnn(), xInDesc, wDesc, conv, yDesc, perf.length, returned, perf),
                (algo, ws) -> cudnnGetConvolutionForwardWorkspaceSize(be.dnn(), xInDesc, wDesc, conv, yDesc, algo, ws)), s, "forward");
    }

    private Choice chooseBackwardData(Scratch s) {
        return choose(new Search<cudnnConvolutionBwdDataAlgoPerf>("BackwardData",
                n -> filled(new cudnnConvolutionBwdDataAlgoPerf[n], cudnnConvolutionBwdDataAlgoPerf::new), p -> p.status, p -> p.algo,
                count -> cudnnGetConvolutionBackwardDataAlgorithmMaxCount(be.dnn(), count),
                (sc, perf, returned) -> cudnnFindConvolutionBackwardDataAlgorithmEx(be.dnn(), wDesc, sc.w.ptr(), yDesc, sc.y.ptr(), conv,
                        xInDesc, sc.x.ptr(), perf.length, returned, perf, sc.ws.ptr(), sc.ws.size()),
                (perf, returned) -> cudnnGetConvolutionBackwardDataAlgorithm_v7(be.dnn(), wDesc, yDesc, conv, xInDesc, perf.length, returned, perf),
                (algo, ws) -> cudnnGetConvolutionBackwardDataWorkspaceSize(be.dnn(), wDesc, yDesc, conv, xInDesc, algo, ws)), s, "backward data");
    }

    private Choice chooseBackwardFilter(Scratch s) {
        return choose(new Search<cudnnConvolutionBwdFilterAlgoPerf>("BackwardFilter",
                n -> filled(new cudnnConvolutionBwdFilterAlgoPerf[n], cudnnConvolutionBwdFilterAlgoPerf::new), p -> p.status, p -> p.algo,
                count -> cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(be.dnn(), count),
                (sc, perf, returned) -> cudnnFindConvolutionBackwardFilterAlgorithmEx(be.dnn(), xInDesc, sc.x.ptr(), yDesc, sc.y.ptr(), conv,
                        wDesc, sc.w.ptr(), perf.length, returned, perf, sc.ws.ptr(), sc.ws.size()),
                (perf, returned) -> cudnnGetConvolutionBackwardFilterAlgorithm_v7(be.dnn(), xInDesc, yDesc, conv, wDesc, perf.length, returned, perf),
                (algo, ws) -> cudnnGetConvolutionBackwardFilterWorkspaceSize(be.dnn(), xInDesc, yDesc, conv, wDesc, algo, ws)), s, "backward filter");
    }
}
