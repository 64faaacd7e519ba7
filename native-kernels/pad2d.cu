// pad2d: the pad pass in front of a library convolution that only knows symmetric zero padding
// (cuDNN). Writes a padded copy of an NCHW tensor with PyTorch's padding applied, so the library
// then runs an unpadded convolution on it. Used for asymmetric padding ('same' with an even
// effective kernel) and for the reflect, replicate and circular padding modes.
//
// Math, for every plane (n, c) and padded coordinate (y, x) with y < Hp = H + padTop + padBottom,
// x < Wp = W + padLeft + padRight:
//   out[n, c, y, x] = in[n, c, src(y - padTop, H), src(x - padLeft, W)],  0 where src() is -1
// src() is the padding-mode index mapping of conv_common.cuh (zeros -> -1, reflect, replicate,
// circular), the same as dev.jconv.PaddingMode.sourceIndex.
//
// Launch geometry (dev.jconv.cuda.Pad2dKernel): one thread per output element, PAD2D_BLOCK = 256
// threads per block, grid.x = ceil(planes * Hp * Wp / 256); the flat index is 64-bit.
// Memory traffic: each output element written once, coalesced along x; each input element read
// once (border elements a few times more, from L2): planes * (H*W + Hp*Wp) * 4 bytes in total.
#include "conv_common.cuh"

#define PAD2D_BLOCK 256

extern "C" __global__ void __launch_bounds__(PAD2D_BLOCK)
pad2d(const float* __restrict__ input, float* __restrict__ output,
      int planes, int in_h, int in_w, int out_h, int out_w, int pad_top, int pad_left, int padding_mode) {
    const size_t index = (size_t)blockIdx.x * PAD2D_BLOCK + threadIdx.x;
    const size_t plane_size = (size_t)out_h * out_w;
    if (index >= (size_t)planes * plane_size) {
        return;
    }
    const size_t plane = index / plane_size;
    const int rest = (int)(index - plane * plane_size);
    const int y = rest / out_w;
    const int x = rest - y * out_w;
    const int iy = jconv_source_index(y - pad_top, in_h, padding_mode);
    const int ix = jconv_source_index(x - pad_left, in_w, padding_mode);
    output[index] = (iy < 0 || ix < 0) ? 0.0f : __ldg(input + (plane * in_h + iy) * in_w + ix);
}
