package dev.jconv.testkit;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** PNG files whose header claims any size: a real 1x1 PNG with its IHDR width and height (and CRC) rewritten. */
public final class PictureBombs {
    private PictureBombs() {}

    public static Path png(Path file, int width, int height) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", bytes);
        byte[] png = bytes.toByteArray();
        // signature (8), IHDR length (4), "IHDR" (4) at 12, width at 16, height at 20, ..., CRC at 29
        ByteBuffer b = ByteBuffer.wrap(png);
        b.putInt(16, width).putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
        return Files.write(file, png);
    }
}
