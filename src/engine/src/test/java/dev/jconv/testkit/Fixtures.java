package dev.jconv.testkit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the committed PyTorch fixtures from the test classpath ({@code src/engine/src/test/resources/fixtures/},
 * written by {@code src/engine/src/test/python/generate_fixtures.py}).
 */
public final class Fixtures {
    /** Classpath folder of every fixture file. */
    public static final String ROOT = "/fixtures/";

    private Fixtures() {}

    /** A JSON fixture, e.g. {@code json("errors.json")}. */
    public static JsonObject json(String relativePath) {
        try (Reader r = new InputStreamReader(open(relativePath), StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + relativePath, e);
        }
    }

    /** An {@code .npy} fixture as a float32 tensor, e.g. {@code npy("conv/basic_3x3/input.npy")}. */
    public static Tensor npy(String relativePath) {
        try (InputStream in = open(relativePath)) {
            return Npy.read(in, "fixtures/" + relativePath);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + relativePath, e);
        }
    }

    /** Whether a classpath fixture exists. */
    public static boolean exists(String relativePath) {
        return Fixtures.class.getResource(ROOT + relativePath) != null;
    }

    static InputStream open(String relativePath) throws IOException {
        InputStream in = Fixtures.class.getResourceAsStream(ROOT + relativePath);
        if (in == null) {
            throw new IOException("fixture " + ROOT + relativePath + " is not on the test classpath; regenerate with "
                    + "/usr/bin/python3 src/engine/src/test/python/generate_fixtures.py");
        }
        return in;
    }

    // ---- small JSON helpers shared by the tests ----

    public static int[] ints(JsonElement array) {
        JsonArray a = array.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    /** {@code null} for a JSON null or a missing entry, else the int array. */
    public static int[] intsOrNull(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : ints(e);
    }

    /** A string entry, or null for a JSON null or a missing entry. */
    public static String stringOrNull(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }
}
