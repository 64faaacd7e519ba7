package dev.jconv.nn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.jconv.ConvParams;
import dev.jconv.Functional;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.Tensor;
import dev.jconv.testkit.Fixtures;
import dev.jconv.testkit.NetworkFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The modules' errors in PyTorch 1.13's exact words: every case of {@code networks/errors.json} (the message
 * PyTorch raised for it, or null where PyTorch accepted the call) run through the jconv equivalent.
 */
class PyTorchErrorMessagesTest {

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        NetworkFixtures.json("errors.json").getAsJsonObject().entrySet().forEach(kind -> {
            int i = 0;
            for (JsonElement c : kind.getValue().getAsJsonArray()) {
                all.add(Arguments.of(kind.getKey() + " #" + i++, kind.getKey(), c.getAsJsonObject()));
            }
        });
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameMessageAsPyTorch(String label, String kind, JsonObject c) {
        Executable call = switch (kind) {
            case "maxpool2d" -> maxPool(c);
            case "conv1d" -> conv1d(c);
            case "linear" -> () -> new Linear(c.get("in").getAsInt(), c.get("out").getAsInt())
                    .forward(Tensor.zeros(Fixtures.ints(c.get("input"))));
            case "flatten" -> () -> new Flatten(c.get("start").getAsInt(), c.get("end").getAsInt())
                    .forward(Tensor.zeros(Fixtures.ints(c.get("input"))));
            case "batchnorm2d" -> () -> new BatchNorm2d(c.get("features").getAsInt())
                    .forward(Tensor.zeros(Fixtures.ints(c.get("input"))));
            case "reshape" -> () -> Tensor.zeros(Fixtures.ints(c.get("input"))).reshape(Fixtures.ints(c.get("shape")));
            default -> throw new AssertionError(kind);
        };
        String expected = Fixtures.stringOrNull(c, "message");
        if (expected == null) {
            assertDoesNotThrow(call, c.toString());
        } else {
            RuntimeException e = assertThrows(RuntimeException.class, call, c.toString());
            assertTrue(e instanceof IllegalArgumentException || e instanceof IndexOutOfBoundsException, e.toString());
            assertEquals(expected, e.getMessage(), c.toString());
        }
    }

    private static Executable maxPool(JsonObject c) {
        int[] k = intOrPair(c.get("kernel"));
        MaxPool2d.Builder b = MaxPool2d.builder(k[0], k[1]);
        int[] s = intOrPair(c.get("stride"));
        int[] p = intOrPair(c.get("padding"));
        int[] d = intOrPair(c.get("dilation"));
        MaxPool2d pool = b.stride(s[0], s[1]).padding(p[0], p[1]).dilation(d[0], d[1])
                .ceilMode(c.get("ceil_mode").getAsBoolean()).build();
        return () -> pool.forward(Tensor.randn(1, Fixtures.ints(c.get("input"))));
    }

    private static Executable conv1d(JsonObject c) {
        JsonElement pad = c.get("padding");
        Padding padding = pad.getAsJsonPrimitive().isString() ? Padding.parse(pad.getAsString()) : Padding.of(pad.getAsInt());
        ConvParams params = ConvParams.conv1d(c.get("stride").getAsInt(), padding, c.get("dilation").getAsInt(),
                c.get("groups").getAsInt(), PaddingMode.parse(c.get("padding_mode").getAsString()));
        int[] bias = Fixtures.intsOrNull(c, "bias");
        return () -> Functional.conv1d(Tensor.randn(1, Fixtures.ints(c.get("input"))),
                Tensor.randn(2, Fixtures.ints(c.get("weight"))), bias == null ? null : Tensor.randn(3, bias), params,
                "cpu-reference", PostOp.NONE);
    }

    private static int[] intOrPair(JsonElement e) {
        if (e.isJsonArray()) {
            return Fixtures.ints(e);
        }
        return new int[] {e.getAsInt(), e.getAsInt()};
    }

    /** Strict loading: missing, unexpected and mismatched keys in PyTorch's words, from both file formats. */
    @ParameterizedTest(name = "{1}")
    @MethodSource("loadCases")
    void strictLoadingFailsInPyTorchsWords(String spec, String weights, String expected) throws Exception {
        Sequential model = ModelSpec.read(NetworkFixtures.path(spec));
        Executable load = () -> model.loadStateDict(NetworkFixtures.path(weights));
        if (expected == null) {
            assertDoesNotThrow(load);
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, load);
            assertEquals(expected, e.getMessage());
        }
    }

    static Stream<Arguments> loadCases() {
        List<Arguments> all = new ArrayList<>();
        for (JsonElement c : NetworkFixtures.json("load_errors.json").getAsJsonArray()) {
            JsonObject o = c.getAsJsonObject();
            all.add(Arguments.of(o.get("spec").getAsString(), o.get("weights").getAsString(),
                    Fixtures.stringOrNull(o, "message")));
        }
        return all.stream();
    }
}
