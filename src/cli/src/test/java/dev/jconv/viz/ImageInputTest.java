package dev.jconv.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import dev.jconv.testkit.Allocations;
import dev.jconv.testkit.PictureBombs;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
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
    void grayPngIsOneChannelOfItsStoredLevelsAsToTensorGives() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 200);
        img.getRaster().setSample(1, 0, 0, 17);
        Path png = dir.resolve("gray.png");
        ImageIO.write(img, "png", png.toFile());
        Tensor t = ImageInput.read(png);
        assertArrayEquals(new int[] {1, 1, 1, 2}, t.shape());
        assertArrayEquals(new float[] {200 / 255f, 17 / 255f}, t.data());
    }

    @Test
    void sixteenBitGrayIsScaledByItsOwnMaximum() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSample(0, 0, 0, 65535);
        img.getRaster().setSample(1, 0, 0, 0);
        Path png = dir.resolve("gray16.png");
        ImageIO.write(img, "png", png.toFile());
        assertArrayEquals(new float[] {1f, 0f}, ImageInput.read(png).data());
    }

    @Test
    void grayJpegIsOneChannel() throws IOException {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                img.getRaster().setSample(x, y, 0, 200);
            }
        }
        Path jpg = dir.resolve("gray.jpg");
        assertTrue(ImageIO.write(img, "jpeg", jpg.toFile()));
        Tensor t = ImageInput.read(jpg);
        assertArrayEquals(new int[] {1, 1, 8, 8}, t.shape());
        for (int i = 0; i < 64; i++) {
            assertEquals(200 / 255f, t.data()[i], 2 / 255f); // JPEG is lossy
        }
    }

    @Test
    void rgbaAndPalettePicturesAreThreeChannelsAsAfterConvertRgb() throws IOException {
        BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x80336699); // half transparent: convert('RGB') keeps the color, drops alpha
        rgba.setRGB(1, 0, 0x00ffffff);
        Path png = dir.resolve("rgba.png");
        ImageIO.write(rgba, "png", png.toFile());
        Tensor t = ImageInput.read(png);
        assertArrayEquals(new int[] {1, 3, 1, 2}, t.shape());
        assertArrayEquals(new float[] {0x33 / 255f, 1, 0x66 / 255f, 1, 0x99 / 255f, 1}, t.data());

        byte[] levels = {0, (byte) 255};
        java.awt.image.IndexColorModel grayPalette = new java.awt.image.IndexColorModel(1, 2, levels, levels, levels);
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_BINARY, grayPalette);
        indexed.setRGB(1, 0, 0xffffff);
        Path gif = dir.resolve("palette.gif");
        ImageIO.write(indexed, "gif", gif.toFile());
        Tensor p = ImageInput.read(gif);
        assertArrayEquals(new int[] {1, 3, 1, 2}, p.shape(), "a palette picture is RGB even with gray entries");
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 1}, p.data());
    }

    @Test
    void aPictureLargerThanTheLimitIsRefusedFromItsHeaderBeforeDecoding() throws IOException {
        Path bomb = PictureBombs.png(dir.resolve("bomb.png"), 27000, 27000);
        long allocated = Allocations.during(() -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageInput.read(bomb));
            assertEquals(bomb + ": a 27000 x 27000 picture has 729000000 pixels, more than the limit of 89478485 "
                    + "(raise it with --max-pixels)", e.getMessage());
        });
        assertTrue(allocated < 16 << 20, "refusing allocated " + allocated + " bytes");
        Path big = PictureBombs.png(dir.resolve("big.png"), 12000, 12000);
        assertThrows(IllegalArgumentException.class, () -> ImageInput.read(big));
        assertThrows(IllegalArgumentException.class, () -> ImageInput.read(big, 100_000_000L));
        Path small = dir.resolve("small.png");
        ImageIO.write(new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB), "png", small.toFile());
        assertEquals(3, ImageInput.read(small, 6).size(3), "exactly at the limit");
        IOException cut = assertThrows(IOException.class,
                () -> ImageInput.read(PictureBombs.png(dir.resolve("lying.png"), 3, 2), 6));
        assertTrue(cut.getMessage().contains("lying.png: cannot decode the picture"), cut.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ImageInput.read(PictureBombs.png(dir.resolve("seven.png"), 7, 1), 6));
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
    void theOutputFormatFollowsTheExtension() throws IOException {
        BufferedImage argb = new BufferedImage(4, 3, BufferedImage.TYPE_INT_ARGB);
        for (String name : new String[] {"out.jpg", "out.JPEG"}) {
            Path jpg = dir.resolve(name);
            PictureOutput.write(argb, jpg);
            byte[] head = Arrays.copyOf(Files.readAllBytes(jpg), 2);
            assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xd8}, head, name + " starts with JPEG's SOI marker");
        }
        Path png = dir.resolve("out.png");
        PictureOutput.write(argb, png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(Files.readAllBytes(png), 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PictureOutput.write(argb, dir.resolve("out.gif")));
        assertTrue(e.getMessage().contains("must end in .png, .jpg or .jpeg"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out.gif")));
    }

    @Test
    void pngOutputLeavesNoTemporaryFiles() throws IOException {
        Path out = dir.resolve("out.png");
        PictureOutput.write(new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB), out);
        assertEquals(4, ImageIO.read(out.toFile()).getWidth());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
        IOException e = assertThrows(IOException.class,
                () -> PictureOutput.write(new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB), dir.resolve("no/x.png")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
