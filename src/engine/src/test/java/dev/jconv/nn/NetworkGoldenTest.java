package dev.jconv.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import dev.jconv.testkit.BackendAssumptions;
import dev.jconv.testkit.Fixtures;
import dev.jconv.testkit.NetworkFixtures;
import dev.jconv.testkit.OutputComparison;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every network of the PyTorch fixtures (the seed's SimpleCNN, Conv1d networks over every parameter,
 * Conv-BatchNorm-ReLU blocks, MaxPool2d over its parameters) built from its spec, loaded from both weight
 * formats, run on {@code cpu} and {@code cpu-reference}, fused and unfused: PyTorch's output within
 * {@code 1e-4 * max(1, max|ref|)}.
 */
class NetworkGoldenTest {
    private static final List<String> BACKENDS = List.of("cpu-reference", "cpu");

    static Stream<Arguments> runs() {
        List<Arguments> runs = new ArrayList<>();
        for (Map.Entry<String, JsonElement> c : NetworkFixtures.json("networks.json").getAsJsonObject().entrySet()) {
            JsonObject entry = c.getValue().getAsJsonObject();
            List<String> weights = new ArrayList<>();
            entry.getAsJsonArray("weights").forEach(w -> weights.add(w.getAsString()));
            if (weights.isEmpty()) {
                weights.add(null);
            }
            for (String backend : BACKENDS) {
                for (String w : weights) {
                    for (boolean fusion : new boolean[] {true, false}) {
                        runs.add(Arguments.of(c.getKey(), backend, w, fusion));
                    }
                }
            }
        }
        return runs.stream();
    }

    @ParameterizedTest(name = "{0} on {1} from {2}, fusion {3}")
    @MethodSource("runs")
    void matchesPyTorch(String name, String backend, String weights, boolean fusion) throws IOException {
        BackendAssumptions.assumeAvailable(backend);
        JsonObject c = NetworkFixtures.json("networks.json").getAsJsonObject().getAsJsonObject(name);
        Sequential model = ModelSpec.read(NetworkFixtures.path(c.get("spec").getAsString()));
        if (weights != null) {
            model.loadStateDict(NetworkFixtures.path(weights));
        }
        model.setBackend(backend);
        model.fusion(fusion);
        Tensor x = Npy.read(NetworkFixtures.path(c.get("input").getAsString()));
        Tensor expected = Npy.read(NetworkFixtures.path(c.get("output").getAsString()));
        Tensor y = model.forward(x);
        OutputComparison.assertClose(name + " on " + backend, expected, y);
    }

    static Stream<String> cases() {
        return NetworkFixtures.json("networks.json").getAsJsonObject().keySet().stream();
    }

    /** print(model), the model summary (per-layer output shapes and parameter counts) and the total. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reprAndSummaryArePyTorchs(String name) throws IOException {
        JsonObject c = NetworkFixtures.json("networks.json").getAsJsonObject().getAsJsonObject(name);
        Sequential model = ModelSpec.read(NetworkFixtures.path(c.get("spec").getAsString()));
        assertEquals(c.get("repr").getAsString(), model.toString());
        Tensor x = Npy.read(NetworkFixtures.path(c.get("input").getAsString()));
        List<Sequential.LayerSummary> rows = model.summary(x.shape());
        var expected = c.getAsJsonArray("summary");
        assertEquals(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonObject e = expected.get(i).getAsJsonObject();
            assertEquals(e.get("name").getAsString(), rows.get(i).name());
            assertEquals(e.get("type").getAsString(), rows.get(i).type());
            assertEquals(Fixtures.ints(e.get("shape")).length, rows.get(i).outputShape().length);
            assertEquals(java.util.Arrays.toString(Fixtures.ints(e.get("shape"))),
                    java.util.Arrays.toString(rows.get(i).outputShape()), e.toString());
            assertEquals(e.get("params").getAsLong(), rows.get(i).parameters(), e.toString());
        }
        assertEquals(c.get("parameters").getAsLong(), model.parameterCount());
    }

    /** The SimpleCNN state_dict stored as F64, F16 and BF16 safetensors, each against PyTorch with those weights. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void otherFloatTypesReadAsFloat32(String weights, String output) throws IOException {
        Sequential model = ModelSpec.read(NetworkFixtures.path("simple_cnn/spec.txt"));
        model.loadStateDict(NetworkFixtures.path(weights));
        model.setBackend("cpu-reference");
        Tensor y = model.forward(Npy.read(NetworkFixtures.path("simple_cnn/input.npy")));
        OutputComparison.assertClose(weights, Npy.read(NetworkFixtures.path(output)), y);
    }

    static Stream<Arguments> variants() {
        List<Arguments> v = new ArrayList<>();
        NetworkFixtures.json("networks.json").getAsJsonObject().getAsJsonObject("simple_cnn")
                .getAsJsonArray("variants").forEach(e -> v.add(Arguments.of(
                        e.getAsJsonObject().get("weights").getAsString(), e.getAsJsonObject().get("output").getAsString())));
        assertTrue(v.size() >= 3);
        return v.stream();
    }
}
