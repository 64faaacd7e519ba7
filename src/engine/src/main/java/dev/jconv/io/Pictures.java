package dev.jconv.io;

import dev.jconv.Tensor;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Pictures as convolution inputs: PNG, JPEG (or anything else {@link ImageIO} reads) becomes a
 * {@code (1, 3, H, W)} tensor of R, G, B in [0, 1], the values divided by 255 as they are stored (sRGB, not
 * linearized), which is what {@code torchvision.transforms.ToTensor} gives PyTorch users; alpha is dropped and
 * gray or palette images are expanded to three equal channels (gray levels as stored, as PIL does). The one
 * decoder for the CLI's {@code visualize} and for jobs that get pictures as bytes (Spark's binaryFile source).
 */
public final class Pictures {
    private Pictures() {}

    /** Decodes a picture file's content; {@code name} (its path, say) is what the error message names. */
    public static Tensor decode(byte[] content, String name) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(content));
        if (image == null) {
            throw new IOException(name + ": not a picture Java can read (PNG, JPEG, GIF or BMP)");
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
}
