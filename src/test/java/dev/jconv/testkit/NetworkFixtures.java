package dev.jconv.testkit;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The committed network fixtures ({@code src/test/resources/networks/}, written by
 * {@code src/test/python/generate_network_fixtures.py}) as files: the loaders read paths, not streams.
 */
public final class NetworkFixtures {
    private NetworkFixtures() {}

    /** The file of a fixture, e.g. {@code path("simple_cnn/weights.safetensors")}. */
    public static Path path(String relativePath) {
        URL url = NetworkFixtures.class.getResource("/networks/" + relativePath);
        if (url == null) {
            throw new IllegalStateException("network fixture " + relativePath + " is not on the test classpath;"
                    + " regenerate with /usr/bin/python3 src/test/python/generate_network_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON fixture, e.g. {@code json("networks.json")}. */
    public static JsonElement json(String relativePath) {
        try {
            return JsonParser.parseString(Files.readString(path(relativePath)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
