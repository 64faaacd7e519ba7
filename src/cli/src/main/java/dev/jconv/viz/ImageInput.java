package dev.jconv.viz;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import dev.jconv.io.Pictures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Turns a file into a convolution input, a batch of one: a picture through {@link Pictures} (torchvision's
 * {@code ToTensor}: gray gives one channel, color, palette and alpha pictures three), a {@code .npy} file as it is:
 * {@code (H, W)}, {@code (C, H, W)} or {@code (1, C, H, W)}.
 */
public final class ImageInput {
    private ImageInput() {}

    /** Reads a picture (at most {@code maxPixels} pixels, checked before decoding) or {@code .npy} file as {@code (1, C, H, W)}. */
    public static Tensor read(Path file, long maxPixels) throws IOException {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString(), null, "no such input file");
            }
            return asSingleImage(Npy.read(file), file);
        }
        Tensor chw = Pictures.read(file, maxPixels);
        return chw.reshape(1, chw.size(0), chw.size(1), chw.size(2));
    }

    /** {@link #read(Path, long)} with {@link Pictures#DEFAULT_MAX_PIXELS}. */
    public static Tensor read(Path file) throws IOException {
        return read(file, Pictures.DEFAULT_MAX_PIXELS);
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
