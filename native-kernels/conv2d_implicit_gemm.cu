// conv2d_implicit_gemm: convolution as a tiled matrix product whose right-hand matrix is gathered
// straight from the input (im2col on the fly, never materialised). The general-case kernel.
//
// Math (PyTorch nn.Conv2d forward, cross-correlation). Per group g, with Cg = C / G inputs and
// M = K / G outputs per group, a GEMM  out_g[m, p] = sum_q A[m, q] * B[q, p]  where
//   rows    m < M            output channel g*M + m
//   columns p < P = N*Ho*Wo  output pixel (n, y, x), p = (n * Ho + y) * Wo + x
//   reduction q < Q = Cg*R*S  tap (c, r, s), q = (c * R + r) * S + s
//   A[m, q] = w[g*M + m, c, r, s]        (the weight tensor as stored: row m is contiguous in q)
//   B[q, p] = in[n, g*Cg + c, src(y*strideH - padTop + r*dilH, H), src(x*strideW - padLeft + s*dilW, W)]
// src() is the padding-mode index mapping of conv_common.cuh (zeros reads 0). The epilogue adds
// bias[g*M + m], optionally applies ReLU, and scatters p back to NCHW. fp32 FMA accumulation.
// `taps` is a per-plan table built on the host (dev.jconv.cuda.LaunchPlanner.taps): for each q,
// {c*H*W, r*dilH, s*dilW, 0}, so the gather needs no integer division in the inner loop.
//
// Launch geometry (two instantiations, chosen per shape by dev.jconv.cuda.LaunchPlanner):
//   conv2d_igemm_64x64:   BM=64  BN=64  BK=16, 256 threads, 4x4 outputs per thread
//   conv2d_igemm_128x128: BM=128 BN=128 BK=8,  256 threads, 8x8 outputs per thread (two 4x4
//                         quadrants 64 apart, so shared-memory float4 reads are conflict-free)
//   grid = (ceil(P / BN), ceil(M / BM), G); static shared memory 2 * BK * (BM + 4 + BN) floats
//   (double-buffered: the next tile is loaded into registers while the current one is multiplied).
// Memory traffic per block and BK-step: BM*BK weights (one float4 per thread when Q % 4 == 0),
// BK*BN gathered inputs (one float4 per thread for 1x1/stride-1/unpadded convolutions whose
// Ho*Wo % 4 == 0, else four scalar loads through the read-only cache), BM*BN*BK FMAs.
// Outputs are written once (float4 stores when Ho*Wo % 4 == 0). Over the whole grid, input is
// re-read ceil(M / BM) times and weights ceil(P / BN) times, mostly from L2.
#include "conv_common.cuh"

struct ConvGemmArgs {
    const float* __restrict__ input;
    const float* __restrict__ weight;
    const float* __restrict__ bias;
    float* __restrict__ output;
    const int4* __restrict__ taps;
    int in_channels, in_h, in_w, out_channels, out_h, out_w;
    int stride_h, stride_w, pad_top, pad_left, groups, padding_mode, fuse_relu;
    int reduction, gemm_n, vector_a, vector_b, vector_out;
};

template <int BM, int BN, int BK, int TM, int TN>
__device__ __forceinline__ void conv2d_igemm_tile(const ConvGemmArgs& a) {
    constexpr int THREADS = (BM / TM) * (BN / TN);
    static_assert(BM * BK == 4 * THREADS && BK * BN == 4 * THREADS, "each thread loads one float4 of A and of B");
    static_assert(TM % 4 == 0 && TN % 4 == 0, "micro-tiles are made of 4x4 quadrants");
    constexpr int ROW_QUADRANT_STRIDE = BM / (TM / 4);
    constexpr int COL_QUADRANT_STRIDE = BN / (TN / 4);
    __shared__ __align__(16) float As[2][BK][BM + 4];  // +4: fewer bank conflicts on the transposed store
    __shared__ __align__(16) float Bs[2][BK][BN];

    const int t = threadIdx.x;
    const int g = blockIdx.z;
    const int cg = a.in_channels / a.groups;
    const int M = a.out_channels / a.groups;
    const int Q = a.reduction;
    const int P = a.gemm_n;
    const int in_plane = a.in_h * a.in_w;
    const int out_plane = a.out_h * a.out_w;
    const int m0 = blockIdx.y * BM;
    const int p0 = blockIdx.x * BN;

    // A: thread loads 4 consecutive q of one weight row
    const int a_m = t / (BK / 4);
    const int a_q = (t % (BK / 4)) * 4;
    const bool a_row_ok = m0 + a_m < M;
    const float* a_row = a.weight + ((size_t)g * M + (a_row_ok ? m0 + a_m : 0)) * Q + a_q;

    // B: scalar gather = one column, 4 rows BK/4 apart; vector (pointwise) = 4 columns, one row
    const int b_col = a.vector_b ? (t % (BN / 4)) * 4 : t % BN;
    const int b_row = a.vector_b ? t / (BN / 4) : t / BN;
    constexpr int B_ROW_STEP = BK / 4;
    const int p = p0 + b_col;
    const bool b_col_ok = p < P;
    const int n = b_col_ok ? p / out_plane : 0;
    const int pix = b_col_ok ? p - n * out_plane : 0;
    const int oy = pix / a.out_w;
    const int y0 = oy * a.stride_h - a.pad_top;
    const int x0 = (pix - oy * a.out_w) * a.stride_w - a.pad_left;
    const float* b_image = a.input + ((size_t)n * a.in_channels + (size_t)g * cg) * in_plane;

    float a_next[4];
    float b_next[4];

    auto load_tile = [&](int q0) {
        if (a.vector_a) {
            float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
            if (a_row_ok && q0 + a_q < Q) {
                v = __ldg(reinterpret_cast<const float4*>(a_row + q0));
            }
            a_next[0] = v.x; a_next[1] = v.y; a_next[2] = v.z; a_next[3] = v.w;
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                a_next[j] = (a_row_ok && q0 + a_q + j < Q) ? __ldg(a_row + q0 + j) : 0.0f;
            }
        }
        if (a.vector_b) {
            float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
            const int q = q0 + b_row;
            if (b_col_ok && q < Q) {
                v = __ldg(reinterpret_cast<const float4*>(b_image + (size_t)q * in_plane + pix));
            }
            b_next[0] = v.x; b_next[1] = v.y; b_next[2] = v.z; b_next[3] = v.w;
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const int q = q0 + b_row + j * B_ROW_STEP;
                float v = 0.0f;
                if (b_col_ok && q < Q) {
                    const int4 tap = __ldg(a.taps + q);
                    const int iy = jconv_source_index(y0 + tap.y, a.in_h, a.padding_mode);
                    const int ix = jconv_source_index(x0 + tap.z, a.in_w, a.padding_mode);
                    if (iy >= 0 && ix >= 0) {
                        v = __ldg(b_image + tap.x + iy * a.in_w + ix);
                    }
                }
                b_next[j] = v;
            }
        }
    };
    auto store_tile = [&](int buf) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            As[buf][a_q + j][a_m] = a_next[j];
        }
        if (a.vector_b) {
            *reinterpret_cast<float4*>(&Bs[buf][b_row][b_col]) = make_float4(b_next[0], b_next[1], b_next[2], b_next[3]);
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                Bs[buf][b_row + j * B_ROW_STEP][b_col] = b_next[j];
            }
        }
    };

    const int tx = t % (BN / TN);
    const int ty = t / (BN / TN);
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i) {
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            acc[i][j] = 0.0f;
        }
    }

    const int num_tiles = (Q + BK - 1) / BK;
    load_tile(0);
    store_tile(0);
    __syncthreads();
    for (int kt = 0; kt < num_tiles; ++kt) {
        const int cur = kt & 1;
        const bool more = kt + 1 < num_tiles;
        if (more) {
            load_tile((kt + 1) * BK);  // global loads in flight while this tile is multiplied
        }
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            float av[TM];
            float bv[TN];
#pragma unroll
            for (int i4 = 0; i4 < TM / 4; ++i4) {
                const float4 v = *reinterpret_cast<const float4*>(&As[cur][kk][i4 * ROW_QUADRANT_STRIDE + ty * 4]);
                av[i4 * 4 + 0] = v.x; av[i4 * 4 + 1] = v.y; av[i4 * 4 + 2] = v.z; av[i4 * 4 + 3] = v.w;
            }
#pragma unroll
            for (int j4 = 0; j4 < TN / 4; ++j4) {
                const float4 v = *reinterpret_cast<const float4*>(&Bs[cur][kk][j4 * COL_QUADRANT_STRIDE + tx * 4]);
                bv[j4 * 4 + 0] = v.x; bv[j4 * 4 + 1] = v.y; bv[j4 * 4 + 2] = v.z; bv[j4 * 4 + 3] = v.w;
            }
#pragma unroll
            for (int i = 0; i < TM; ++i) {
#pragma unroll
                for (int j = 0; j < TN; ++j) {
                    acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
                }
            }
        }
        if (more) {
            store_tile(cur ^ 1);  // that buffer was last read before the previous barrier
        }
        __syncthreads();
    }

    // epilogue: bias, optional ReLU, scatter columns back to (n, k, y, x)
#pragma unroll
    for (int i = 0; i < TM; ++i) {
        const int m = m0 + (i / 4) * ROW_QUADRANT_STRIDE + ty * 4 + (i % 4);
        if (m >= M) {
            continue;
        }
        const int k = g * M + m;
        const float b = a.bias != nullptr ? __ldg(a.bias + k) : 0.0f;
#pragma unroll
        for (int j4 = 0; j4 < TN / 4; ++j4) {
            const int pq = p0 + j4 * COL_QUADRANT_STRIDE + tx * 4;
            float v[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                v[j] = acc[i][j4 * 4 + j] + b;
                if (a.fuse_relu && v[j] < 0.0f) {  // not fmaxf: ReLU keeps NaN, as torch.relu does
                    v[j] = 0.0f;
                }
            }
            if (a.vector_out) {
                if (pq < P) {  // P and Ho*Wo are multiples of 4: all four columns are valid, same image
                    const int on = pq / out_plane;
                    float* dst = a.output + ((size_t)on * a.out_channels + k) * out_plane + (pq - on * out_plane);
                    *reinterpret_cast<float4*>(dst) = make_float4(v[0], v[1], v[2], v[3]);
                }
            } else {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    const int pj = pq + j;
                    if (pj < P) {
                        const int on = pj / out_plane;
                        a.output[((size_t)on * a.out_channels + k) * out_plane + (pj - on * out_plane)] = v[j];
                    }
                }
            }
        }
    }
}

#define JCONV_IGEMM_PARAMS                                                                         \
    const float* __restrict__ input, const float* __restrict__ weight, const float* __restrict__ bias, \
        float* __restrict__ output, const int4* __restrict__ taps, int in_channels, int in_h, int in_w, \
        int out_channels, int out_h, int out_w, int stride_h, int stride_w, int pad_top, int pad_left,  \
        int groups, int padding_mode, int fuse_relu, int reduction, int gemm_n, int vector_a,          \
        int vector_b, int vector_out
#define JCONV_IGEMM_ARGS                                                                           \
    ConvGemmArgs{input, weight, bias, output, taps, in_channels, in_h, in_w, out_channels, out_h,    \
                 out_w, stride_h, stride_w, pad_top, pad_left, groups, padding_mode, fuse_relu,      \
                 reduction, gemm_n, vector_a, vector_b, vector_out}

extern "C" __global__ void __launch_bounds__(256) conv2d_igemm_64x64(JCONV_IGEMM_PARAMS) {
    conv2d_igemm_tile<64, 64, 16, 4, 4>(JCONV_IGEMM_ARGS);
}

// No min-blocks hint: capping at 128 registers (2 blocks/SM) spills on sm_90 with CUDA 13.0's ptxas;
// ~140 registers and one block per SM is what 8x8 register-blocked SGEMM tiles usually run at.
extern "C" __global__ void __launch_bounds__(256) conv2d_igemm_128x128(JCONV_IGEMM_PARAMS) {
    conv2d_igemm_tile<128, 128, 8, 8, 8>(JCONV_IGEMM_ARGS);
}
