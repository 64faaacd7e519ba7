package dev.jconv.viz;

import dev.jconv.io.AtomicWrite;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Writes PNG files atomically ({@link AtomicWrite}): the file appears complete or not at all. */
public final class PngOutput {
    private PngOutput() {}

    public static void write(RenderedImage image, Path file) throws IOException {
        AtomicWrite.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer is installed in this Java runtime");
            }
        });
    }
}
