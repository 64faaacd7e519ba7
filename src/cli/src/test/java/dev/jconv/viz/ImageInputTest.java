package dev.jconv.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageInputTest {
    @TempDir
    Path dir;

    @Test
    void pngBecomesOneByThreeByHByWInZeroToOne() throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0xff0000);
        img.setRGB(2, 1, 0x0080ff);
        img.setRGB(1, 0, 0x336699);
        Path png = dir.resolve("tiny.png");
        ImageIO.write(img, "png", png.toFile());
        Tensor t = ImageInput.read(png);
        assertArrayEquals(new int[] {1, 3, 2, 3}, t.shape());
        assertEquals(1f, t.get(0, 0, 0, 0));
        assertEquals(0f, t.get(0, 1, 0, 0));
        assertEquals(0f, t.get(0, 2, 0, 0));
        assertEquals(0x33 / 255f, t.get(0, 0, 0, 1));
        assertEquals(0x66 / 255f, t.get(0, 1, 0, 1));
        assertEquals(0x99 / 255f, t.get(0, 2, 0, 1));
        assertEquals(0x80 / 255f, t.get(0, 1, 1, 2));
        assertEquals(1f, t.get(0, 2, 1, 2));
        assertEquals(0f, t.get(0, 0, 1, 0));
    }

    @Test
    void grayPngKeepsItsStoredLevelsInAllThreeChannels() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 200);
        img.getRaster().setSample(1, 0, 0, 17);
        Path png = dir.resolve("gray.png");
        ImageIO.write(img, "png", png.toFile());
        Tensor t = ImageInput.read(png);
        assertArrayEquals(new float[] {200 / 255f, 17 / 255f, 200 / 255f, 17 / 255f, 200 / 255f, 17 / 255f}, t.data());
    }

    @Test
    void grayJpegGivesThreeEqualChannels() throws IOException {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                img.getRaster().setSample(x, y, 0, 200);
            }
        }
        Path jpg = dir.resolve("gray.jpg");
        assertTrue(ImageIO.write(img, "jpeg", jpg.toFile()));
        Tensor t = ImageInput.read(jpg);
        assertArrayEquals(new int[] {1, 3, 8, 8}, t.shape());
        for (int i = 0; i < 64; i++) {
            assertEquals(t.data()[i], t.data()[64 + i]);
            assertEquals(t.data()[i], t.data()[128 + i]);
            assertEquals(200 / 255f, t.data()[i], 2 / 255f); // JPEG is lossy
        }
    }

    @Test
    void npyArraysBecomeABatchOfOne() throws IOException {
        Path hw = dir.resolve("hw.npy");
        Npy.write(hw, Tensor.uniform(1, 0, 1, 4, 5));
        assertArrayEquals(new int[] {1, 1, 4, 5}, ImageInput.read(hw).shape());
        Path chw = dir.resolve("chw.npy");
        Tensor t = Tensor.uniform(2, 0, 1, 6, 4, 5);
        Npy.write(chw, t);
        Tensor read = ImageInput.read(chw);
        assertArrayEquals(new int[] {1, 6, 4, 5}, read.shape());
        assertArrayEquals(t.data(), read.data());
        Path batch = dir.resolve("batch.npy");
        Npy.write(batch, Tensor.zeros(2, 3, 4, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageInput.read(batch));
        assertTrue(e.getMessage().contains("holds a batch of 2 (size [2, 3, 4, 5])"), e.getMessage());
    }

    @Test
    void missingAndUnreadableFilesAreNamed() throws IOException {
        assertThrows(NoSuchFileException.class, () -> ImageInput.read(dir.resolve("nope.png")));
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not a picture");
        IOException e = assertThrows(IOException.class, () -> ImageInput.read(text));
        assertTrue(e.getMessage().contains("notes.png: not a picture"), e.getMessage());
    }

    @Test
    void pngOutputLeavesNoTemporaryFiles() throws IOException {
        Path out = dir.resolve("out.png");
        PngOutput.write(new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB), out);
        assertEquals(4, ImageIO.read(out.toFile()).getWidth());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
        IOException e = assertThrows(IOException.class,
                () -> PngOutput.write(new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB), dir.resolve("no/x.png")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
