// im2col: gathers every input window of a convolution into the column matrix that a GEMM
// (cuBLAS, backend 'cublas') multiplies by the weights. For a chunk of `images` images.
//
// Math. With C input channels, kernel R x S, output Ho x Wo (P = Ho * Wo pixels) and
//   q = (c * R + r) * S + s   (c = global input channel, q < C*R*S)
//   p = y * Wo + x
//   col[i, q, p] = in[i, c, src(y*strideH - padTop + r*dilH, H), src(x*strideW - padLeft + s*dilW, W)]
// for image i of the chunk, 0 where src() is -1. src() is the padding-mode index mapping of
// conv_common.cuh (zeros, reflect, replicate, circular), the same as PaddingMode.sourceIndex.
// Each image's block is a row-major [C*R*S x P] matrix. Rows g*Cg*R*S .. (g+1)*Cg*R*S - 1 are
// exactly group g's reduction (Cg = C / G), so group g's GEMM operand starts g*Cg*R*S*P floats in:
//   out[i, g*Kg + k, p] = sum_{q < Cg*R*S} w[g*Kg + k, q] * col[i, g*Cg*R*S + q, p]
// (dev.jconv.cuda.cublas.GemmPlan turns this into cublasSgemmStridedBatched calls).
//
// Launch geometry (dev.jconv.cuda.Im2colKernel): one thread per (i, c, y, x), which writes the
// R*S entries of its column; IM2COL_BLOCK = 256 threads, grid.x = ceil(images*C*P / 256), 64-bit
// flat index with x fastest, so the R*S stores of a warp are each 32 consecutive floats.
// Memory traffic: writes images*C*R*S*P floats (R*S/(strideH*strideW) times the input size for
// stride 1); reads R*S input elements per thread, mostly L1/L2 hits (neighbouring threads share
// windows). The column matrix is the price of using a plain GEMM; 1x1 stride-1 unpadded
// convolutions skip this kernel (the input already is the column matrix).
#include "conv_common.cuh"

#define IM2COL_BLOCK 256

extern "C" __global__ void __launch_bounds__(IM2COL_BLOCK)
im2col(const float* __restrict__ input, float* __restrict__ col,
       int images, int channels, int in_h, int in_w, int out_h, int out_w,
       int kernel_h, int kernel_w, int stride_h, int stride_w, int dil_h, int dil_w,
       int pad_top, int pad_left, int padding_mode) {
    const size_t index = (size_t)blockIdx.x * IM2COL_BLOCK + threadIdx.x;
    const size_t pixels = (size_t)out_h * out_w;
    if (index >= (size_t)images * channels * pixels) {
        return;
    }
    const size_t plane = index / pixels;  // i * C + c
    const int p = (int)(index - plane * pixels);
    const int y = p / out_w;
    const int x = p - y * out_w;
    const int taps = kernel_h * kernel_w;
    const float* __restrict__ in_plane = input + plane * in_h * in_w;
    // row q = c*R*S + r*S + s of image i starts at ((i*C + c)*R*S + r*S + s) * P = (plane*R*S + r*S + s) * P
    float* __restrict__ out = col + plane * taps * pixels + p;
    for (int r = 0; r < kernel_h; ++r) {
        const int iy = jconv_source_index(y * stride_h - pad_top + r * dil_h, in_h, padding_mode);
        for (int s = 0; s < kernel_w; ++s) {
            const int ix = jconv_source_index(x * stride_w - pad_left + s * dil_w, in_w, padding_mode);
            out[(size_t)(r * kernel_w + s) * pixels] = (iy < 0 || ix < 0) ? 0.0f : __ldg(in_plane + (size_t)iy * in_w + ix);
        }
    }
}
