// convbench's own CUDA kernels: only what cuDNN and cuBLAS have no call for (losses, the SGD
// momentum update). Built by nvcc during the Maven build into one fat binary (SASS for sm_80 and
// sm_90, PTX for compute_90) that CudaKernels loads with cuModuleLoadData and launches with
// cuLaunchKernel on the backend's stream. extern "C" keeps the names the Java side looks up.
//
// Sizes are 64-bit (long long) and every elementwise kernel is a grid-stride loop, so any launch
// grid covers any size. Reductions are single-block and accumulate in double, so a loss is
// deterministic and agrees with the CPU backend (which also sums in double).

#define BLOCK 256
#define REDUCE_BLOCK 1024

// Sums v over the block (blockDim.x a power of two <= REDUCE_BLOCK); every thread gets the total.
// The kernels that call it declare their block size with __launch_bounds__, and CudaKernels launches
// them with the same sizes (a tier-1 test compares BLOCK and REDUCE_BLOCK with the Java side).
__device__ double block_sum(double v) {
    __shared__ double partial[REDUCE_BLOCK];
    partial[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    double total = partial[0];
    __syncthreads(); // partial may be reused by the caller's next block_sum
    return total;
}

__device__ float block_max(float v) {
    __shared__ float partial[REDUCE_BLOCK];
    partial[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] = fmaxf(partial[threadIdx.x], partial[threadIdx.x + s]);
        __syncthreads();
    }
    float m = partial[0];
    __syncthreads();
    return m;
}

// tf.nn.l2_loss: loss[0] = 0.5 * sum x^2. One block of REDUCE_BLOCK threads.
extern "C" __global__ void __launch_bounds__(REDUCE_BLOCK) l2_loss(const float* __restrict__ x, long long n, float* __restrict__ loss) {
    double s = 0.0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        double v = x[i];
        s += v * v;
    }
    s = block_sum(s);
    if (threadIdx.x == 0) loss[0] = (float) (0.5 * s);
}

// dx = dloss * x (accumulate = 0) or dx += dloss * x (accumulate = 1).
extern "C" __global__ void l2_loss_backward(const float* __restrict__ x, long long n, float dloss,
                                            float* dx, int accumulate) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float v = dloss * x[i];
        dx[i] = accumulate ? dx[i] + v : v;
    }
}

// One block per row r of (rows, c) logits: probs[r] = softmax(logits[r]) and
// rowLoss[r] = -sum_j labels[r, j] * log softmax(logits[r])_j, with
// log softmax_j = logits_j - max - log(sum exp(logits - max)).
extern "C" __global__ void __launch_bounds__(BLOCK) softmax_xent_rows(const float* __restrict__ logits, const float* __restrict__ labels,
                                             float* __restrict__ probs, int c, float* __restrict__ rowLoss) {
    long long base = (long long) blockIdx.x * c;
    float m = -INFINITY;
    for (int j = threadIdx.x; j < c; j += blockDim.x) m = fmaxf(m, logits[base + j]);
    m = block_max(m);
    double s = 0.0;
    for (int j = threadIdx.x; j < c; j += blockDim.x) s += exp((double) logits[base + j] - m);
    s = block_sum(s);
    double logSum = log(s);
    double l = 0.0;
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        double logp = (double) logits[base + j] - m - logSum;
        probs[base + j] = (float) exp(logp);
        l -= (double) labels[base + j] * logp;
    }
    l = block_sum(l);
    if (threadIdx.x == 0) rowLoss[blockIdx.x] = (float) l;
}

// loss[0] = scale * sum_r rowLoss[r]. One block of REDUCE_BLOCK threads.
extern "C" __global__ void __launch_bounds__(REDUCE_BLOCK) sum_scaled(const float* __restrict__ v, int n, float scale, float* __restrict__ out) {
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += v[i];
    s = block_sum(s);
    if (threadIdx.x == 0) out[0] = (float) (scale * s);
}

// dlogits = scale * (probs - labels), scale = dloss / rows; overwritten or accumulated.
extern "C" __global__ void softmax_xent_backward(const float* __restrict__ probs, const float* __restrict__ labels,
                                                 long long n, float scale, float* dlogits, int accumulate) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float v = scale * (probs[i] - labels[i]);
        dlogits[i] = accumulate ? dlogits[i] + v : v;
    }
}

// TF MomentumOptimizer: v = momentum * v + dw; w -= lr * v.
extern "C" __global__ void sgd_momentum(float* __restrict__ w, const float* __restrict__ dw, float* __restrict__ v,
                                        long long n, float lr, float momentum) {
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float vi = momentum * v[i] + dw[i];
        v[i] = vi;
        w[i] -= lr * vi;
    }
}
