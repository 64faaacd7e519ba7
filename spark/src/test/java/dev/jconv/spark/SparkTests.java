package dev.jconv.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.Functional;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.cpu.ReferenceBackend;
import org.apache.spark.sql.SparkSession;

/** What the Spark tests share: one local[2] session for all of them, and the fp32 check against the reference. */
final class SparkTests {
    private static SparkSession session;

    private SparkTests() {}

    /** One session for every test class of the run (Spark starts in seconds, not milliseconds). */
    static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("jconv-spark tests")
                    .config("spark.ui.enabled", false)
                    .config("spark.sql.shuffle.partitions", 2)
                    .getOrCreate();
        }
        return session;
    }

    /** {@code conv2d} on the pure-Java reference, which accumulates in double: the oracle. */
    static Tensor reference(Tensor input, ConvLayer layer) {
        return Functional.conv2d(input, layer.weight(), layer.bias(), layer.params(), ReferenceBackend.NAME);
    }

    /** fp32: max |out - ref| <= 1e-4 * max(1, max |ref|); NaN never passes; shapes equal. */
    static void assertMatches(Tensor expected, int[] shape, float[] actual, String what) {
        assertEquals(Shapes.format(expected.shape()), Shapes.format(shape), what + ": shape");
        float[] ref = expected.data();
        assertEquals(ref.length, actual.length, what + ": length");
        double maxRef = 0;
        double maxErr = 0;
        for (int i = 0; i < ref.length; i++) {
            assertFalse(Float.isNaN(actual[i]), what + ": NaN at " + i);
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxErr = Math.max(maxErr, Math.abs(actual[i] - ref[i]));
        }
        double tolerance = 1e-4 * Math.max(1, maxRef);
        final double err = maxErr;
        assertTrue(maxErr <= tolerance, () -> what + ": max |out - ref| = " + err + " > " + tolerance);
    }

    static ConvLayer randomLayer(long seed, int out, int in, int k, ConvParams params, boolean bias) {
        Tensor w = Tensor.uniform(seed, -1, 1, out, in / params.groups(), k, k);
        return ConvLayer.of(w, bias ? Tensor.uniform(seed + 1, -1, 1, out) : null, params);
    }
}
