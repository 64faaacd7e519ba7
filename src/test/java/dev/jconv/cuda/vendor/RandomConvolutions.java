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
