// Runs jconv's CUDA kernels on the CPU (see cuda_host_shim.h) against a plain double-precision
// reference on random convolutions covering every parameter: batch, groups, channels, kernel size,
// stride, dilation, asymmetric padding, the four padding modes, bias, fused ReLU, and the vector
// (float4) paths. Built and run by ../emulate-kernels.sh. Exit status 1 on any mismatch.
#include "cuda_host_shim.h"
#include "conv2d_direct.host.cu"
#include "conv2d_implicit_gemm.host.cu"
#include "conv_reference.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {

std::vector<float> run_direct(const Conv& c, const std::vector<float>& in, const std::vector<float>& w, const float* bias) {
    const int OH = c.OH(), OW = c.OW();
    std::vector<float> out((size_t)c.N * c.K * OH * OW, std::nanf(""));
    const int tiles_x = (OW + 31) / 32, tiles_y = (OH + 7) / 8;
    const int tile_h = 7 * c.sh + (c.R - 1) * c.dh + 1, tile_w = 31 * c.sw + (c.S - 1) * c.dw + 1;
    dim3 grid{(unsigned)(c.N * c.K * tiles_x * tiles_y), 1, 1};
    emulate_launch(grid, dim3{32, 8, 1}, (size_t)tile_h * tile_w * 4, [&] {
        float* window = jconv_dynamic_shared.data();
        conv2d_direct(in.data(), w.data(), bias, out.data(), c.C, c.H, c.W, c.K, OH, OW, c.R, c.S, c.sh, c.sw,
                      c.dh, c.dw, c.pt, c.pl, c.G, c.mode, c.relu, tiles_x, tiles_y, tile_h, tile_w, window);
    });
    return out;
}

std::vector<float> run_igemm(const Conv& c, const std::vector<float>& in, const std::vector<float>& w, const float* bias, bool big) {
    const int OH = c.OH(), OW = c.OW(), cg = c.C / c.G, M = c.K / c.G;
    std::vector<float> out((size_t)c.N * c.K * OH * OW, std::nanf(""));
    const int Q = cg * c.R * c.S, P = c.N * OH * OW;
    std::vector<int4> taps(Q);
    for (int q = 0; q < Q; ++q) {
        int ci = q / (c.R * c.S), r = (q / c.S) % c.R, s = q % c.S;
        taps[q] = int4{ci * c.H * c.W, r * c.dh, s * c.dw, 0};
    }
    const bool pointwise = c.R == 1 && c.S == 1 && c.sh == 1 && c.sw == 1 && c.pt + c.pb + c.pl + c.pr == 0;
    const int vector_a = Q % 4 == 0, vector_b = pointwise && (c.H * c.W) % 4 == 0, vector_out = (OH * OW) % 4 == 0;
    const int tile = big ? 128 : 64;
    dim3 grid{(unsigned)((P + tile - 1) / tile), (unsigned)((M + tile - 1) / tile), (unsigned)c.G};
    emulate_launch(grid, dim3{256, 1, 1}, 0, [&] {
        auto kernel = big ? conv2d_igemm_128x128 : conv2d_igemm_64x64;
        kernel(in.data(), w.data(), bias, out.data(), taps.data(), c.C, c.H, c.W, c.K, OH, OW, c.sh, c.sw, c.pt, c.pl,
               c.G, c.mode, c.relu, Q, P, vector_a, vector_b, vector_out);
    });
    return out;
}

Conv random_conv(std::mt19937& rng, bool few_outputs_per_group) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (;;) {
        Conv c{};
        c.N = pick(1, 2);
        c.G = pick(1, 3);
        c.C = c.G * pick(1, 5);
        c.K = c.G * (few_outputs_per_group ? pick(1, 4) : pick(1, 70));
        c.R = pick(1, 5);
        c.S = pick(1, 5);
        c.H = pick(1, 19);
        c.W = pick(1, 40);
        c.sh = pick(1, 3);
        c.sw = pick(1, 3);
        c.dh = pick(1, 3);
        c.dw = pick(1, 3);
        c.mode = pick(0, 3);
        c.pt = pick(0, 3); c.pb = pick(0, 3); c.pl = pick(0, 3); c.pr = pick(0, 3);
        c.bias = pick(0, 1);
        c.relu = pick(0, 3) == 0;
        // PyTorch's limits: reflect needs pad < size, circular pad <= size
        const int limit_h = c.mode == 1 ? c.H - 1 : c.mode == 3 ? c.H : 99;
        const int limit_w = c.mode == 1 ? c.W - 1 : c.mode == 3 ? c.W : 99;
        if (std::max(c.pt, c.pb) > limit_h || std::max(c.pl, c.pr) > limit_w) continue;
        if (c.OH() < 1 || c.OW() < 1 || (c.H + c.pt + c.pb - c.dh * (c.R - 1) - 1) < 0 || (c.W + c.pl + c.pr - c.dw * (c.S - 1) - 1) < 0) continue;
        return c;
    }
}

int failures = 0, checks = 0;

void check(const Conv& c, std::mt19937& rng, bool direct, bool igemm64, bool igemm128) {
    std::normal_distribution<float> normal;
    std::vector<float> in((size_t)c.N * c.C * c.H * c.W), w((size_t)c.K * (c.C / c.G) * c.R * c.S), b(c.K);
    for (auto& v : in) v = normal(rng);
    for (auto& v : w) v = normal(rng);
    for (auto& v : b) v = normal(rng);
    const std::vector<float> ref = reference(c, in, w, b);
    const float* bias = c.bias ? b.data() : nullptr;
    auto verify = [&](const char* name, const std::vector<float>& out) {
        std::string why;
        ++checks;
        if (!close_enough(out, ref, why)) {
            ++failures;
            std::printf("FAIL %s %s: %s\n", name, c.str().c_str(), why.c_str());
        }
    };
    if (direct) verify("conv2d_direct", run_direct(c, in, w, bias));
    if (igemm64) verify("conv2d_igemm_64x64", run_igemm(c, in, w, bias, false));
    if (igemm128) verify("conv2d_igemm_128x128", run_igemm(c, in, w, bias, true));
}

}  // namespace

int main(int argc, char** argv) {
    const int random_cases = argc > 1 ? std::atoi(argv[1]) : 40;
    std::mt19937 rng(argc > 2 ? std::atoi(argv[2]) : 20261121);
    // fixed cases aimed at the edges: vector paths, several M and P tiles, depthwise with a multiplier
    const Conv fixed[] = {
        {2, 8, 6, 6, 72, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, true, false},      // pointwise, float4 A/B/out, 2 M tiles
        {1, 6, 5, 7, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 3, 0, true, true},        // pointwise, H*W odd: scalar B
        {1, 4, 9, 11, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, false, false},   // reflect, 130 rows: 3 M tiles of 64
        {1, 3, 12, 13, 8, 4, 4, 1, 1, 1, 1, 1, 2, 1, 2, 1, 0, true, false},     // asymmetric 'same' for even kernel
        {2, 6, 10, 35, 12, 3, 3, 2, 1, 2, 1, 2, 2, 1, 1, 6, 3, true, true},     // depthwise x2 multiplier, circular
        {1, 5, 17, 40, 5, 5, 3, 1, 3, 1, 2, 2, 2, 2, 2, 5, 2, false, false},    // depthwise, replicate, stride 3 in x
        {1, 16, 3, 45, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 4, 0, true, false},    // grouped pointwise, 135 cols: 2+ P tiles
    };
    for (const Conv& c : fixed) {
        check(c, rng, c.K / c.G <= 4, true, true);
    }
    for (int i = 0; i < random_cases; ++i) {
        check(random_conv(rng, i % 2 == 0), rng, true, true, i % 4 == 1);
    }
    std::printf("%d kernel runs checked against the reference, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
