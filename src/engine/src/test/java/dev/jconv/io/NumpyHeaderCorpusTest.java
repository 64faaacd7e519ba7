package dev.jconv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.jconv.Tensor;
import dev.jconv.testkit.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reader against numpy's own verdict on odd headers ({@code fixtures/npy/headers.json}: for every file,
 * whether {@code numpy.load} accepts it and what it reads). jconv must read exactly the float32/float64 C-order
 * files numpy reads, to the same shape and values, and reject every file numpy rejects; where numpy accepts what
 * jconv does not take (other dtypes, Fortran order, negative or int-overflowing dimensions) the message says so.
 */
class NumpyHeaderCorpusTest {
    private static final Set<String> FLOAT_DTYPES = Set.of("<f4", ">f4", "<f8", ">f8");
    /** numpy accepts these; jconv refuses them on purpose, saying why. */
    private static final Map<String, String> DEVIATIONS = Map.of(
            "shape_negative", "negative dimension -3",
            "shape_minus_one", "negative dimension -1",
            "shape_zero_and_huge", "has a dimension larger than a Java array can hold",
            "fortran_true", "Fortran-order arrays are not supported",
            "descr_tuple", "unsupported dtype ('<f4', (1,))");

    @TempDir
    Path dir;

    static Stream<JsonObject> cases() {
        return Fixtures.json("npy/headers.json").getAsJsonArray("cases").asList().stream()
                .map(JsonElement::getAsJsonObject);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreesWithNumpy(JsonObject c) throws IOException {
        String file = c.get("file").getAsString();
        String name = file.substring(file.lastIndexOf('/') + 1, file.length() - ".npy".length());
        Path path = dir.resolve(name + ".npy");
        try (InputStream in = NumpyHeaderCorpusTest.class.getResourceAsStream(Fixtures.ROOT + file)) {
            Files.copy(in, path);
        }
        boolean numpyReads = c.get("accepted").getAsBoolean();
        String dtype = numpyReads ? c.get("dtype").getAsString() : null;
        if (numpyReads && FLOAT_DTYPES.contains(dtype) && !DEVIATIONS.containsKey(name)) {
            Tensor t = Npy.read(path);
            assertArrayEquals(Fixtures.ints(c.get("shape")), t.shape(), name + ": shape");
            List<JsonElement> values = c.getAsJsonArray("values").asList();
            assertEquals(values.size(), t.data().length, name + ": element count");
            for (int i = 0; i < values.size(); i++) {
                assertEquals(values.get(i).getAsFloat(), t.data()[i], 0f, name + ": element " + i);
            }
            return;
        }
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(path),
                () -> name + ": numpy " + (numpyReads ? "reads it as " + dtype + " but jconv cannot"
                        : "rejects it (" + c.get("error").getAsString() + ")"));
        assertTrue(e.getMessage().startsWith(path + ": "), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f), "printable: " + e.getMessage());
        if (DEVIATIONS.containsKey(name)) {
            assertTrue(e.getMessage().contains(DEVIATIONS.get(name)), e.getMessage());
        } else if (numpyReads) {
            assertTrue(e.getMessage().contains("unsupported dtype"), name + ": " + e.getMessage());
        }
    }
}
