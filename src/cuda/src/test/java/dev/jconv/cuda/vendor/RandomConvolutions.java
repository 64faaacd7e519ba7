package dev.jconv.cuda.vendor;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.cpu.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random valid convolutions over every parameter (batch, groups, kernel, stride, dilation, explicit,
 * {@code same} and {@code valid} padding, the four padding modes, bias) with fresh random operands,
 * and their reference output: for CPU-side tests of the vendor backends' planning arithmetic.
 */
public final class RandomConvolutions {
    private RandomConvolutions() {}

    public record Case(ConvGeometry geometry, float[] input, float[] weight, float[] bias) {
        @Override
        public String toString() {
            return geometry.toString();
        }

        public float[] reference() {
            ConvGeometry g = geometry;
            float[] out = new float[Math.toIntExact((long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth())];
            new ReferenceBackend().plan(g).forward(input, weight, bias, out);
            return out;
        }
    }

    public static List<Case> draw(long seed, int count) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Case> cases = new ArrayList<>();
        while (cases.size() < count) {
            int groups = 1 + rng.nextInt(4);
            int inChannels = groups * (1 + rng.nextInt(4));
            int outChannels = groups * (1 + rng.nextInt(5));
            boolean pointwise = rng.nextInt(5) == 0;
            int kh = pointwise ? 1 : 1 + rng.nextInt(4);
            int kw = pointwise ? 1 : 1 + rng.nextInt(4);
            int[] input = {1 + rng.nextInt(4), inChannels, 1 + rng.nextInt(12), 1 + rng.nextInt(14)};
            ConvParams p = ConvParams.defaults().withGroups(groups)
                    .withPaddingMode(PaddingMode.values()[rng.nextInt(4)]);
            if (!pointwise) {
                p = p.withStride(1 + rng.nextInt(3), 1 + rng.nextInt(3)).withDilation(1 + rng.nextInt(2), 1 + rng.nextInt(3));
                int pad = rng.nextInt(4);
                if (pad == 0) {
                    p = p.withStride(1).withPadding(Padding.SAME);
                } else if (pad == 1) {
                    p = p.withPadding(Padding.VALID);
                } else {
                    p = p.withPadding(Padding.of(rng.nextInt(3), rng.nextInt(3)));
                }
            }
            int[] weight = {outChannels, inChannels / groups, kh, kw};
            boolean bias = rng.nextBoolean();
            try {
                ConvGeometry g = ConvValidator.checkForward(input, weight, bias ? new int[] {outChannels} : null, p);
                long seedT = rng.nextLong();
                cases.add(new Case(g, Tensor.randn(seedT, input).data(), Tensor.randn(seedT + 1, weight).data(),
                        bias ? Tensor.randn(seedT + 2, outChannels).data() : null));
            } catch (IllegalArgumentException invalid) {
                // PyTorch rejects it too (kernel larger than the padded input, reflect pad too wide): draw again
            }
        }
        return cases;
    }

    /** Named shapes from the networks jconv is measured on, plus the padding forms that need cudnn's pad pass. */
    public static List<Case> named() {
        ConvParams d = ConvParams.defaults();
        return List.of(
                make(11, new int[] {2, 3, 64, 64}, 64, 7, 7, d.withStride(2).withPadding(3), false),      // resnet conv1
                make(12, new int[] {2, 64, 28, 28}, 64, 3, 3, d.withPadding(1), true),                    // 3x3
                make(13, new int[] {4, 256, 14, 14}, 256, 3, 3, d.withPadding(1), true),                  // 3x3, wide
                make(14, new int[] {2, 128, 14, 14}, 160, 1, 1, d, true),                                 // pointwise
                make(15, new int[] {2, 64, 28, 28}, 128, 1, 1, d.withStride(2), false),                   // 1x1/2 downsample
                make(16, new int[] {2, 96, 56, 56}, 96, 3, 3, d.withPadding(1).withGroups(96), true),     // depthwise
                make(17, new int[] {1, 32, 33, 47}, 32, 3, 3,
                        d.withStride(2).withPadding(1).withGroups(32).withPaddingMode(PaddingMode.REFLECT), true),
                make(18, new int[] {1, 8, 20, 20}, 16, 5, 5,
                        d.withPadding(2).withGroups(8).withPaddingMode(PaddingMode.CIRCULAR), true),
                make(19, new int[] {1, 12, 31, 29}, 20, 4, 4,
                        d.withPadding(Padding.SAME).withDilation(2).withPaddingMode(PaddingMode.REPLICATE), true),
                make(20, new int[] {2, 64, 17, 17}, 128, 3, 3, d.withPadding(1).withGroups(4), false),    // grouped
                make(21, new int[] {3, 5, 13, 11}, 129, 2, 3, d.withStride(1, 2), true),                  // odd sizes
                make(22, new int[] {1, 16, 12, 12}, 8, 4, 4, d.withPadding(Padding.SAME), true));         // asymmetric same
    }

    public static Case make(long seed, int[] input, int outChannels, int kh, int kw, ConvParams p, boolean bias) {
        int[] weight = {outChannels, input[1] / p.groups(), kh, kw};
        ConvGeometry g = ConvValidator.checkForward(input, weight, bias ? new int[] {outChannels} : null, p);
        return new Case(g, Tensor.randn(seed, input).data(), Tensor.randn(seed + 1, weight).data(),
                bias ? Tensor.randn(seed + 2, outChannels).data() : null);
    }

    /** Runs {@code plan} on the case with the output poisoned with NaN. */
    public static float[] run(dev.jconv.backend.ConvPlan plan, Case c) {
        ConvGeometry g = c.geometry();
        float[] out = new float[Math.toIntExact((long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth())];
        java.util.Arrays.fill(out, Float.NaN);
        plan.forward(c.input(), c.weight(), c.bias(), out);
        return out;
    }

    /** The TF32 rule: max|out - ref| <= 5e-3 * max(1, max|ref|); NaN fails. */
    public static String mismatchTf32(float[] reference, float[] out) {
        double maxRef = 0;
        for (float r : reference) {
            maxRef = Math.max(maxRef, Math.abs(r));
        }
        double tol = 5e-3 * Math.max(1, maxRef);
        for (int i = 0; i < out.length; i++) {
            if (Float.isNaN(out[i]) || Math.abs(out[i] - reference[i]) > tol) {
                return "element " + i + ": " + out[i] + " vs reference " + reference[i] + " (TF32 tolerance " + tol + ")";
            }
        }
        return null;
    }

    /** fp32 rule: max|out - ref| <= 1e-4 * max(1, max|ref|); NaN fails. Returns null when close, else why not. */
    public static String mismatch(float[] reference, float[] out) {
        double maxRef = 0;
        for (float r : reference) {
            maxRef = Math.max(maxRef, Math.abs(r));
        }
        double tol = 1e-4 * Math.max(1, maxRef);
        for (int i = 0; i < out.length; i++) {
            if (Float.isNaN(out[i]) || Math.abs(out[i] - reference[i]) > tol) {
                return "element " + i + ": " + out[i] + " vs reference " + reference[i] + " (tolerance " + tol + ")";
            }
        }
        return null;
    }
}
