package dev.jconv.io;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Picture files (PNG, JPEG, GIF, BMP: what {@link ImageIO} reads) as {@code (C, H, W)} float32 tensors in [0, 1],
 * the stored values divided by their maximum (255 for 8 bits), not linearized: torchvision's {@code ToTensor}
 * on the image PIL opens. Gray pictures give one channel (as {@code ToTensor} on an {@code L} image); color,
 * palette and alpha pictures give three, R, G, B (as {@code ToTensor(img.convert('RGB'))}, which drops alpha);
 * a gray picture's alpha is dropped too.
 *
 * <p>The size is read from the file's header before anything is decoded, and a picture of more than
 * {@code maxPixels} pixels is refused: a few hundred kilobytes of PNG can claim 27000 x 27000 pixels, which
 * would need gigabytes. {@link #DEFAULT_MAX_PIXELS} is PIL's own default ({@code Image.MAX_IMAGE_PIXELS}).
 */
public final class Pictures {
    /** PIL's {@code Image.MAX_IMAGE_PIXELS}, {@code 1024 * 1024 * 1024 / 4 / 3}: a 9459 x 9459 picture. */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    private Pictures() {}

    /** Reads a picture file with the {@link #DEFAULT_MAX_PIXELS} limit. */
    public static Tensor read(Path file) throws IOException {
        return read(file, DEFAULT_MAX_PIXELS);
    }

    /** Reads a picture file as {@code (C, H, W)}, refusing more than {@code maxPixels} pixels before decoding. */
    public static Tensor read(Path file, long maxPixels) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such input file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return read(in, file.toString(), maxPixels);
        }
    }

    /**
     * Decodes a picture file's content (from a table or Spark's {@code binaryFile} source, say) as
     * {@code (C, H, W)}, with the same limit; {@code name} (its path) is what messages name.
     */
    public static Tensor decode(byte[] content, String name, long maxPixels) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(content))) {
            return read(in, name, maxPixels);
        }
    }

    private static Tensor read(ImageInputStream in, String name, long maxPixels) throws IOException {
        Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
        if (readers == null || !readers.hasNext()) {
            throw new IOException(name + ": not a picture Java can read (PNG, JPEG, GIF or BMP)");
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            long width = reader.getWidth(0);
            long height = reader.getHeight(0);
            if (width * height > maxPixels) {
                throw new IllegalArgumentException(name + ": a " + width + " x " + height + " picture has "
                        + width * height + " pixels, more than the limit of " + maxPixels
                        + " (raise it with --max-pixels)");
            }
            if (3 * width * height > Shapes.MAX_ELEMENTS) {
                throw new IllegalArgumentException(name + ": a " + width + " x " + height + " picture has more "
                        + "values than a Java array holds");
            }
            return toTensor(reader.read(0));
        } catch (javax.imageio.IIOException e) {
            throw new IOException(name + ": cannot decode the picture: " + e.getMessage(), e);
        } finally {
            reader.dispose();
        }
    }

    /** A decoded picture as {@code (C, H, W)}: one channel for gray, else R, G, B. */
    public static Tensor toTensor(BufferedImage image) {
        int h = image.getHeight();
        int w = image.getWidth();
        ColorModel cm = image.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // Java treats gray as linear and getRGB would brighten it (200 -> 229); PIL and torchvision take the
            // stored level, so read the samples themselves.
            float[] data = new float[h * w];
            Raster raster = image.getRaster();
            float max = (1 << cm.getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    data[y * w + x] = raster.getSample(x, y, 0) / max;
                }
            }
            return Tensor.of(data, 1, h, w);
        }
        float[] data = new float[3 * h * w];
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = image.getRGB(x, y);
                int i = y * w + x;
                data[i] = ((argb >> 16) & 0xff) / 255f;
                data[plane + i] = ((argb >> 8) & 0xff) / 255f;
                data[2 * plane + i] = (argb & 0xff) / 255f;
            }
        }
        return Tensor.of(data, 3, h, w);
    }
}
