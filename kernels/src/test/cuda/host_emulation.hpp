// Runs convbench's CUDA C kernels on the host, so their index arithmetic, reductions and
// accumulate flags can be checked against the CPU backend on a machine without a GPU (tier 1).
//
// The emulation is literal: every CUDA thread of a block is one std::thread, __syncthreads() is a
// std::barrier over the block's threads, and __shared__ variables are function statics (one copy,
// which is right because blocks run one after another). Blocks run in order, so a kernel that
// relied on inter-block ordering would pass here and fail on a GPU; none of ours does (each block
// writes its own elements or, for reductions, runs alone).
#pragma once

#include <barrier>
#include <cmath>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __restrict__ __restrict
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<>* block_barrier = nullptr;

inline void __syncthreads() { block_barrier->arrive_and_wait(); }

// kernel<<<grid, block>>>(args...), 1-D, run to completion.
template <class Kernel, class... Args>
void launch(unsigned grid, unsigned block, Kernel kernel, Args... args) {
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    for (unsigned b = 0; b < grid; b++) {
        std::barrier<> barrier(block);
        block_barrier = &barrier;
        std::vector<std::thread> threads;
        threads.reserve(block);
        for (unsigned t = 0; t < block; t++)
            threads.emplace_back([=] {
                threadIdx = {t, 0, 0};
                blockIdx = {b, 0, 0};
                kernel(args...);
            });
        for (auto& th : threads) th.join();
        block_barrier = nullptr;
    }
}
