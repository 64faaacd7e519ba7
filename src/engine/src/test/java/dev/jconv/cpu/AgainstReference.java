package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Runs one convolution on a {@code cpu} plan and on {@code cpu-reference} with fresh random inputs and
 * fails unless they agree at the project's fp32 tolerance, {@code max|out - ref| <= 1e-4 * max(1, max|ref|)}.
 * The output is NaN-poisoned first, so an element the kernel never writes fails, and NaN never passes.
 */
final class AgainstReference {
    private AgainstReference() {}

    static final ReferenceBackend REFERENCE = new ReferenceBackend();

    /** Inputs for one check, seeded so a failure can be replayed. */
    record Case(int[] inputShape, int[] weightShape, boolean bias, ConvParams params, long seed) {
        ConvGeometry geometry() {
            int[] biasShape = bias ? new int[] {weightShape[0]} : null;
            return ConvValidator.checkForward(inputShape, weightShape, biasShape, params);
        }

        @Override
        public String toString() {
            return "input " + Arrays.toString(inputShape) + ", weight " + Arrays.toString(weightShape)
                    + (bias ? ", bias" : ", no bias") + ", " + params + ", seed " + seed;
        }
    }

    static void check(CpuBackend cpu, Case c) {
        check(cpu::plan, c);
    }

    static void check(Function<ConvGeometry, ConvPlan> planner, Case c) {
        ConvGeometry g = c.geometry();
        float[] in = Tensor.uniform(c.seed(), -1f, 1f, c.inputShape()).data();
        float[] w = Tensor.uniform(c.seed() + 1, -1f, 1f, c.weightShape()).data();
        float[] b = c.bias() ? Tensor.uniform(c.seed() + 2, -1f, 1f, c.weightShape()[0]).data() : null;
        check(planner.apply(g), in, w, b, c.toString());
    }

    static void check(ConvPlan plan, float[] in, float[] w, float[] b, String what) {
        ConvGeometry g = plan.geometry();
        int outLength = g.batch() * g.outChannels() * g.outHeight() * g.outWidth();
        float[] ref = new float[outLength];
        REFERENCE.plan(g).forward(in, w, b, ref);
        float[] out = new float[outLength];
        Arrays.fill(out, Float.NaN);
        plan.forward(in, w, b, out);
        assertClose(ref, out, what + " [" + plan.describe() + "]");
    }

    static void assertClose(float[] ref, float[] out, String what) {
        double maxRef = 0;
        for (float v : ref) {
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        double tolerance = 1e-4 * Math.max(1.0, maxRef);
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) out[i] - ref[i]);
            if (!(d <= tolerance)) {
                fail(what + ": element " + i + " is " + out[i] + ", reference " + ref[i] + " (tolerance "
                        + tolerance + ")");
            }
        }
    }
}
