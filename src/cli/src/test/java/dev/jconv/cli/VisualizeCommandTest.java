package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VisualizeCommandTest {
    @TempDir
    Path dir;

    /** 20x16, black on the left half and white on the right: one vertical edge. */
    private Path edgePicture() throws IOException {
        BufferedImage img = new BufferedImage(20, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 10; x < 20; x++) {
                img.setRGB(x, y, 0xffffff);
            }
        }
        Path png = dir.resolve("edge.png");
        ImageIO.write(img, "png", png.toFile());
        return png;
    }

    @Test
    void everyModeWritesAPngWithTheBuiltInFilters() throws IOException {
        Path in = edgePicture();
        for (String mode : new String[] {"grayscale", "heatmap", "rgb"}) {
            Path png = dir.resolve(mode + ".png");
            Cli.Result r = Cli.run("visualize", "--image", in.toString(), "--mode", mode, "--padding", "1",
                    "--output", png.toString());
            assertEquals(0, r.exitCode(), r.err());
            assertEquals("", r.err());
            int drawn = mode.equals("rgb") ? 3 : 5;
            assertTrue(r.out().contains(drawn + " of 5 channels of 16x20, " + mode), r.out());
            BufferedImage img = ImageIO.read(png.toFile());
            // Maps of 16x20 are enlarged 7x (to 140 wide) or, for rgb, 13x (260 wide).
            int tileWidth = mode.equals("rgb") ? 260 : 140;
            assertTrue(img.getWidth() >= (mode.equals("rgb") ? 1 : 5) * tileWidth, mode + " width " + img.getWidth());
        }
    }

    @Test
    void userWeightBiasAndConvFlagsAreApplied() throws IOException {
        Path in = edgePicture();
        Path w = dir.resolve("w.npy");
        Path b = dir.resolve("b.npy");
        Npy.write(w, Tensor.randn(3, 6, 1, 3, 3));
        Npy.write(b, Tensor.randn(4, 6));
        Path png = dir.resolve("maps.png");
        Cli.Result r = Cli.run("visualize", "--image", in.toString(), "--weight", w.toString(), "--bias",
                b.toString(), "--stride", "2", "--padding", "1", "--dilation", "1", "--groups", "3",
                "--padding-mode", "reflect", "--backend", "cpu-reference", "--mode", "heatmap", "--channels", "0,2",
                "--output", png.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("2 of 6 channels of 8x10, heatmap"), r.out());
    }

    @Test
    void npyInputWithOneChannelWorks() throws IOException {
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.uniform(5, 0, 1, 12, 12));
        Path png = dir.resolve("x.png");
        Cli.Result r = Cli.run("visualize", "--image", x.toString(), "--output", png.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("5 of 5 channels of 10x10"), r.out());
    }

    @Test
    void badInputIsOneLineExitTwoAndNoFile() throws IOException {
        Path in = edgePicture();
        Path png = dir.resolve("never.png");
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "not a picture");
        String[][] bad = {
            {"--mode", "sepia"},
            {"--normalize", "global"},
            {"--channels", "0,7"},
            {"--channels", "a,b"},
            {"--mode", "rgb", "--channels", "0,1"},
            {"--stride", "0"},
            {"--padding", "same", "--stride", "2"},
            {"--padding-mode", "mirror"},
            {"--groups", "3"},
            {"--tile-size", "-4"},
            {"--backend", "no-such-backend"},
            {"--weight", dir.resolve("missing.npy").toString()},
            {"--weight", in.toString()},
            {"--dilation", "50"},
        };
        List<String> messages = new ArrayList<>();
        for (String[] extra : bad) {
            List<String> args = new ArrayList<>(List.of("visualize", "--image", in.toString()));
            args.addAll(List.of(extra));
            args.addAll(List.of("--output", png.toString()));
            messages.add(Cli.assertOneLineError(Cli.run(args.toArray(String[]::new)), 2));
            assertFalse(Files.exists(png), "no output for " + String.join(" ", extra));
        }
        assertEquals("unknown mode 'sepia', expected one of grayscale, heatmap, rgb", messages.get(0));
        assertEquals("channel 7 is out of range for an output with 5 channels (0..4)", messages.get(2));
        assertEquals("padding='same' is not supported for strided convolutions", messages.get(6));
        assertTrue(messages.get(11).contains("missing.npy: no such file or directory"), messages.get(11));
        Cli.assertOneLineError(Cli.run("visualize", "--image", text.toString(), "--output", png.toString()), 2);
        Cli.assertOneLineError(Cli.run("visualize", "--image", dir.resolve("nope.png").toString(),
                "--output", png.toString()), 2);
        Cli.assertOneLineError(Cli.run("visualize", "--image", in.toString(),
                "--output", dir.resolve("no/such/dir.png").toString()), 2);
    }

    @Test
    void failingRunLeavesAnExistingOutputUntouched() throws IOException {
        Path in = edgePicture();
        Path png = dir.resolve("keep.png");
        byte[] before = {1, 2, 3};
        Files.write(png, before);
        Cli.assertOneLineError(Cli.run("visualize", "--image", in.toString(), "--channels", "9",
                "--output", png.toString()), 2);
        assertArrayEquals(before, Files.readAllBytes(png));
    }
}
