package dev.jconv.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * The project's one correctness criterion for float32 results:
 * {@code max |out - ref| <= 1e-4 * max(1, max |ref|)}, and a NaN anywhere in the output fails (so an
 * output buffer poisoned with NaN before the run exposes every element a backend did not write).
 */
public final class OutputComparison {
    /** The relative part of the tolerance: {@code 1e-4 * max(1, max |ref|)}. */
    public static final double RELATIVE_TOLERANCE = 1e-4;

    private OutputComparison() {}

    /** What one comparison found; {@link #passed()} says whether it meets the criterion. */
    public record Result(double tolerance, double maxAbsReference, double maxError, int worstIndex,
                         int outsideCount, int nanCount, int firstNanIndex, int length) {

        public boolean passed() {
            return nanCount == 0 && maxError <= tolerance;
        }
    }

    /** {@code 1e-4 * max(1, max |ref|)}. */
    public static double tolerance(float[] reference) {
        return RELATIVE_TOLERANCE * Math.max(1.0, maxAbs(reference));
    }

    /** An output buffer filled with NaN, so unwritten elements cannot pass. */
    public static float[] poisoned(int length) {
        float[] out = new float[length];
        Arrays.fill(out, Float.NaN);
        return out;
    }

    /** Compares without asserting; NaN in either array counts as a failure at that element. */
    public static Result compare(float[] reference, float[] actual) {
        if (reference.length != actual.length) {
            throw new IllegalArgumentException("reference has " + reference.length + " elements, output has " + actual.length);
        }
        double tol = tolerance(reference);
        double maxError = 0;
        int worst = -1;
        int outside = 0;
        int nans = 0;
        int firstNan = -1;
        for (int i = 0; i < reference.length; i++) {
            if (Float.isNaN(actual[i]) || Float.isNaN(reference[i])) {
                nans++;
                if (firstNan < 0) {
                    firstNan = i;
                }
                continue;
            }
            // infinities match only themselves (inf - inf would be NaN and slip through the comparison)
            double err = actual[i] == reference[i] ? 0.0 : Math.abs((double) actual[i] - reference[i]);
            if (Double.isNaN(err)) {
                err = Double.POSITIVE_INFINITY;
            }
            if (err > tol) {
                outside++;
            }
            if (worst < 0 || err > maxError) {
                maxError = err;
                worst = i;
            }
        }
        return new Result(tol, maxAbs(reference), maxError, worst, outside, nans, firstNan, reference.length);
    }

    /** Asserts shapes equal and values within tolerance; the failure names {@code context}, the error and where. */
    public static void assertClose(String context, Tensor reference, Tensor actual) {
        if (!Arrays.equals(reference.shape(), actual.shape())) {
            fail(context + ": output shape " + Shapes.format(actual.shape()) + " but expected "
                    + Shapes.format(reference.shape()));
        }
        assertClose(context, reference.data(), actual.data(), reference.shape());
    }

    /** Asserts {@code actual} (row-major, of {@code shape}) is within tolerance of {@code reference}. */
    public static void assertClose(String context, float[] reference, float[] actual, int[] shape) {
        Result r = compare(reference, actual);
        if (r.passed()) {
            return;
        }
        StringBuilder m = new StringBuilder(context).append(":\n  ");
        if (r.nanCount() > 0) {
            int i = r.firstNanIndex();
            m.append(r.nanCount()).append(" of ").append(r.length()).append(" elements are NaN, the first at ")
                    .append(where(i, shape)).append(" (output ").append(actual[i]).append(", reference ")
                    .append(reference[i]).append("): an element never written (the output was poisoned with NaN) ")
                    .append("or a NaN computed\n  ");
        }
        if (r.worstIndex() >= 0) {
            int i = r.worstIndex();
            m.append(String.format(Locale.ROOT, "max |out - ref| = %.6g at %s (output %s, reference %s); tolerance %.3g"
                            + " = 1e-4 * max(1, max |ref| = %.6g); %d of %d elements outside it",
                    r.maxError(), where(i, shape), actual[i], reference[i], r.tolerance(), r.maxAbsReference(),
                    r.outsideCount(), r.length()));
        }
        fail(m.toString());
    }

    /** A flat index as coordinates in {@code shape}, e.g. {@code [0, 2, 1, 4]}. */
    public static String where(int flatIndex, int[] shape) {
        int[] idx = new int[shape.length];
        int rest = flatIndex;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] > 0) {
                idx[d] = rest % shape[d];
                rest /= shape[d];
            }
        }
        return Shapes.format(idx);
    }

    private static double maxAbs(float[] values) {
        double m = 0;
        for (float v : values) {
            if (Float.isFinite(v)) { // an infinity must not make the tolerance infinite
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }
}
