package convbench.kernels.cuda;

import convbench.engine.Backend;
import convbench.engine.Ctx;
import convbench.engine.MetaBackend;
import convbench.engine.tensor.Shape;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.BatchNormDesc;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.LrnDesc;
import convbench.engine.plan.PoolDesc;
import convbench.kernels.natives.NativeLoader;
import convbench.kernels.natives.SearchEnv;
import convbench.nets.Net;
import convbench.nets.Nets;
import jcuda.jcudnn.cudnnDropoutDescriptor;
import jcuda.jcudnn.cudnnLRNDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static jcuda.jcudnn.JCudnn.cudnnCreateDropoutDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyActivationDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyDropoutDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyLRNDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnGetTensor4dDescriptor;

/**
 * Run in a child JVM by {@link RealCudnnDescriptorsTest}: every layer of every net, on shapes only (a
 * recording proxy over {@link MetaBackend} collects the plan requests of one training forward pass with
 * dropout), then the descriptors the CUDA plans would make for them, made by the plans' own code
 * ({@link CudaConv.Descriptors}, {@link CudaPool.Descriptors}, {@link CudaLrn#set}, {@link CudaBatchNorm#deriveParams},
 * {@link Cuda#relu}, {@link CudaDropout#reserveBytes}) against the real cuDNN, without a handle or a device.
 * The convolution and pooling descriptors check cuDNN's own output dimensions against the engine's shapes.
 *
 * <p>Prints one line per net ("net NAME: ...") and one "FAIL ..." line per layer cuDNN refused or
 * disagreed with. args: the folder of the real libraries, the cache directory, the batch.
 */
public final class RealDescriptorsMain {
    /** The distinct plan requests of a net's pass. */
    static final class Requests {
        final Set<ConvDesc> convs = new LinkedHashSet<>();
        final Set<PoolDesc> pools = new LinkedHashSet<>();
        final Set<LrnDesc> lrns = new LinkedHashSet<>();
        final Set<BatchNormDesc> norms = new LinkedHashSet<>();
        final Set<Shape> relus = new LinkedHashSet<>();
        final Set<List<Object>> dropouts = new LinkedHashSet<>();
    }

    static Requests record(Nets.Spec spec, int batch) {
        Requests r = new Requests();
        MetaBackend meta = new MetaBackend();
        Backend proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (self, m, args) -> {
            switch (m.getName()) {
                case "conv" -> r.convs.add((ConvDesc) args[0]);
                case "pool" -> r.pools.add((PoolDesc) args[0]);
                case "lrn" -> r.lrns.add((LrnDesc) args[0]);
                case "batchNorm" -> r.norms.add((BatchNormDesc) args[0]);
                case "activation" -> { if (args[1] == Activation.RELU) r.relus.add((Shape) args[0]); }
                case "dropout" -> r.dropouts.add(List.of(args[0], args[1]));
                default -> { }
            }
            try {
                return m.invoke(meta, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        try (Net net = spec.create(proxy, 1000, spec.defaultImageSize(), 0);
             Ctx c = new Ctx(proxy, true, true, 0).withDropout(true)) {
            Tensor images = c.alloc(Shape.nchw(batch, 3, spec.defaultImageSize(), spec.defaultImageSize()));
            net.forward(c, images);
        }
        return r;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("LD_LIBRARY_PATH", args[0]);
        env.put("CONVBENCH_NATIVE_CACHE", args[1]);
        int batch = Integer.parseInt(args[2]);
        NativeLoader.loadLibraries(new SearchEnv(env, Path.of(args[1]), Path.of(args[1]), Map::of), 12060);
        List<String> failures = new ArrayList<>();
        int total = 0;
        for (Nets.Spec spec : Nets.all()) {
            Requests r = record(spec, batch);
            int explicitConvs = 0, explicitPools = 0, dropoutBytes = 0;
            for (ConvDesc d : r.convs) {
                String what = spec.name() + " conv " + d;
                for (boolean tf32 : new boolean[] {false, true}) {
                    try (CudaConv.Descriptors ds = new CudaConv.Descriptors(d, tf32, what)) {
                        if (!tf32 && ds.pads.explicit()) explicitConvs++;
                    } catch (RuntimeException e) {
                        failures.add(e.getMessage());
                    }
                }
            }
            for (PoolDesc d : r.pools) {
                try (CudaPool.Descriptors ds = new CudaPool.Descriptors(d, spec.name() + " pool " + d)) {
                    if (ds.pads.explicit()) explicitPools++;
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                }
            }
            for (LrnDesc d : r.lrns) {
                cudnnLRNDescriptor lrn = new cudnnLRNDescriptor();
                cudnnTensorDescriptor x = null;
                try {
                    x = Cuda.tensor(d.x());
                    CudaLrn.set(lrn, d, spec.name() + " lrn " + d);
                    cudnnDestroyLRNDescriptor(lrn);
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                } finally {
                    Cuda.destroy(x);
                }
            }
            for (BatchNormDesc d : r.norms) {
                String what = spec.name() + " batch norm " + d;
                cudnnTensorDescriptor x = null, p = new cudnnTensorDescriptor();
                try {
                    x = Cuda.tensor(d.x());
                    CudaBatchNorm.deriveParams(p, x, what);
                    int[] type = {0}, n = {0}, c = {0}, h = {0}, w = {0}, ns = {0}, cs = {0}, hs = {0}, ws = {0};
                    Cuda.dnn(cudnnGetTensor4dDescriptor(p, type, n, c, h, w, ns, cs, hs, ws), "cudnnGetTensor4dDescriptor", what);
                    if (n[0] != 1 || c[0] != d.channels() || h[0] != 1 || w[0] != 1)
                        failures.add(what + ": cuDNN derives (" + n[0] + ", " + c[0] + ", " + h[0] + ", " + w[0] + ")");
                    Cuda.destroy(p);
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                } finally {
                    Cuda.destroy(x);
                }
            }
            for (Shape s : r.relus) {
                cudnnTensorDescriptor x = null;
                try {
                    x = Cuda.tensor(s);
                    cudnnDestroyActivationDescriptor(Cuda.relu(spec.name() + " relu " + s));
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                } finally {
                    Cuda.destroy(x);
                }
            }
            for (List<Object> dk : r.dropouts) {
                Shape s = (Shape) dk.get(0);
                String what = spec.name() + " dropout " + dk;
                cudnnTensorDescriptor x = null;
                try {
                    x = Cuda.tensor(s);
                    long bytes = CudaDropout.reserveBytes(x, what);
                    if (8 * bytes < s.size()) failures.add(what + ": a reserve of " + bytes + " bytes for " + s.size() + " elements (a mask needs a bit each)");
                    dropoutBytes += (int) Math.min(Integer.MAX_VALUE, bytes);
                    cudnnDropoutDescriptor dd = new cudnnDropoutDescriptor();
                    Cuda.dnn(cudnnCreateDropoutDescriptor(dd), "cudnnCreateDropoutDescriptor", what);
                    cudnnDestroyDropoutDescriptor(dd);
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                } finally {
                    Cuda.destroy(x);
                }
            }
            int layers = r.convs.size() + r.pools.size() + r.lrns.size() + r.norms.size() + r.relus.size() + r.dropouts.size();
            total += layers;
            System.out.println("net " + spec.name() + ": " + r.convs.size() + " conv (" + explicitConvs + " with an explicit border), "
                    + r.pools.size() + " pool (" + explicitPools + " with an explicit border), " + r.lrns.size() + " lrn, "
                    + r.norms.size() + " batch norm, " + r.relus.size() + " relu, " + r.dropouts.size() + " dropout (reserve "
                    + dropoutBytes + " bytes)");
        }
        for (String f : failures) System.out.println("FAIL " + f);
        System.out.println("distinct descriptors checked: " + total + ", failures: " + failures.size());
    }
}
