// An EMULATED CUDA driver: a CPU stand-in for libcuda.so.1 that lets jconv's GPU host code run through
// JCuda's real JNI library (libJCudaDriver) on a machine without a GPU. It is not a GPU and its results
// are never GPU results: its one device is named "jconv emulated driver (CPU) - not a GPU".
//
// What it implements, as the CUDA driver API documents it (https://docs.nvidia.com/cuda/cuda-driver-api/):
// cuInit, device queries and attributes, the primary context (retain/release/set current), device and
// pinned host memory, synchronous and asynchronous copies and memset, streams, events, module load
// from PTX (each .entry mapped to the host build of the same kernel source), cuModuleGetFunction and
// cuLaunchKernel, which decodes kernelParams (one pointer per argument, to its value) per the kernel's
// signature and runs the grid block by block, a block's threads as fibers on the calling thread
// (__syncthreads switches to the next fiber; see cuda_host_shim.h). Every other function libJCudaDriver
// imports is defined by build-emulated-driver.sh as returning CUDA_ERROR_NOT_SUPPORTED.
//
// Work is done when it is queued (streams and events are in order trivially); launches are serialised,
// because cuda_host_shim.h keeps a block's __shared__ arrays in function statics. Like the real driver
// it checks what a real one checks (current context, known handles, copies inside an allocation, block
// and grid limits, 48 KiB of dynamic shared memory), so host-code mistakes show up as CUDA errors.
#include "cuda_host_shim.h"
#include "conv2d_direct.host.cu"
#include "conv2d_implicit_gemm.host.cu"
#include "pad2d.cu"
#include "im2col.cu"
#include "relu.cu"
#include "max_pool2d.cu"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace {

enum : CUresult {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_SUPPORTED = 801,
};

const char* const DEVICE_NAME = "jconv emulated driver (CPU) - not a GPU";
constexpr int DRIVER_VERSION = 13000;  // CUDA 13.0: what jconv's PTX (ISA 9.0) needs
constexpr size_t TOTAL_MEMORY = size_t(4) << 30;
constexpr unsigned MAX_DYNAMIC_SHARED = 48 * 1024;  // without the opt-in attribute, as on every GPU
constexpr size_t FIBER_STACK = 64 * 1024;

bool initialized = false;

struct Context {
    int retains = 0;
};
Context primary;
thread_local Context* current = nullptr;

struct Stream {
    unsigned flags;
};
struct Event {
    std::chrono::steady_clock::time_point at{};
    bool recorded = false;
};

// A host build of one kernel: parameter count and block-size bound (from the .cu), and an adapter
// that reads each argument from kernelParams as the driver does: params[i] points at argument i.
struct HostKernel {
    const char* name;
    int parameters;
    unsigned max_threads;
    void (*run)(void** params, float* dynamic_shared);
};

template <class T>
T arg(void** params, int i) {
    T value;
    std::memcpy(&value, params[i], sizeof(T));
    return value;
}

void run_direct(void** p, float* window) {
    conv2d_direct(arg<const float*>(p, 0), arg<const float*>(p, 1), arg<const float*>(p, 2), arg<float*>(p, 3),
                  arg<int>(p, 4), arg<int>(p, 5), arg<int>(p, 6), arg<int>(p, 7), arg<int>(p, 8), arg<int>(p, 9),
                  arg<int>(p, 10), arg<int>(p, 11), arg<int>(p, 12), arg<int>(p, 13), arg<int>(p, 14), arg<int>(p, 15),
                  arg<int>(p, 16), arg<int>(p, 17), arg<int>(p, 18), arg<int>(p, 19), arg<int>(p, 20),
                  arg<int>(p, 21), arg<int>(p, 22), arg<int>(p, 23), arg<int>(p, 24), window);
}

template <void (*Kernel)(JCONV_IGEMM_PARAMS)>
void run_igemm(void** p, float*) {
    Kernel(arg<const float*>(p, 0), arg<const float*>(p, 1), arg<const float*>(p, 2), arg<float*>(p, 3),
           arg<const int4*>(p, 4), arg<int>(p, 5), arg<int>(p, 6), arg<int>(p, 7), arg<int>(p, 8), arg<int>(p, 9),
           arg<int>(p, 10), arg<int>(p, 11), arg<int>(p, 12), arg<int>(p, 13), arg<int>(p, 14), arg<int>(p, 15),
           arg<int>(p, 16), arg<int>(p, 17), arg<int>(p, 18), arg<int>(p, 19), arg<int>(p, 20), arg<int>(p, 21),
           arg<int>(p, 22));
}

void run_pad2d(void** p, float*) {
    pad2d(arg<const float*>(p, 0), arg<float*>(p, 1), arg<int>(p, 2), arg<int>(p, 3), arg<int>(p, 4), arg<int>(p, 5),
          arg<int>(p, 6), arg<int>(p, 7), arg<int>(p, 8), arg<int>(p, 9));
}

void run_im2col(void** p, float*) {
    im2col(arg<const float*>(p, 0), arg<float*>(p, 1), arg<int>(p, 2), arg<int>(p, 3), arg<int>(p, 4), arg<int>(p, 5),
           arg<int>(p, 6), arg<int>(p, 7), arg<int>(p, 8), arg<int>(p, 9), arg<int>(p, 10), arg<int>(p, 11),
           arg<int>(p, 12), arg<int>(p, 13), arg<int>(p, 14), arg<int>(p, 15), arg<int>(p, 16));
}

void run_relu(void** p, float*) {
    relu(arg<const float*>(p, 0), arg<float*>(p, 1), arg<int>(p, 2), arg<int>(p, 3));
}

void run_max_pool2d(void** p, float*) {
    max_pool2d(arg<const float*>(p, 0), arg<float*>(p, 1), arg<int>(p, 2), arg<int>(p, 3), arg<int>(p, 4),
               arg<int>(p, 5), arg<int>(p, 6), arg<int>(p, 7), arg<int>(p, 8), arg<int>(p, 9), arg<int>(p, 10),
               arg<int>(p, 11), arg<int>(p, 12), arg<int>(p, 13), arg<int>(p, 14));
}

const HostKernel KERNELS[] = {
    {"conv2d_direct", 25, TILE_W * TILE_H, run_direct},
    {"conv2d_igemm_64x64", 23, 256, run_igemm<conv2d_igemm_64x64>},
    {"conv2d_igemm_128x128", 23, 256, run_igemm<conv2d_igemm_128x128>},
    {"pad2d", 10, PAD2D_BLOCK, run_pad2d},
    {"im2col", 17, IM2COL_BLOCK, run_im2col},
    {"relu", 4, RELU_BLOCK, run_relu},
    {"max_pool2d", 15, MAX_POOL2D_BLOCK, run_max_pool2d},
};

struct Module {
    std::vector<std::unique_ptr<HostKernel>> functions;  // one per .entry the PTX defines
};

std::mutex state_lock;  // allocations and handle sets
std::map<uintptr_t, size_t> device_allocations;
size_t device_bytes_in_use = 0;
std::set<void*> pinned_allocations;
std::set<const void*> streams, events, modules, functions;
std::mutex launch_lock;  // one kernel at a time (shared memory is function-static)

bool known(const std::set<const void*>& handles, const void* h) {
    std::lock_guard<std::mutex> g(state_lock);
    return handles.count(h) != 0;
}

void remember(std::set<const void*>& handles, const void* h) {
    std::lock_guard<std::mutex> g(state_lock);
    handles.insert(h);
}

bool forget(std::set<const void*>& handles, const void* h) {
    std::lock_guard<std::mutex> g(state_lock);
    return handles.erase(h) != 0;
}

// A new stream or event handle, known to the driver until destroy_handle.
template <class T>
CUresult create_handle(std::set<const void*>& handles, T* object, void** handle) {
    remember(handles, object);
    *handle = object;
    return CUDA_SUCCESS;
}

template <class T>
CUresult destroy_handle(std::set<const void*>& handles, void* handle) {
    if (!forget(handles, handle)) return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<T*>(handle);
    return CUDA_SUCCESS;
}

// The legacy (0) and per-thread (2) default streams are always valid, as in the real driver.
bool valid_stream(const void* s) {
    return s == nullptr || s == reinterpret_cast<const void*>(2) || known(streams, s);
}

// Whether [address, address + bytes) lies inside one live device allocation.
bool inside_allocation(CUdeviceptr address, size_t bytes) {
    std::lock_guard<std::mutex> g(state_lock);
    auto it = device_allocations.upper_bound(static_cast<uintptr_t>(address));
    if (it == device_allocations.begin()) return false;
    --it;
    return address >= it->first && address + bytes <= it->first + it->second;
}

// The one device: ordinal 0.
CUresult need_device(int device) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    return device == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

CUresult need_context() {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    return current == nullptr ? CUDA_ERROR_INVALID_CONTEXT : CUDA_SUCCESS;
}

// --- fibers: one per GPU thread of a block, switched on the calling OS thread ---------------------
extern "C" void jconv_fiber_switch(void** save_sp, void* resume_sp);
asm(R"(
.text
.globl jconv_fiber_switch
.hidden jconv_fiber_switch
.type jconv_fiber_switch,@function
jconv_fiber_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size jconv_fiber_switch, .-jconv_fiber_switch
.section .note.GNU-stack,"",@progbits
.text
)");

struct BlockRun {
    void* scheduler_sp = nullptr;
    std::vector<void*> fiber_sp;
    std::vector<std::unique_ptr<char[]>> stacks;
    std::vector<dim3> thread_index;
    unsigned running = 0;  // the fiber now executing
    unsigned finished = 0;
    const HostKernel* kernel = nullptr;
    void** params = nullptr;
};
BlockRun block_run;  // used under launch_lock only

void yield_to_scheduler() {
    jconv_fiber_switch(&block_run.fiber_sp[block_run.running], block_run.scheduler_sp);
}

[[noreturn]] void fiber_entry() {
    block_run.kernel->run(block_run.params, jconv_dynamic_shared.data());
    block_run.finished++;
    void* discarded;
    jconv_fiber_switch(&discarded, block_run.scheduler_sp);
    std::abort();  // a finished fiber is never resumed
}

// A fresh stack whose first switch-in "returns" into fiber_entry with the ABI's alignment.
void* fresh_fiber(char* stack) {
    uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + FIBER_STACK) & ~uintptr_t(15);
    void** sp = reinterpret_cast<void**>(top);
    *--sp = nullptr;                                           // fiber_entry's (never used) return address
    *--sp = reinterpret_cast<void*>(&fiber_entry);             // popped by ret
    for (int i = 0; i < 6; ++i) *--sp = nullptr;               // rbp rbx r12-r15
    --sp;
    uint32_t control[2] = {0x1F80, 0x037F};                    // default MXCSR, x87 control word
    std::memcpy(sp, control, sizeof control);
    return sp;
}

void run_grid(const HostKernel& k, dim3 grid, dim3 block, unsigned dynamic_shared, void** params) {
    const unsigned threads = block.x * block.y * block.z;
    BlockRun& r = block_run;
    r.kernel = &k;
    r.params = params;
    while (r.stacks.size() < threads) r.stacks.emplace_back(new char[FIBER_STACK]);
    r.fiber_sp.assign(threads, nullptr);
    r.thread_index.resize(threads);
    for (unsigned t = 0; t < threads; ++t) {
        r.thread_index[t] = dim3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
    }
    jconv_syncthreads_hook = yield_to_scheduler;
    const unsigned long blocks = (unsigned long)grid.x * grid.y * grid.z;
    for (unsigned long b = 0; b < blocks; ++b) {
        blockIdx = dim3{(unsigned)(b % grid.x), (unsigned)(b / grid.x % grid.y), (unsigned)(b / grid.x / grid.y)};
        // poisoned, so a read before a write shows up as NaN in the result
        jconv_dynamic_shared.assign(dynamic_shared / sizeof(float), std::nanf(""));
        for (unsigned t = 0; t < threads; ++t) r.fiber_sp[t] = fresh_fiber(r.stacks[t].get());
        r.finished = 0;
        std::vector<bool> done(threads, false);
        while (r.finished < threads) {  // one pass = every live thread runs to its next barrier or its end
            for (unsigned t = 0; t < threads; ++t) {
                if (done[t]) continue;
                const unsigned before = r.finished;
                r.running = t;
                threadIdx = r.thread_index[t];
                jconv_fiber_switch(&r.scheduler_sp, r.fiber_sp[t]);
                if (r.finished != before) done[t] = true;
            }
        }
    }
    jconv_syncthreads_hook = nullptr;
}

// The .entry names of a PTX text and their parameter counts.
std::map<std::string, int> ptx_entries(const char* ptx) {
    std::map<std::string, int> entries;
    static const std::regex entry(R"(\.entry\s+([A-Za-z_$][\w$]*)\s*\(([^)]*)\))");
    static const std::regex param(R"(\.param\s)");
    const std::string text(ptx);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it) {
        const std::string list = (*it)[2];
        entries[(*it)[1]] = (int)std::distance(std::sregex_iterator(list.begin(), list.end(), param), std::sregex_iterator());
    }
    return entries;
}

const char* error_name(CUresult r) {
    switch (r) {
    case CUDA_SUCCESS: return "CUDA_SUCCESS";
    case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
    case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
    case CUDA_ERROR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
    case CUDA_ERROR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
    case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
    case CUDA_ERROR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
    case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
    case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
    case CUDA_ERROR_NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
    default: return nullptr;
    }
}

const char* error_string(CUresult r) {
    switch (r) {
    case CUDA_SUCCESS: return "no error";
    case CUDA_ERROR_INVALID_VALUE: return "invalid argument";
    case CUDA_ERROR_OUT_OF_MEMORY: return "out of memory";
    case CUDA_ERROR_NOT_INITIALIZED: return "initialization error";
    case CUDA_ERROR_INVALID_DEVICE: return "invalid device ordinal";
    case CUDA_ERROR_INVALID_IMAGE: return "device kernel image is invalid";
    case CUDA_ERROR_INVALID_CONTEXT: return "invalid device context";
    case CUDA_ERROR_INVALID_HANDLE: return "invalid resource handle";
    case CUDA_ERROR_NOT_FOUND: return "named symbol not found";
    case CUDA_ERROR_NOT_SUPPORTED: return "operation not supported (by the jconv emulated driver)";
    default: return nullptr;
    }
}

CUresult copy(void* dst, const void* src, size_t bytes) {
    std::memmove(dst, src, bytes);
    return CUDA_SUCCESS;
}

CUresult host_to_device(CUdeviceptr dst, const void* src, size_t bytes) {
    if (CUresult r = need_context()) return r;
    if (!inside_allocation(dst, bytes) || src == nullptr) return CUDA_ERROR_INVALID_VALUE;
    return copy(reinterpret_cast<void*>(dst), src, bytes);
}

CUresult device_to_host(void* dst, CUdeviceptr src, size_t bytes) {
    if (CUresult r = need_context()) return r;
    if (!inside_allocation(src, bytes) || dst == nullptr) return CUDA_ERROR_INVALID_VALUE;
    return copy(dst, reinterpret_cast<const void*>(src), bytes);
}

CUresult device_to_device(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
    if (CUresult r = need_context()) return r;
    if (!inside_allocation(dst, bytes) || !inside_allocation(src, bytes)) return CUDA_ERROR_INVALID_VALUE;
    return copy(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
}

CUresult set32(CUdeviceptr dst, unsigned value, size_t count) {
    if (CUresult r = need_context()) return r;
    if (dst % 4 != 0 || !inside_allocation(dst, count * 4)) return CUDA_ERROR_INVALID_VALUE;
    unsigned* p = reinterpret_cast<unsigned*>(dst);
    for (size_t i = 0; i < count; ++i) p[i] = value;
    return CUDA_SUCCESS;
}

CUresult set8(CUdeviceptr dst, unsigned char value, size_t count) {
    if (CUresult r = need_context()) return r;
    if (!inside_allocation(dst, count)) return CUDA_ERROR_INVALID_VALUE;
    std::memset(reinterpret_cast<void*>(dst), value, count);
    return CUDA_SUCCESS;
}

}  // namespace

#define API extern "C" __attribute__((visibility("default")))

API CUresult cuInit(unsigned flags) {
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    initialized = true;
    return CUDA_SUCCESS;
}

API CUresult cuDriverGetVersion(int* version) {
    if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *version = DRIVER_VERSION;
    return CUDA_SUCCESS;
}

API CUresult cuGetErrorName(CUresult error, const char** name) {
    *name = error_name(error);
    return *name == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

API CUresult cuGetErrorString(CUresult error, const char** text) {
    *text = error_string(error);
    return *text == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

API CUresult cuDeviceGetCount(int* count) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    *count = 1;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGet(int* device, int ordinal) {
    if (CUresult r = need_device(ordinal)) return r;
    *device = 0;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetName(char* name, int length, int device) {
    if (CUresult r = need_device(device)) return r;
    if (name == nullptr || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    std::snprintf(name, (size_t)length, "%s", DEVICE_NAME);
    return CUDA_SUCCESS;
}

API CUresult cuDeviceTotalMem_v2(size_t* bytes, int device) {
    if (CUresult r = need_device(device)) return r;
    *bytes = TOTAL_MEMORY;
    return CUDA_SUCCESS;
}

// Values of a small sm_90-like device: 4 SMs keep the planner's full-wave choices reachable with
// small (fast to emulate) shapes.
API CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
    if (CUresult r = need_device(device)) return r;
    static const std::map<int, int> attributes = {
        {1, 1024},        // MAX_THREADS_PER_BLOCK
        {2, 1024}, {3, 1024}, {4, 64},          // MAX_BLOCK_DIM_X/Y/Z
        {5, 2147483647}, {6, 65535}, {7, 65535},  // MAX_GRID_DIM_X/Y/Z
        {8, 49152},       // MAX_SHARED_MEMORY_PER_BLOCK
        {10, 32},         // WARP_SIZE
        {12, 65536},      // MAX_REGISTERS_PER_BLOCK
        {16, 4},          // MULTIPROCESSOR_COUNT
        {39, 2048},       // MAX_THREADS_PER_MULTIPROCESSOR
        {41, 1},          // UNIFIED_ADDRESSING
        {75, 9}, {76, 0},  // COMPUTE_CAPABILITY_MAJOR/MINOR
        {81, 233472},     // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
        {82, 65536},      // MAX_REGISTERS_PER_MULTIPROCESSOR
        {97, 232448},     // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
        {106, 32},        // MAX_BLOCKS_PER_MULTIPROCESSOR
    };
    auto it = attributes.find(attribute);
    if (it == attributes.end()) return CUDA_ERROR_NOT_SUPPORTED;
    *value = it->second;
    return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRetain(void** context, int device) {
    if (CUresult r = need_device(device)) return r;
    std::lock_guard<std::mutex> g(state_lock);
    primary.retains++;
    *context = &primary;
    return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(int device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> g(state_lock);
    if (primary.retains == 0) return CUDA_ERROR_INVALID_CONTEXT;
    primary.retains--;
    return CUDA_SUCCESS;
}

API CUresult cuCtxSetCurrent(void* context) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (context != nullptr && context != &primary) return CUDA_ERROR_INVALID_CONTEXT;
    current = static_cast<Context*>(context);
    return CUDA_SUCCESS;
}

API CUresult cuCtxGetCurrent(void** context) {
    *context = current;
    return CUDA_SUCCESS;
}

API CUresult cuCtxGetDevice(int* device) {
    if (CUresult r = need_context()) return r;
    *device = 0;
    return CUDA_SUCCESS;
}

API CUresult cuCtxSynchronize() {
    return need_context();  // work is done when queued
}

API CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    if (CUresult r = need_context()) return r;
    std::lock_guard<std::mutex> g(state_lock);
    *free = TOTAL_MEMORY - device_bytes_in_use;
    *total = TOTAL_MEMORY;
    return CUDA_SUCCESS;
}

API CUresult cuMemAlloc_v2(CUdeviceptr* pointer, size_t bytes) {
    if (CUresult r = need_context()) return r;
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    const size_t rounded = (bytes + 255) / 256 * 256;
    {
        std::lock_guard<std::mutex> g(state_lock);
        if (rounded > TOTAL_MEMORY - device_bytes_in_use) return CUDA_ERROR_OUT_OF_MEMORY;
        device_bytes_in_use += rounded;
    }
    void* p = std::aligned_alloc(256, rounded);
    std::lock_guard<std::mutex> g(state_lock);
    if (p == nullptr) {
        device_bytes_in_use -= rounded;
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    device_allocations[reinterpret_cast<uintptr_t>(p)] = rounded;
    *pointer = reinterpret_cast<CUdeviceptr>(p);
    return CUDA_SUCCESS;
}

API CUresult cuMemFree_v2(CUdeviceptr pointer) {
    if (CUresult r = need_context()) return r;
    std::lock_guard<std::mutex> g(state_lock);
    auto it = device_allocations.find(static_cast<uintptr_t>(pointer));
    if (it == device_allocations.end()) return CUDA_ERROR_INVALID_VALUE;
    device_bytes_in_use -= it->second;
    device_allocations.erase(it);
    std::free(reinterpret_cast<void*>(pointer));
    return CUDA_SUCCESS;
}

API CUresult cuMemAllocHost_v2(void** pointer, size_t bytes) {
    if (CUresult r = need_context()) return r;
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    void* p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    if (p == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
    std::lock_guard<std::mutex> g(state_lock);
    pinned_allocations.insert(p);
    *pointer = p;
    return CUDA_SUCCESS;
}

API CUresult cuMemHostAlloc(void** pointer, size_t bytes, unsigned) {
    return cuMemAllocHost_v2(pointer, bytes);
}

API CUresult cuMemFreeHost(void* pointer) {
    if (CUresult r = need_context()) return r;
    std::lock_guard<std::mutex> g(state_lock);
    if (pinned_allocations.erase(pointer) == 0) return CUDA_ERROR_INVALID_VALUE;
    std::free(pointer);
    return CUDA_SUCCESS;
}

API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) { return host_to_device(dst, src, bytes); }
API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) { return device_to_host(dst, src, bytes); }
API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) { return device_to_device(dst, src, bytes); }

API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream) {
    return valid_stream(stream) ? host_to_device(dst, src, bytes) : CUDA_ERROR_INVALID_HANDLE;
}
API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream) {
    return valid_stream(stream) ? device_to_host(dst, src, bytes) : CUDA_ERROR_INVALID_HANDLE;
}
API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream) {
    return valid_stream(stream) ? device_to_device(dst, src, bytes) : CUDA_ERROR_INVALID_HANDLE;
}

API CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned value, size_t count) { return set32(dst, value, count); }
API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count, void* stream) {
    return valid_stream(stream) ? set32(dst, value, count) : CUDA_ERROR_INVALID_HANDLE;
}
API CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, size_t count) { return set8(dst, value, count); }
API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count, void* stream) {
    return valid_stream(stream) ? set8(dst, value, count) : CUDA_ERROR_INVALID_HANDLE;
}

API CUresult cuStreamCreate(void** stream, unsigned flags) {
    if (CUresult r = need_context()) return r;
    if (flags > 1) return CUDA_ERROR_INVALID_VALUE;  // CU_STREAM_DEFAULT or CU_STREAM_NON_BLOCKING
    return create_handle(streams, new Stream{flags}, stream);
}

API CUresult cuStreamDestroy_v2(void* stream) {
    return destroy_handle<Stream>(streams, stream);
}

API CUresult cuStreamGetFlags(void* stream, unsigned* flags) {
    if (!known(streams, stream)) return CUDA_ERROR_INVALID_HANDLE;
    *flags = static_cast<Stream*>(stream)->flags;
    return CUDA_SUCCESS;
}

API CUresult cuStreamSynchronize(void* stream) {
    return valid_stream(stream) ? need_context() : CUDA_ERROR_INVALID_HANDLE;
}

API CUresult cuStreamQuery(void* stream) {
    return valid_stream(stream) ? need_context() : CUDA_ERROR_INVALID_HANDLE;
}

API CUresult cuStreamWaitEvent(void* stream, void* event, unsigned) {
    if (!valid_stream(stream) || !known(events, event)) return CUDA_ERROR_INVALID_HANDLE;
    return need_context();
}

API CUresult cuEventCreate(void** event, unsigned) {
    if (CUresult r = need_context()) return r;
    return create_handle(events, new Event(), event);
}

API CUresult cuEventDestroy_v2(void* event) {
    return destroy_handle<Event>(events, event);
}

API CUresult cuEventRecord(void* event, void* stream) {
    if (!known(events, event) || !valid_stream(stream)) return CUDA_ERROR_INVALID_HANDLE;
    Event* e = static_cast<Event*>(event);
    e->at = std::chrono::steady_clock::now();
    e->recorded = true;
    return CUDA_SUCCESS;
}

API CUresult cuEventSynchronize(void* event) {
    return known(events, event) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

API CUresult cuEventQuery(void* event) {
    return known(events, event) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

API CUresult cuEventElapsedTime(float* ms, void* start, void* end) {
    if (!known(events, start) || !known(events, end)) return CUDA_ERROR_INVALID_HANDLE;
    const Event* a = static_cast<Event*>(start);
    const Event* b = static_cast<Event*>(end);
    if (!a->recorded || !b->recorded) return CUDA_ERROR_INVALID_HANDLE;
    *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
    return CUDA_SUCCESS;
}

// PTX in, a module out whose functions are the host builds of its .entry kernels. A PTX entry with
// no host build, or whose parameter count differs from the host build's, fails the load: the PTX and
// the kernel sources it was compiled from must agree.
API CUresult cuModuleLoadData(void** module, const void* image) {
    if (CUresult r = need_context()) return r;
    if (image == nullptr) return CUDA_ERROR_INVALID_VALUE;
    const std::map<std::string, int> entries = ptx_entries(static_cast<const char*>(image));
    if (entries.empty()) return CUDA_ERROR_INVALID_IMAGE;
    auto m = std::make_unique<Module>();
    for (const auto& [name, parameters] : entries) {
        const HostKernel* host = nullptr;
        for (const HostKernel& k : KERNELS) {
            if (name == k.name) host = &k;
        }
        if (host == nullptr || host->parameters != parameters) {
            std::fprintf(stderr, "jconv emulated driver: PTX entry %s(%d parameters) has %s\n", name.c_str(), parameters,
                         host == nullptr ? "no host build" : "a different parameter count in its host build");
            return CUDA_ERROR_INVALID_IMAGE;
        }
        m->functions.push_back(std::make_unique<HostKernel>(*host));
        remember(functions, m->functions.back().get());
    }
    remember(modules, m.get());
    *module = m.release();
    return CUDA_SUCCESS;
}

API CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned, void*, void*) {
    return cuModuleLoadData(module, image);
}

API CUresult cuModuleUnload(void* module) {
    if (!forget(modules, module)) return CUDA_ERROR_INVALID_HANDLE;
    std::unique_ptr<Module> m(static_cast<Module*>(module));
    for (const auto& f : m->functions) forget(functions, f.get());
    return CUDA_SUCCESS;
}

API CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
    if (CUresult r = need_context()) return r;
    if (!known(modules, module)) return CUDA_ERROR_INVALID_HANDLE;
    for (const auto& f : static_cast<Module*>(module)->functions) {
        if (std::strcmp(f->name, name) == 0) {
            *function = f.get();
            return CUDA_SUCCESS;
        }
    }
    return CUDA_ERROR_NOT_FOUND;
}

API CUresult cuFuncGetAttribute(int* value, int attribute, void* function) {
    if (!known(functions, function)) return CUDA_ERROR_INVALID_HANDLE;
    const HostKernel* k = static_cast<HostKernel*>(function);
    switch (attribute) {
    case 0: *value = (int)k->max_threads; return CUDA_SUCCESS;  // MAX_THREADS_PER_BLOCK (the launch bound)
    case 4: *value = 32; return CUDA_SUCCESS;                    // NUM_REGS: a placeholder, no code is generated
    default: return CUDA_ERROR_NOT_SUPPORTED;
    }
}

API CUresult cuLaunchKernel(void* function, unsigned grid_x, unsigned grid_y, unsigned grid_z, unsigned block_x,
                            unsigned block_y, unsigned block_z, unsigned dynamic_shared, void* stream, void** params,
                            void** extra) {
    if (CUresult r = need_context()) return r;
    if (!known(functions, function) || !valid_stream(stream)) return CUDA_ERROR_INVALID_HANDLE;
    const HostKernel& k = *static_cast<HostKernel*>(function);
    const unsigned long threads = (unsigned long)block_x * block_y * block_z;
    if (params == nullptr || extra != nullptr || grid_x == 0 || grid_y == 0 || grid_z == 0 || threads == 0
        || threads > k.max_threads || block_z > 64 || grid_y > 65535 || grid_z > 65535 || grid_x > 2147483647u
        || dynamic_shared > MAX_DYNAMIC_SHARED) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    std::lock_guard<std::mutex> g(launch_lock);
    run_grid(k, dim3{grid_x, grid_y, grid_z}, dim3{block_x, block_y, block_z}, dynamic_shared, params);
    return CUDA_SUCCESS;
}
