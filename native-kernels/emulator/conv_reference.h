// The parts both kernel emulators share: a random convolution's parameters, the padding-mode index
// mapping (dev.jconv.PaddingMode.sourceIndex), a plain double-precision convolution reference (bias and
// ReLU when the case asks for them) and jconv's fp32 tolerance, max|out - ref| <= 1e-4 * max(1, max|ref|),
// with NaN (an unwritten element) never passing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

struct Conv {
    int N, C, H, W, K, R, S, sh, sw, dh, dw, pt, pb, pl, pr, G, mode;
    bool bias = false, relu = false;  // only the conv kernels fuse these
    int OH() const { return (H + pt + pb - dh * (R - 1) - 1) / sh + 1; }
    int OW() const { return (W + pl + pr - dw * (S - 1) - 1) / sw + 1; }
    std::string str() const {
        char b[256];
        std::snprintf(b, sizeof b, "N=%d C=%d H=%d W=%d K=%d R=%d S=%d stride=%d,%d dil=%d,%d pad=%d,%d,%d,%d G=%d mode=%d bias=%d relu=%d",
                      N, C, H, W, K, R, S, sh, sw, dh, dw, pt, pb, pl, pr, G, mode, bias, relu);
        return b;
    }
};

// same mapping as dev.jconv.PaddingMode.sourceIndex
int source_index(int i, int size, int mode) {
    if (i >= 0 && i < size) return i;
    switch (mode) {
    case 1: return i < 0 ? -i : 2 * (size - 1) - i;
    case 2: return i < 0 ? 0 : size - 1;
    case 3: return ((i % size) + size) % size;
    default: return -1;
    }
}

std::vector<float> reference(const Conv& c, const std::vector<float>& in, const std::vector<float>& w,
                             const std::vector<float>& b = {}) {
    const int OH = c.OH(), OW = c.OW(), cg = c.C / c.G, kg = c.K / c.G;
    std::vector<float> out((size_t)c.N * c.K * OH * OW);
    for (int n = 0; n < c.N; ++n)
        for (int k = 0; k < c.K; ++k)
            for (int y = 0; y < OH; ++y)
                for (int x = 0; x < OW; ++x) {
                    double acc = c.bias ? b[k] : 0.0;
                    for (int ci = 0; ci < cg; ++ci)
                        for (int r = 0; r < c.R; ++r) {
                            int iy = source_index(y * c.sh - c.pt + r * c.dh, c.H, c.mode);
                            if (iy < 0) continue;
                            for (int s = 0; s < c.S; ++s) {
                                int ix = source_index(x * c.sw - c.pl + s * c.dw, c.W, c.mode);
                                if (ix < 0) continue;
                                acc += (double)in[(((size_t)n * c.C + (k / kg) * cg + ci) * c.H + iy) * c.W + ix] *
                                       w[(((size_t)k * cg + ci) * c.R + r) * c.S + s];
                            }
                        }
                    if (c.relu && acc < 0) acc = 0;
                    out[(((size_t)n * c.K + k) * OH + y) * OW + x] = (float)acc;
                }
    return out;
}

bool close_enough(const std::vector<float>& out, const std::vector<float>& ref, std::string& why) {
    double max_ref = 0, max_err = 0;
    for (float r : ref) max_ref = std::max(max_ref, (double)std::fabs(r));
    for (size_t i = 0; i < out.size(); ++i) {
        if (std::isnan(out[i])) {
            why = "NaN (unwritten?) at " + std::to_string(i);
            return false;
        }
        max_err = std::max(max_err, (double)std::fabs(out[i] - ref[i]));
    }
    const double tol = 1e-4 * std::max(1.0, max_ref);
    why = "max|out-ref|=" + std::to_string(max_err) + " tol=" + std::to_string(tol);
    return max_err <= tol;
}

}  // namespace
