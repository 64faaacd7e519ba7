package dev.jconv.viz;

import dev.jconv.io.AtomicWrite;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Writes pictures in the format their file name asks for, {@code .png} or {@code .jpg}/{@code .jpeg}, through
 * {@link AtomicWrite} (the file appears complete or not at all). Any other name is refused before anything is
 * computed ({@link #checkFormat}), so a {@code .jpg} never holds PNG bytes.
 */
public final class PictureOutput {
    private PictureOutput() {}

    /** The ImageIO format name for {@code file}'s extension; an {@link IllegalArgumentException} for others. */
    public static String checkFormat(String what, Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png")) {
            return "png";
        }
        if (name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return "jpeg";
        }
        throw new IllegalArgumentException(what + " " + file + " must end in .png, .jpg or .jpeg (the format "
                + "follows the name)");
    }

    public static void write(BufferedImage image, Path file) throws IOException {
        String format = checkFormat("the picture", file);
        // JPEG has no alpha: ImageIO's JPEG writer refuses (or miscolors) images that carry one
        BufferedImage pixels = format.equals("jpeg") && image.getColorModel().hasAlpha() ? opaque(image) : image;
        AtomicWrite.write(file, out -> {
            if (!ImageIO.write(pixels, format, out)) {
                throw new IOException("no " + format + " writer is installed in this Java runtime");
            }
        });
    }

    private static BufferedImage opaque(BufferedImage image) {
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = rgb.createGraphics();
        g.drawImage(image, 0, 0, java.awt.Color.WHITE, null);
        g.dispose();
        return rgb;
    }
}
