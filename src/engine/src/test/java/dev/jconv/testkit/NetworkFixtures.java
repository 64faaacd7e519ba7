package dev.jconv.testkit;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The committed network fixtures ({@code src/engine/src/test/resources/networks/}, written by
 * {@code src/engine/src/test/python/generate_network_fixtures.py}) as files: the loaders read paths, not streams.
 */
public final class NetworkFixtures {
    private NetworkFixtures() {}

    private static Path extracted;

    /**
     * The file of a fixture, e.g. {@code path("simple_cnn/weights.safetensors")}: the file itself when the fixtures
     * are a directory on the classpath, else (the engine's test jar, as other modules see it) a copy in a
     * temporary directory, under the same relative path.
     */
    public static synchronized Path path(String relativePath) {
        URL url = NetworkFixtures.class.getResource("/networks/" + relativePath);
        if (url == null) {
            throw new IllegalStateException("network fixture " + relativePath + " is not on the test classpath;"
                    + " regenerate with /usr/bin/python3 src/engine/src/test/python/generate_network_fixtures.py");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI());
            }
            if (extracted == null) {
                extracted = Files.createTempDirectory("jconv-networks-");
            }
            Path copy = extracted.resolve(relativePath);
            if (!Files.exists(copy)) {
                Files.createDirectories(copy.getParent());
                try (InputStream in = url.openStream()) {
                    Files.copy(in, copy);
                }
            }
            return copy;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
