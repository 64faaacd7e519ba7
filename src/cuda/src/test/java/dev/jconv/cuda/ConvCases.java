package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import dev.jconv.cpu.ReferenceBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Convolution cases for GPU tests: random ones over every parameter, named ones, and the fp32 comparison rule. */
final class ConvCases {
    private ConvCases() {}

    /** One convolution with fresh random operands (never zeros). */
    record Case(String name, ConvParams params, Tensor input, Tensor weight, Tensor bias, ConvGeometry geometry) {
        float[] reference() {
            float[] out = new float[Math.toIntExact((long) geometry.batch() * geometry.outChannels()
                    * geometry.outHeight() * geometry.outWidth())];
            new ReferenceBackend().plan(geometry).forward(input.data(), weight.data(),
                    bias == null ? null : bias.data(), out);
            return out;
        }

        @Override
        public String toString() {
            return name + " " + geometry;
        }
    }

    static Case make(String name, long seed, int[] inputShape, int outChannels, int kh, int kw, ConvParams p, boolean bias) {
        int[] weightShape = {outChannels, inputShape[1] / p.groups(), kh, kw};
        ConvGeometry g = ConvValidator.checkForward(inputShape, weightShape, bias ? new int[] {outChannels} : null, p);
        return new Case(name, p, Tensor.randn(seed, inputShape), Tensor.randn(seed + 1, weightShape),
                bias ? Tensor.randn(seed + 2, outChannels) : null, g);
    }

    /** Random valid convolutions covering batch, groups, channels, kernel, stride, dilation, all paddings and modes. */
    static List<Case> random(long seed, int count) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Case> cases = new ArrayList<>();
        while (cases.size() < count) {
            int groups = 1 + rng.nextInt(4);
            boolean depthwiseLike = rng.nextInt(3) == 0;
            int inChannels = groups * (1 + rng.nextInt(depthwiseLike ? 2 : 8));
            int outChannels = groups * (1 + rng.nextInt(depthwiseLike ? 3 : 40));
            int kh = 1 + rng.nextInt(5);
            int kw = 1 + rng.nextInt(5);
            int[] input = {1 + rng.nextInt(3), inChannels, 1 + rng.nextInt(24), 1 + rng.nextInt(40)};
            int stride = rng.nextInt(4) == 0 ? 1 : 1 + rng.nextInt(3);
            ConvParams p = ConvParams.defaults().withStride(stride, 1 + rng.nextInt(3))
                    .withDilation(1 + rng.nextInt(3), 1 + rng.nextInt(2))
                    .withGroups(groups)
                    .withPaddingMode(PaddingMode.values()[rng.nextInt(4)]);
            if (stride == 1 && rng.nextInt(4) == 0) {
                p = p.withStride(1).withPadding(Padding.SAME);  // asymmetric for even effective kernels
            } else if (rng.nextInt(5) == 0) {
                p = p.withPadding(Padding.VALID);
            } else {
                p = p.withPadding(Padding.of(rng.nextInt(4), rng.nextInt(4)));
            }
            try {
                cases.add(make("random#" + cases.size(), rng.nextLong(), input, outChannels, kh, kw, p, rng.nextBoolean()));
            } catch (IllegalArgumentException invalid) {
                // PyTorch would reject it too (kernel larger than padded input, reflect padding too wide): draw again
            }
        }
        return cases;
    }

    /**
     * Named shapes that reach every kernel path: both GEMM tiles, float4 paths, depthwise, resnet/mobilenet-like.
     * On the emulated driver (a CPU, 4 "SMs") the same paths with small sizes, so they run in CI's time.
     */
    static List<Case> named() {
        boolean small = GpuTestSupport.emulated();
        List<Case> c = new ArrayList<>();
        ConvParams d = ConvParams.defaults();
        c.add(make("resnet conv1 7x7/2", 11, small ? new int[] {1, 3, 32, 32} : new int[] {2, 3, 64, 64},
                small ? 16 : 64, 7, 7, d.withStride(2).withPadding(3), false));
        c.add(make("3x3 (64x64 tile)", 12, small ? new int[] {1, 16, 14, 14} : new int[] {2, 64, 28, 28},
                small ? 32 : 64, 3, 3, d.withPadding(1), true));
        c.add(make("3x3 (128x128 tile)", 13, small ? new int[] {2, 16, 16, 16} : new int[] {4, 256, 14, 14},
                256, 3, 3, d.withPadding(1), true));
        c.add(make("1x1 pointwise float4", 14, small ? new int[] {2, 32, 8, 8} : new int[] {2, 128, 14, 14},
                small ? 40 : 160, 1, 1, d, true));
        c.add(make("1x1 stride 2 downsample", 15, small ? new int[] {1, 16, 14, 14} : new int[] {2, 64, 28, 28},
                small ? 32 : 128, 1, 1, d.withStride(2), false));
        c.add(make("depthwise 3x3", 16, small ? new int[] {1, 16, 20, 20} : new int[] {2, 96, 56, 56},
                small ? 16 : 96, 3, 3, d.withPadding(1).withGroups(small ? 16 : 96), true));
        c.add(make("depthwise 3x3/2 reflect", 17, small ? new int[] {1, 8, 17, 23} : new int[] {1, 32, 33, 47},
                small ? 8 : 32, 3, 3, d.withStride(2).withPadding(1).withGroups(small ? 8 : 32)
                        .withPaddingMode(PaddingMode.REFLECT), true));
        c.add(make("depthwise x2 5x5 circular", 18, new int[] {1, 8, 20, 20}, 16, 5, 5,
                d.withPadding(2).withGroups(8).withPaddingMode(PaddingMode.CIRCULAR), true));
        c.add(make("same 4x4 dilated replicate", 19, small ? new int[] {1, 6, 15, 13} : new int[] {1, 12, 31, 29},
                small ? 10 : 20, 4, 4, d.withPadding(Padding.SAME).withDilation(2).withPaddingMode(PaddingMode.REPLICATE), true));
        c.add(make("grouped 3x3 g=4", 20, small ? new int[] {1, 16, 9, 9} : new int[] {2, 64, 17, 17},
                small ? 32 : 128, 3, 3, d.withPadding(1).withGroups(4), false));
        c.add(make("depthwise 9x9 dilation 10 stride 3 (window too big for direct)", 21,
                small ? new int[] {1, 2, 90, 90} : new int[] {1, 4, 96, 96}, small ? 2 : 4, 9, 9,
                d.withStride(3).withDilation(10).withGroups(small ? 2 : 4), true));
        c.add(make("1 output channel, many inputs", 22, new int[] {1, 300, 9, 9}, 1, 3, 3, d.withPadding(1), true));
        c.add(make("odd sizes 129 outputs", 23, new int[] {3, 5, 13, 11}, 129, 2, 3, d.withStride(1, 2), true));
        return c;
    }

    /** fp32 rule from GPU.md: max|out - ref| <= 1e-4 * max(1, max|ref|); NaN never passes. */
    static void assertClose(String what, float[] ref, float[] out) {
        double maxRef = 0;
        for (float r : ref) {
            maxRef = Math.max(maxRef, Math.abs(r));
        }
        double tolerance = 1e-4 * Math.max(1, maxRef);
        double maxErr = 0;
        int worst = -1;
        for (int i = 0; i < out.length; i++) {
            assertFalse(Float.isNaN(out[i]), () -> what + ": NaN (unwritten or invalid) output element");
            double err = Math.abs(out[i] - ref[i]);
            if (err > maxErr) {
                maxErr = err;
                worst = i;
            }
        }
        int w = worst;
        double e = maxErr;
        assertTrue(maxErr <= tolerance, () -> what + ": max|out-ref| = " + e + " at " + w + " (out " + out[w] + ", ref "
                + ref[w] + ") exceeds " + tolerance);
    }

    static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    static float[] run(ConvPlan plan, Case c) {
        float[] out = poisoned(Math.toIntExact((long) c.geometry().batch() * c.geometry().outChannels()
                * c.geometry().outHeight() * c.geometry().outWidth()));
        plan.forward(c.input().data(), c.weight().data(), c.bias() == null ? null : c.bias().data(), out);
        return out;
    }
}
