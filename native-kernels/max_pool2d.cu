// max_pool2d: torch.nn.MaxPool2d's forward (inference, no indices) on a contiguous NCHW float32 tensor,
// for networks that run on the device (dev.jconv.nn.MaxPool2d).
//
// Math, for every plane p = (n, c) < planes and output (oy, ox) < (out_h, out_w):
//   output[p, oy, ox] = max over r < kernel_h, s < kernel_w with
//                         y = oy * stride_h - pad_h + r * dilation_h in [0, in_h),
//                         x = ox * stride_w - pad_w + s * dilation_w in [0, in_w)
//                       of input[p, y, x]
// Padding is implicit -inf: taps outside the input are skipped, never read as 0, so an all-negative
// window stays negative. The running max starts at -inf and takes a tap when tap > max or tap is NaN,
// and once NaN it stays NaN (NaN > x is false), which is PyTorch's CPU and CUDA rule (isnan(val) ||
// val > maxval): any NaN in the window gives NaN. ceil_mode only changes out_h / out_w, which the
// caller computes with PyTorch's formula (dev.jconv.nn.NnValidator.checkMaxPool2d: the last window
// must start inside the input or its left padding), so every window here has at least one tap.
//
// Launch geometry (dev.jconv.cuda.MaxPool2dKernel): one thread per output element, MAX_POOL2D_BLOCK
// = 256 threads per block, grid.x = ceil(planes * out_h * out_w / 256); the flat index is 64-bit.
// Memory traffic: each output element written once (coalesced along x); each thread reads its
// kernel_h * kernel_w window, which neighbouring threads share through L1/L2 when windows overlap,
// so DRAM sees about planes * (in_h * in_w + out_h * out_w) * 4 bytes.

#define MAX_POOL2D_BLOCK 256

extern "C" __global__ void __launch_bounds__(MAX_POOL2D_BLOCK)
max_pool2d(const float* __restrict__ input, float* __restrict__ output, int planes, int in_h, int in_w,
           int out_h, int out_w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w,
           int dilation_h, int dilation_w) {
    const size_t index = (size_t)blockIdx.x * MAX_POOL2D_BLOCK + threadIdx.x;
    const size_t plane_size = (size_t)out_h * out_w;
    if (index >= (size_t)planes * plane_size) {
        return;
    }
    const size_t plane = index / plane_size;
    const int rest = (int)(index - plane * plane_size);
    const int oy = rest / out_w;
    const int ox = rest - oy * out_w;
    const int y0 = oy * stride_h - pad_h;
    const int x0 = ox * stride_w - pad_w;
    const float* in = input + plane * in_h * in_w;
    float max = -__builtin_huge_valf();  // -inf
    for (int r = 0; r < kernel_h; ++r) {
        const int y = y0 + r * dilation_h;
        if (y < 0 || y >= in_h) {
            continue;
        }
        for (int s = 0; s < kernel_w; ++s) {
            const int x = x0 + s * dilation_w;
            if (x < 0 || x >= in_w) {
                continue;
            }
            const float v = __ldg(in + (size_t)y * in_w + x);
            if (v > max || v != v) {
                max = v;
            }
        }
    }
    output[index] = max;
}
