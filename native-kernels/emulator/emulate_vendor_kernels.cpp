// Runs the helper kernels of the vendor backends on the CPU (see cuda_host_shim.h):
//   pad2d  (cudnn's pad pass)  against the padding-mode index mapping, and then a zero-padding-free
//          convolution of its output against the convolution reference;
//   im2col (cublas)            followed by the per-group GEMM its header describes, against the
//          convolution reference.
// Random convolutions cover batch, groups, kernel size, stride, dilation, asymmetric padding and
// the four padding modes. Built and run by ../emulate-vendor-kernels.sh. Exit status 1 on a mismatch.
#include "cuda_host_shim.h"
#include "pad2d.cu"
#include "im2col.cu"
#include "conv_reference.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {

unsigned blocks_for(size_t threads, unsigned block) { return (unsigned)((threads + block - 1) / block); }

// pad2d, then an unpadded zero-mode convolution of the padded tensor (what cuDNN is asked to do)
std::vector<float> run_pad_then_conv(const Conv& c, const std::vector<float>& in, const std::vector<float>& w) {
    const int HP = c.H + c.pt + c.pb, WP = c.W + c.pl + c.pr;
    std::vector<float> padded((size_t)c.N * c.C * HP * WP, std::nanf(""));
    emulate_launch(dim3{blocks_for(padded.size(), PAD2D_BLOCK), 1, 1}, dim3{PAD2D_BLOCK, 1, 1}, 0, [&] {
        pad2d(in.data(), padded.data(), c.N * c.C, c.H, c.W, HP, WP, c.pt, c.pl, c.mode);
    });
    Conv unpadded = c;
    unpadded.H = HP; unpadded.W = WP;
    unpadded.pt = unpadded.pb = unpadded.pl = unpadded.pr = 0;
    unpadded.mode = 0;
    for (float v : padded) {
        if (std::isnan(v)) return std::vector<float>((size_t)c.N * c.K * c.OH() * c.OW(), std::nanf(""));
    }
    return reference(unpadded, padded, w);
}

// im2col of the whole batch, then out[i, g*Kg + k, p] = sum_q w[g*Kg + k, q] * col[i, g*CgRS + q, p]
std::vector<float> run_im2col_gemm(const Conv& c, const std::vector<float>& in, const std::vector<float>& w) {
    const int OH = c.OH(), OW = c.OW(), P = OH * OW, RS = c.R * c.S, cg = c.C / c.G, kg = c.K / c.G;
    std::vector<float> col((size_t)c.N * c.C * RS * P, std::nanf(""));
    emulate_launch(dim3{blocks_for((size_t)c.N * c.C * P, IM2COL_BLOCK), 1, 1}, dim3{IM2COL_BLOCK, 1, 1}, 0, [&] {
        im2col(in.data(), col.data(), c.N, c.C, c.H, c.W, OH, OW, c.R, c.S, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl, c.mode);
    });
    std::vector<float> out((size_t)c.N * c.K * P, std::nanf(""));
    for (int i = 0; i < c.N; ++i)
        for (int g = 0; g < c.G; ++g)
            for (int k = 0; k < kg; ++k)
                for (int p = 0; p < P; ++p) {
                    double acc = 0;
                    for (int q = 0; q < cg * RS; ++q) {
                        acc += (double)w[(size_t)(g * kg + k) * cg * RS + q] *
                               col[((size_t)i * c.C * RS + (size_t)g * cg * RS + q) * P + p];
                    }
                    out[((size_t)i * c.K + g * kg + k) * P + p] = (float)acc;
                }
    return out;
}

Conv random_conv(std::mt19937& rng) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (;;) {
        Conv c{};
        c.N = pick(1, 2);
        c.G = pick(1, 3);
        c.C = c.G * pick(1, 3);
        c.K = c.G * pick(1, 4);
        c.R = pick(1, 4);
        c.S = pick(1, 4);
        c.H = pick(1, 13);
        c.W = pick(1, 17);
        c.sh = pick(1, 3);
        c.sw = pick(1, 3);
        c.dh = pick(1, 2);
        c.dw = pick(1, 2);
        c.mode = pick(0, 3);
        c.pt = pick(0, 3); c.pb = pick(0, 3); c.pl = pick(0, 3); c.pr = pick(0, 3);
        // PyTorch's limits: reflect needs pad < size, circular pad <= size
        const int limit_h = c.mode == 1 ? c.H - 1 : c.mode == 3 ? c.H : 99;
        const int limit_w = c.mode == 1 ? c.W - 1 : c.mode == 3 ? c.W : 99;
        if (std::max(c.pt, c.pb) > limit_h || std::max(c.pl, c.pr) > limit_w) continue;
        if ((c.H + c.pt + c.pb - c.dh * (c.R - 1) - 1) < 0 || (c.W + c.pl + c.pr - c.dw * (c.S - 1) - 1) < 0) continue;
        return c;
    }
}

int failures = 0, checks = 0;

void check(const Conv& c, std::mt19937& rng) {
    std::normal_distribution<float> normal;
    std::vector<float> in((size_t)c.N * c.C * c.H * c.W), w((size_t)c.K * (c.C / c.G) * c.R * c.S);
    for (auto& v : in) v = normal(rng);
    for (auto& v : w) v = normal(rng);
    const std::vector<float> ref = reference(c, in, w);
    auto verify = [&](const char* name, const std::vector<float>& out) {
        std::string why;
        ++checks;
        if (!close_enough(out, ref, why)) {
            ++failures;
            std::printf("FAIL %s %s: %s\n", name, c.str().c_str(), why.c_str());
        }
    };
    verify("pad2d + unpadded conv", run_pad_then_conv(c, in, w));
    verify("im2col + per-group GEMM", run_im2col_gemm(c, in, w));
}

}  // namespace

int main(int argc, char** argv) {
    const int random_cases = argc > 1 ? std::atoi(argv[1]) : 60;
    std::mt19937 rng(argc > 2 ? std::atoi(argv[2]) : 20261122);
    const Conv fixed[] = {
        {1, 3, 12, 13, 8, 4, 4, 1, 1, 1, 1, 1, 2, 1, 2, 1, 0},   // asymmetric 'same' for an even kernel
        {2, 6, 10, 11, 12, 3, 3, 2, 1, 2, 1, 2, 2, 1, 1, 3, 1},  // grouped, reflect, dilation 2 in y
        {1, 4, 7, 9, 4, 3, 5, 1, 2, 1, 1, 1, 1, 2, 2, 4, 3},     // depthwise, circular
        {2, 2, 5, 6, 3, 2, 2, 1, 1, 1, 1, 0, 1, 0, 1, 1, 2},     // replicate, 'same' for 2x2
        {1, 5, 6, 6, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0},     // pointwise
    };
    for (const Conv& c : fixed) check(c, rng);
    for (int i = 0; i < random_cases; ++i) check(random_conv(rng), rng);
    std::printf("%d kernel runs checked against the reference, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
