// Just enough of CUDA C++ to compile jconv's kernels as host C++ and run them on the CPU, one
// std::thread per GPU thread and a std::barrier per block for __syncthreads(). Blocks run one at a
// time, so function-static arrays stand in for __shared__ memory. This checks the kernels' index
// math and results (under AddressSanitizer/UBSan) on a machine without a GPU; it says nothing
// about speed, warp-level behaviour or the real compiler's code.
#pragma once
#include <barrier>
#include <cmath>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(16) int4 {
    int x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
template <class T>
inline T __ldg(const T* p) { return *p; }

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline std::barrier<>* jconv_block_barrier = nullptr;
inline std::vector<float> jconv_dynamic_shared;
// Set by a launcher that runs a block's threads as fibers on one OS thread (emulated_driver.cpp):
// __syncthreads() then yields to the next fiber instead of waiting at the barrier.
inline void (*jconv_syncthreads_hook)() = nullptr;

inline void __syncthreads() {
    if (jconv_syncthreads_hook != nullptr) {
        jconv_syncthreads_hook();
    } else {
        jconv_block_barrier->arrive_and_wait();
    }
}

// Runs body() once per thread of every block of the grid. One std::thread per GPU thread of a
// block; they walk the blocks together, meeting at a barrier between blocks.
inline void emulate_launch(dim3 grid, dim3 block, size_t dynamic_shared_bytes, const std::function<void()>& body) {
    const unsigned threads = block.x * block.y * block.z;
    const unsigned long blocks = (unsigned long)grid.x * grid.y * grid.z;
    // poisoned, so a read before a write shows up as NaN in the result
    jconv_dynamic_shared.assign(dynamic_shared_bytes / sizeof(float), std::nanf(""));
    std::barrier<> barrier(threads);
    jconv_block_barrier = &barrier;
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            threadIdx = dim3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
            for (unsigned long b = 0; b < blocks; ++b) {
                blockIdx = dim3{(unsigned)(b % grid.x), (unsigned)(b / grid.x % grid.y), (unsigned)(b / grid.x / grid.y)};
                body();
                barrier.arrive_and_wait();
                if (t == 0) {
                    jconv_dynamic_shared.assign(jconv_dynamic_shared.size(), std::nanf(""));
                }
                barrier.arrive_and_wait();
            }
        });
    }
    for (auto& th : pool) th.join();
}
