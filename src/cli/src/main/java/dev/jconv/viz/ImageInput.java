package dev.jconv.viz;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import dev.jconv.io.Pictures;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Turns a file into {@code visualize}'s input: a picture is decoded by {@link Pictures} (R, G, B / 255, as
 * torchvision's {@code ToTensor}); a {@code .npy} file is taken as it is: {@code (H, W)}, {@code (C, H, W)} or
 * {@code (1, C, H, W)}.
 */
public final class ImageInput {
    private ImageInput() {}

    /** Reads an image or {@code .npy} file as a batch of one, {@code (1, C, H, W)}. */
    public static Tensor read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such input file");
        }
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            return asSingleImage(Npy.read(file), file);
        }
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new IOException(file + ": not a picture Java can read (PNG, JPEG, GIF or BMP) nor a .npy file");
        }
        return Pictures.fromImage(image);
    }

    private static Tensor asSingleImage(Tensor t, Path file) {
        int[] s = t.shape();
        return switch (s.length) {
            case 2 -> t.reshape(1, 1, s[0], s[1]);
            case 3 -> t.reshape(1, s[0], s[1], s[2]);
            case 4 -> {
                if (s[0] != 1) {
                    throw new IllegalArgumentException("visualize draws one image, but " + file + " holds a batch of "
                            + s[0] + " (size " + Shapes.format(s) + "); save a single (C, H, W) image");
                }
                yield t;
            }
            default -> throw new IllegalArgumentException("expected an image array of shape (H, W), (C, H, W) or "
                    + "(1, C, H, W) in " + file + ", but got size " + Shapes.format(s));
        };
    }
}
