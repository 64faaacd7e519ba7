package dev.jconv.viz;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Turns a picture file into a convolution input: PNG, JPEG (or anything else {@link ImageIO} reads) becomes a
 * {@code (1, 3, H, W)} tensor of R, G, B in [0, 1], the values divided by 255 as they are stored (sRGB, not
 * linearized), which is what {@code torchvision.transforms.ToTensor} gives PyTorch users; alpha is dropped and
 * gray or palette images are expanded to three equal channels (gray levels as stored, as PIL does). A {@code .npy} file is taken as it is:
 * {@code (H, W)}, {@code (C, H, W)} or {@code (1, C, H, W)}.
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
        return fromImage(image);
    }

    /** The R, G, B planes of {@code image} scaled to [0, 1], shape {@code (1, 3, H, W)}. */
    public static Tensor fromImage(BufferedImage image) {
        int h = image.getHeight();
        int w = image.getWidth();
        float[] data = new float[3 * h * w];
        int plane = h * w;
        ColorModel cm = image.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // Java treats gray images as linear and getRGB would brighten them (200 -> 229); PIL and
            // torchvision copy the stored level into R, G and B, so read the samples themselves.
            Raster raster = image.getRaster();
            float max = (1 << cm.getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = raster.getSample(x, y, 0) / max;
                    int i = y * w + x;
                    data[i] = v;
                    data[plane + i] = v;
                    data[2 * plane + i] = v;
                }
            }
            return Tensor.of(data, 1, 3, h, w);
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = image.getRGB(x, y);
                int i = y * w + x;
                data[i] = ((argb >> 16) & 0xff) / 255f;
                data[plane + i] = ((argb >> 8) & 0xff) / 255f;
                data[2 * plane + i] = (argb & 0xff) / 255f;
            }
        }
        return Tensor.of(data, 1, 3, h, w);
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
