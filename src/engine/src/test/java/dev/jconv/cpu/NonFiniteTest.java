package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.testkit.Fixtures;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Inf and NaN in weights and inputs. PyTorch's dense convolution multiplies padded zeros like any value, so an
 * infinite weight on a zero-padded border gives {@code 0 * Inf = NaN}; {@code cpu-reference} does the same
 * ({@code fixtures/nonfinite/}, from PyTorch), and {@code cpu} agrees with it on every plan. PyTorch's own
 * depthwise path skips padded taps, so for depthwise layers PyTorch itself gives finite borders where its dense
 * path (and jconv) gives NaN; {@link #pytorchsDepthwisePathDiffersFromItsDensePathOnTheBorder} records that.
 */
class NonFiniteTest {
    private static final ReferenceBackend REFERENCE = new ReferenceBackend();

    static Stream<String> denseCases() {
        return Stream.of("dense_weight", "dense_input");
    }

    @ParameterizedTest
    @MethodSource("denseCases")
    void referenceMatchesPyTorchsDensePathOnNonFiniteValues(String name) {
        Case c = fixture(name);
        float[] ref = run(REFERENCE, c);
        assertSameValues(c.expected.data(), ref, "cpu-reference vs PyTorch, " + name);
        assertTrue(countNaN(ref) > 0, "the case must put NaN on the border: " + name);
    }

    @Test
    void pytorchsDepthwisePathDiffersFromItsDensePathOnTheBorder() {
        Case c = fixture("depthwise_weight");
        float[] ref = run(REFERENCE, c);
        float[] pytorch = c.expected.data();
        ConvGeometry g = c.geometry;
        int differing = 0;
        for (int i = 0; i < ref.length; i++) {
            int y = i / g.outWidth() % g.outHeight();
            int x = i % g.outWidth();
            // the Inf tap is (0, 0): it lands on padding exactly for the top row and the left column
            if (y == 0 || x == 0) {
                assertTrue(Float.isNaN(ref[i]), "jconv (as PyTorch's dense path): 0 * Inf = NaN at " + i);
                assertTrue(Float.isFinite(pytorch[i]), "PyTorch's depthwise path skips the padded tap at " + i);
                differing++;
            } else {
                assertSameValues(new float[] {pytorch[i]}, new float[] {ref[i]}, "interior element " + i);
            }
        }
        assertEquals(4 * (6 + 6 - 1), differing);
    }

    /** {@code cpu} agrees with the reference, non-finite values included, on every kind of plan. */
    @ParameterizedTest
    @MethodSource("geometries")
    void cpuAgreesWithTheReferenceOnInfAndNaN(String what, ConvGeometry g) {
        Random random = new Random(what.hashCode());
        for (CpuBackend cpu : List.of(new CpuBackend(3, 0, 0), new CpuBackend(1, 0, Integer.MAX_VALUE))) {
            for (int trial = 0; trial < 4; trial++) {
                float[] in = Tensor.uniform(random.nextLong(), -1, 1, g.inputShape()).data();
                float[] w = Tensor.uniform(random.nextLong(), -1, 1, g.weightShape()).data();
                sprinkle(random, trial % 2 == 0 ? w : in);
                sprinkle(random, trial < 2 ? w : in);
                Case c = new Case(g, in, w, null);
                assertSameValues(run(REFERENCE, c), run(cpu, c), what + " [" + cpu.plan(g).describe() + "]");
            }
        }
    }

    /**
     * The in-place depthwise kernel reads a row's left and right neighbours in the flat input (the previous row's
     * last value, the next row's first) and zeroes them as padding: an infinity or NaN there must not reach the
     * border outputs, and an infinite weight must still meet the padded zeros (NaN, as the reference).
     */
    @ParameterizedTest
    @CsvSource({"1, 7", "1, 16", "1, 20", "1, 35", "2, 7", "2, 20", "2, 35", "2, 70"})
    void inPlaceDepthwiseKeepsRowNeighboursOutOfTheBorders(int stride, int width) {
        ConvGeometry g = ConvValidator.checkForward(new int[] {1, 3, 7, width}, new int[] {3, 1, 3, 3}, null,
                ConvParams.defaults().withPadding(1).withGroups(3).withStride(stride));
        DepthwiseRowsPlan plan = new DepthwiseRowsPlan(g, WorkerPool.of(1));
        assertTrue(plan.readsInPlace());
        for (int trial = 0; trial < 2; trial++) {
            float[] in = Tensor.uniform(7 + trial, -1, 1, g.inputShape()).data();
            float[] w = Tensor.uniform(8 + trial, -1, 1, g.weightShape()).data();
            int plane = 7 * width; // the middle channel, the one read in place
            in[plane + 2 * width + width - 1] = Float.POSITIVE_INFINITY; // last value of row 2
            in[plane + 4 * width] = Float.NaN; // first value of row 4
            if (trial == 1) {
                w[9] = Float.POSITIVE_INFINITY; // the middle channel's top-left tap: NaN on the top row and left column
            }
            float[] out = new float[Math.toIntExact(g.outputElements())];
            plan.forward(in, w, null, out);
            assertSameValues(run(REFERENCE, new Case(g, in, w, null)), out, "trial " + trial);
        }
    }

    static Stream<Object[]> geometries() {
        return Stream.of(
                geometry("3x3 padding 1", new int[] {2, 3, 9, 10}, new int[] {4, 3, 3, 3}, ConvParams.defaults().withPadding(1)),
                geometry("1x1 padding 1 stride 2", new int[] {1, 4, 7, 6}, new int[] {3, 4, 1, 1},
                        ConvParams.defaults().withPadding(1).withStride(2)),
                geometry("depthwise 3x3 padding 1", new int[] {1, 8, 12, 12}, new int[] {8, 1, 3, 3},
                        ConvParams.defaults().withPadding(1).withGroups(8)),
                geometry("depthwise 3x3 padding 1, rows of more than a vector (read in place)", new int[] {2, 5, 7, 37},
                        new int[] {5, 1, 3, 3}, ConvParams.defaults().withPadding(1).withGroups(5)),
                geometry("depthwise 5x5 padding 2 stride 2", new int[] {2, 4, 11, 9}, new int[] {8, 1, 5, 5},
                        ConvParams.defaults().withPadding(2).withGroups(4).withStride(2)),
                geometry("dilated same", new int[] {1, 2, 8, 8}, new int[] {2, 2, 3, 3},
                        ConvParams.defaults().withDilation(2).withPadding(Padding.SAME)),
                geometry("gathered: stride 100000, padding 3", new int[] {1, 2, 8, 8}, new int[] {3, 2, 3, 3},
                        ConvParams.defaults().withStride(100000).withPadding(3)),
                geometry("reflect (no zeros)", new int[] {1, 2, 6, 6}, new int[] {2, 2, 3, 3},
                        ConvParams.defaults().withPadding(1).withPaddingMode(PaddingMode.REFLECT)));
    }

    private static Object[] geometry(String what, int[] input, int[] weight, ConvParams p) {
        return new Object[] {what, ConvValidator.checkForward(input, weight, null, p)};
    }

    private static void sprinkle(Random random, float[] values) {
        float[] specials = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        values[random.nextInt(values.length)] = specials[random.nextInt(3)];
    }

    // ---- helpers ----

    private record Case(ConvGeometry geometry, float[] input, float[] weight, Tensor expected) {}

    private static Case fixture(String name) {
        JsonObject c = Fixtures.json("nonfinite/nonfinite.json").getAsJsonArray("cases").asList().stream()
                .map(JsonElement::getAsJsonObject).filter(o -> o.get("name").getAsString().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("nonfinite.json has no case " + name + "; regenerate"));
        JsonObject files = c.getAsJsonObject("files");
        Tensor x = Fixtures.npy(files.get("input").getAsString());
        Tensor w = Fixtures.npy(files.get("weight").getAsString());
        ConvParams p = ConvParams.defaults().withPadding(c.get("padding").getAsInt())
                .withStride(c.get("stride").getAsInt()).withGroups(c.get("groups").getAsInt());
        ConvGeometry g = ConvValidator.checkForward(x.shape(), w.shape(), null, p);
        return new Case(g, x.data(), w.data(), Fixtures.npy(files.get("output").getAsString()));
    }

    private static float[] run(dev.jconv.backend.ConvBackend backend, Case c) {
        float[] out = new float[Math.toIntExact(c.geometry.outputElements())];
        backend.plan(c.geometry).forward(c.input, c.weight, null, out);
        return out;
    }

    private static int countNaN(float[] values) {
        int n = 0;
        for (float v : values) {
            n += Float.isNaN(v) ? 1 : 0;
        }
        return n;
    }

    /** NaN where the expected is NaN, the same infinity, and finite values within the fp32 tolerance. */
    private static void assertSameValues(float[] expected, float[] actual, String what) {
        double maxRef = 0;
        for (float v : expected) {
            if (Float.isFinite(v)) {
                maxRef = Math.max(maxRef, Math.abs(v));
            }
        }
        double tolerance = 1e-4 * Math.max(1.0, maxRef);
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            boolean same = Float.isNaN(e) ? Float.isNaN(a)
                    : Float.isInfinite(e) ? e == a
                    : Float.isFinite(a) && Math.abs((double) a - e) <= tolerance;
            if (!same) {
                fail(what + ": element " + i + " is " + a + ", expected " + e);
            }
        }
    }
}
