// conv2d_direct: one thread per output pixel, input tile staged in shared memory.
// For depthwise and other grouped convolutions with few output channels per group, where a GEMM
// tile would be mostly empty.
//
// Math (PyTorch nn.Conv2d forward, cross-correlation), for output element (n, k, y, x):
//   g = k / Kg                    (Kg = K / G output channels per group, Cg = C / G inputs per group)
//   out[n,k,y,x] = bias[k] + sum_{c < Cg, r < R, s < S} w[k,c,r,s] * in[n, g*Cg + c, iy, ix]
//   iy = src(y*strideH - padTop  + r*dilH, H),  ix = src(x*strideW - padLeft + s*dilW, W)
// src() is the padding-mode index mapping of conv_common.cuh (zeros reads 0). Optional ReLU after
// the bias. Accumulation in fp32 with fused multiply-add.
//
// Launch geometry (computed by dev.jconv.cuda.LaunchPlanner):
//   block = (TILE_W, TILE_H) = (32, 8) threads; each thread owns one output pixel of a 32x8 tile.
//   grid.x = N * K * tilesY * tilesX (one block per output tile of one (n, k) plane; flattened so
//            no grid dimension limit applies; tiles of one plane are adjacent for L2 locality).
//   dynamic shared memory = inTileH * inTileW floats, the input window the tile reads:
//            inTileH = (TILE_H - 1) * strideH + (R - 1) * dilH + 1, likewise inTileW.
// Memory traffic per block: Cg input windows (each element read once from global, through the
//   padding mapping, reused up to R*S times from shared memory), Cg*R*S weights (uniform per block,
//   broadcast through the read-only cache), one 32x8 output tile written coalesced along x.
//   Depthwise 3x3 stride 1: ~1.3 reads + 1 write per output element, the memory-bound minimum.
#include "conv_common.cuh"

#define TILE_W 32
#define TILE_H 8

// At least 4 blocks per SM (<= 64 registers; 4 x 256 threads also fits sm_75's 1024): without the
// hint, CUDA 13.0's ptxas squeezes this kernel into 32 registers with spills for sm_80.
extern "C" __global__ void __launch_bounds__(TILE_W * TILE_H, 4)
conv2d_direct(const float* __restrict__ input, const float* __restrict__ weight,
              const float* __restrict__ bias, float* __restrict__ output,
              int in_channels, int in_h, int in_w,
              int out_channels, int out_h, int out_w,
              int kernel_h, int kernel_w, int stride_h, int stride_w, int dil_h, int dil_w,
              int pad_top, int pad_left, int groups, int padding_mode, int fuse_relu,
              int tiles_x, int tiles_y, int in_tile_h, int in_tile_w) {
    extern __shared__ float window[];

    const int tiles_per_plane = tiles_x * tiles_y;
    const int tile = blockIdx.x % tiles_per_plane;
    const int plane = blockIdx.x / tiles_per_plane;  // n * K + k
    const int k = plane % out_channels;
    const int n = plane / out_channels;
    const int cg = in_channels / groups;
    const int kg = out_channels / groups;
    const int first_channel = (k / kg) * cg;

    const int out_x0 = (tile % tiles_x) * TILE_W;
    const int out_y0 = (tile / tiles_x) * TILE_H;
    const int ox = out_x0 + threadIdx.x;
    const int oy = out_y0 + threadIdx.y;
    // top-left input coordinate the tile reads (may be negative: padding)
    const int in_y0 = out_y0 * stride_h - pad_top;
    const int in_x0 = out_x0 * stride_w - pad_left;
    const int thread = threadIdx.y * TILE_W + threadIdx.x;
    const int window_size = in_tile_h * in_tile_w;
    const size_t plane_size = (size_t)in_h * in_w;

    float acc = 0.0f;
    for (int c = 0; c < cg; ++c) {
        const float* in_plane = input + ((size_t)n * in_channels + first_channel + c) * plane_size;
        __syncthreads();  // the previous channel's window is no longer read
        for (int i = thread; i < window_size; i += TILE_W * TILE_H) {
            const int wy = i / in_tile_w;
            const int wx = i - wy * in_tile_w;
            const int iy = jconv_source_index(in_y0 + wy, in_h, padding_mode);
            const int ix = jconv_source_index(in_x0 + wx, in_w, padding_mode);
            window[i] = (iy >= 0 && ix >= 0) ? __ldg(in_plane + (size_t)iy * in_w + ix) : 0.0f;
        }
        __syncthreads();
        const float* w = weight + ((size_t)k * cg + c) * kernel_h * kernel_w;
        const int ty = threadIdx.y * stride_h;
        const int tx = threadIdx.x * stride_w;
        for (int r = 0; r < kernel_h; ++r) {
            const float* row = window + (ty + r * dil_h) * in_tile_w + tx;
            for (int s = 0; s < kernel_w; ++s) {
                acc = fmaf(__ldg(w + r * kernel_w + s), row[s * dil_w], acc);
            }
        }
    }
    if (ox < out_w && oy < out_h) {
        float v = acc + (bias != nullptr ? __ldg(bias + k) : 0.0f);
        if (fuse_relu && v < 0.0f) {  // not fmaxf: ReLU keeps NaN, as torch.relu does
            v = 0.0f;
        }
        output[((size_t)n * out_channels + k) * out_h * out_w + (size_t)oy * out_w + ox] = v;
    }
}
