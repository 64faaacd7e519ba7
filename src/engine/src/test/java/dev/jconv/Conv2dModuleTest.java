package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.jconv.testkit.Fixtures;
import dev.jconv.testkit.GoldenCase;
import dev.jconv.testkit.GoldenFixtures;
import dev.jconv.testkit.LayerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@link Conv2d} module against what PyTorch's {@code nn.Conv2d} says about the same arguments. */
class Conv2dModuleTest {

    /** Every layer configuration the generator recorded (reprs.json, the golden cases and the seed examples). */
    private static List<JsonObject> recordedLayers() {
        List<JsonObject> all = new ArrayList<>();
        for (String file : new String[] {"reprs.json", "manifest.json", "seeds.json"}) {
            JsonObject root = Fixtures.json(file);
            String key = root.has("configs") ? "configs" : root.has("cases") ? "cases" : "examples";
            for (JsonElement e : root.getAsJsonArray(key)) {
                all.add(e.getAsJsonObject());
            }
        }
        return all;
    }

    @TestFactory
    Stream<DynamicTest> reprShapesAndParameterCountAreExactlyPyTorchs() {
        return recordedLayers().stream().map(o -> {
            LayerSpec spec = LayerSpec.fromJson(o);
            return DynamicTest.dynamicTest(spec.repr(), () -> {
                Conv2d conv = spec.build("cpu-reference", 1);
                String call = spec.call();
                assertEquals(spec.repr(), conv.toString(), "repr of " + call);
                assertArrayEquals(spec.weightShape(), conv.weightShape(), "weight shape of " + call);
                assertArrayEquals(spec.weightShape(), conv.weight().shape(), "weight tensor of " + call);
                assertArrayEquals(spec.biasShape(), conv.biasShape(), "bias shape of " + call);
                if (spec.biasShape() == null) {
                    assertNull(conv.bias(), call);
                } else {
                    assertArrayEquals(spec.biasShape(), conv.bias().shape(), "bias tensor of " + call);
                }
                assertEquals(spec.parameterCount(), conv.parameterCount(), "parameter count of " + call);
                int[] in = Fixtures.ints(o.get("input_shape"));
                assertArrayEquals(Fixtures.ints(o.get("output_shape")), conv.outputShape(in),
                        "output shape of " + call + " on " + Shapes.format(in));
            });
        });
    }

    @Test
    void theIssuesTwoReprsVerbatim() {
        assertEquals("Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
                Conv2d.builder(3, 16, 3).stride(1).padding(1).build().toString());
        assertEquals("Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=4, bias=False, "
                        + "padding_mode=reflect)",
                Conv2d.builder(16, 32, 3).padding("same").groups(4).bias(false).paddingMode("reflect").build().toString());
    }

    @Test
    void defaultsArePyTorchs() {
        Conv2d conv = new Conv2d(3, 8, 3);
        assertEquals(ConvParams.defaults(), conv.params());
        assertEquals(new ConvParams(1, 1, Padding.of(0), 1, 1, 1, PaddingMode.ZEROS), conv.params());
        assertArrayEquals(new int[] {8}, conv.biasShape(), "bias defaults to True");
        assertEquals("auto", conv.backend());
        assertEquals("Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))", conv.toString());
    }

    @Test
    void forwardKeepsTheRankOfItsInput() {
        Conv2d conv = Conv2d.builder(3, 5, 3).padding(1).seed(7).build();
        Tensor batched = Tensor.randn(1, 2, 3, 6, 4);
        assertArrayEquals(new int[] {2, 5, 6, 4}, conv.forward(batched).shape());
        Tensor single = Tensor.randn(2, 3, 6, 4);
        Tensor out = conv.forward(single);
        assertArrayEquals(new int[] {5, 6, 4}, out.shape());
        assertArrayEquals(new int[] {5, 6, 4}, conv.outputShape(3, 6, 4));
        // unbatched is the batch of one
        assertArrayEquals(conv.forward(single.reshape(1, 3, 6, 4)).data(), out.data());
    }

    @Test
    void emptyBatchGivesAnEmptyOutputOfTheRightShape() {
        Conv2d conv = Conv2d.builder(3, 5, 3).stride(2).seed(1).build();
        Tensor out = conv.forward(Tensor.zeros(0, 3, 9, 8));
        assertArrayEquals(new int[] {0, 5, 4, 3}, out.shape());
        assertEquals(0, out.numel());
    }

    // ---- default initialisation: kaiming-uniform(a = sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) ----

    @ParameterizedTest(name = "in={0} out={1} k={2}x{3} groups={4}")
    @CsvSource({"3, 16, 3, 3, 1", "16, 32, 3, 3, 4", "8, 8, 5, 1, 8", "1, 4, 1, 1, 1", "64, 64, 3, 3, 1", "6, 12, 2, 4, 3"})
    void initialWeightsAndBiasLieWithinOneOverRootFanIn(int in, int out, int kh, int kw, int groups) {
        Conv2d conv = Conv2d.builder(in, out, kh, kw).groups(groups).seed(42).build();
        int fanIn = in / groups * kh * kw;
        double bound = 1 / Math.sqrt(fanIn);
        for (Tensor t : new Tensor[] {conv.weight(), conv.bias()}) {
            float[] d = t.data();
            for (float v : d) {
                assertTrue(Math.abs(v) <= bound, v + " outside +-1/sqrt(" + fanIn + ") = " + bound);
            }
            assertTrue(Arrays.stream(boxed(d)).distinct().count() > d.length / 2, "values should be random, not constant");
        }
    }

    @Test
    void initialWeightsAreUniformOverTheWholeInterval() {
        // 64*64*3*3 = 36864 draws: mean, spread and extremes of U(-b, b), deterministic under the seed
        Conv2d conv = Conv2d.builder(64, 64, 3).seed(3).build();
        double bound = 1 / Math.sqrt(64 * 9);
        float[] w = conv.weight().data();
        double mean = 0;
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (float v : w) {
            mean += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        mean /= w.length;
        double var = 0;
        for (float v : w) {
            var += (v - mean) * (v - mean);
        }
        var /= w.length;
        assertEquals(0, mean / bound, 0.02, "mean / bound");
        assertEquals(1.0 / 3, var / (bound * bound), 0.02, "variance / bound^2 of U(-b, b) is 1/3");
        assertTrue(max > 0.99 * bound && min < -0.99 * bound, "extremes " + min + ", " + max + " vs bound " + bound);
    }

    @Test
    void aSeedMakesTheInitialisationReproducible() {
        Conv2d a = Conv2d.builder(4, 6, 3).groups(2).seed(123).build();
        Conv2d b = Conv2d.builder(4, 6, 3).groups(2).seed(123).build();
        Conv2d c = Conv2d.builder(4, 6, 3).groups(2).seed(124).build();
        assertEquals(a.weight(), b.weight());
        assertEquals(a.bias(), b.bias());
        assertNotEquals(a.weight(), c.weight());
        assertNotEquals(a.bias(), c.bias());
    }

    @Test
    void withoutASeedEveryLayerStartsDifferently() {
        assertNotEquals(new Conv2d(3, 8, 3).weight(), new Conv2d(3, 8, 3).weight());
    }

    // ---- loading weights ----

    @Test
    void setWeightAndSetBiasCopyTheirArguments() {
        Conv2d conv = Conv2d.builder(2, 3, 1).seed(0).build();
        Tensor w = Tensor.randn(9, 3, 2, 1, 1);
        Tensor b = Tensor.randn(10, 3);
        conv.setWeight(w);
        conv.setBias(b);
        assertEquals(w, conv.weight());
        assertEquals(b, conv.bias());
        w.data()[0] += 1;
        b.data()[0] += 1;
        assertNotEquals(w, conv.weight(), "the layer must hold a copy");
        assertNotEquals(b, conv.bias(), "the layer must hold a copy");
    }

    @Test
    void loadedWeightsGiveTheGoldenOutput() {
        GoldenCase c = GoldenFixtures.get("groups_2_dilation_2_stride_2x1");
        GoldenFixtures.checkModule(c, "cpu-reference");
    }

    @Test
    void weightReturnsTheLiveTensor() {
        Conv2d conv = Conv2d.builder(1, 1, 1).bias(false).seed(0).build();
        assertSame(conv.weight(), conv.weight());
        conv.weight().set(2f, 0, 0, 0, 0);
        assertEquals(6f, conv.forward(Tensor.of(new float[] {3f}, 1, 1, 1, 1)).get(0, 0, 0, 0));
    }

    @Test
    void setWeightOfTheWrongShapeNamesBothShapes() {
        Conv2d conv = Conv2d.builder(4, 6, 3).groups(2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.setWeight(Tensor.zeros(6, 4, 3, 3)));
        assertEquals("expected weight of size [6, 2, 3, 3], but got weight of size [6, 4, 3, 3]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> conv.setWeight(Tensor.zeros(6, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> conv.setWeight(Tensor.zeros(6, 2, 3, 2)));
    }

    @Test
    void setBiasOfTheWrongShapeNamesBothShapes() {
        Conv2d conv = new Conv2d(3, 8, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.setBias(Tensor.zeros(7)));
        assertEquals("expected bias of size [8], but got bias of size [7]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> conv.setBias(Tensor.zeros(8, 1)));
    }

    @Test
    void setBiasOnALayerWithoutBiasIsRejected() {
        Conv2d conv = Conv2d.builder(3, 8, 3).bias(false).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.setBias(Tensor.zeros(8)));
        assertTrue(e.getMessage().contains("bias=False"), e.getMessage());
        assertNull(conv.bias());
    }

    @Test
    void anUnknownBackendIsRejectedNamingTheKnownOnes() {
        Conv2d conv = new Conv2d(3, 8, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.setBackend("tpu"));
        assertTrue(e.getMessage().contains("tpu") && e.getMessage().contains("cpu-reference"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conv2d.builder(3, 8, 3).backend("tpu").build());
        conv.setBackend("cpu-reference");
        assertEquals("cpu-reference", conv.backend());
        assertFalse(conv.toString().contains("backend"), "the backend is not part of PyTorch's repr");
    }

    private static Float[] boxed(float[] d) {
        Float[] b = new Float[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = d[i];
        }
        return b;
    }

    @Test
    void anUnknownBackendNameIsRejectedWhenTheLayerIsBuiltAndWhenItIsSet() {
        IllegalArgumentException built = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.builder(3, 8, 3).backend("cpu-fast").build());
        assertTrue(built.getMessage().startsWith("unknown backend 'cpu-fast', expected one of [auto, "), built.getMessage());
        Conv2d conv = Conv2d.builder(3, 8, 3).seed(1).build();
        assertThrows(IllegalArgumentException.class, () -> conv.setBackend("gpu"));
        assertEquals("auto", conv.backend());
        conv.setBackend("cpu-reference");
        assertEquals("cpu-reference", conv.backend());
    }
}
