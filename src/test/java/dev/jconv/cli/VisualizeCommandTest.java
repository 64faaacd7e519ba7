package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VisualizeCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = new CommandLine(new VisualizeCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private Path picture() throws IOException {
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
    void everyModeWritesAPngWithBuiltInFilters() throws IOException {
        Path in = picture();
        for (String mode : new String[] {"grayscale", "heatmap", "rgb"}) {
            Path png = dir.resolve(mode + ".png");
            assertEquals(0, run("--image", in.toString(), "--mode", mode, "--padding", "1", "-o", png.toString()),
                    err.toString());
            BufferedImage img = ImageIO.read(png.toFile());
            assertTrue(img.getWidth() > 160 && img.getHeight() > 128, mode + ": " + img.getWidth() + "x" + img.getHeight());
        }
        assertTrue(out.toString().contains("5 channels of 16x20"), out.toString());
        assertEquals("", err.toString());
    }

    @Test
    void userWeightBiasAndConvFlagsAreApplied() throws IOException {
        Path in = picture();
        Path w = dir.resolve("w.npy");
        Path b = dir.resolve("b.npy");
        Npy.write(w, Tensor.randn(3, 6, 1, 3, 3));
        Npy.write(b, Tensor.randn(4, 6));
        Path png = dir.resolve("maps.png");
        int rc = run("--image", in.toString(), "--weight", w.toString(), "--bias", b.toString(), "--stride", "2",
                "--padding", "1", "--dilation", "1", "--groups", "3", "--padding-mode", "reflect",
                "--backend", "cpu-reference", "--mode", "heatmap", "--channels", "0,2", "-o", png.toString());
        assertEquals(0, rc, err.toString());
        assertTrue(out.toString().contains("6 channels of 8x10"), out.toString());
    }

    @Test
    void errorsAreOneLineExitTwoAndNoFile() throws IOException {
        Path in = picture();
        Path png = dir.resolve("never.png");
        String[][] bad = {
            {"--mode", "sepia"},
            {"--channels", "0,7"},
            {"--channels", "a,b"},
            {"--stride", "0"},
            {"--padding", "same", "--stride", "2"},
            {"--padding-mode", "mirror"},
            {"--backend", "no-such-backend"},
            {"--weight", dir.resolve("missing.npy").toString()},
        };
        for (String[] extra : bad) {
            err.getBuffer().setLength(0);
            String[] args = new String[extra.length + 4];
            args[0] = "--image";
            args[1] = in.toString();
            System.arraycopy(extra, 0, args, 2, extra.length);
            args[extra.length + 2] = "-o";
            args[extra.length + 3] = png.toString();
            assertEquals(2, run(args), String.join(" ", extra));
            String e = err.toString();
            assertTrue(e.startsWith("error: ") && e.indexOf('\n') == e.length() - 1, "one line: " + e);
            assertFalse(Files.exists(png), "no output for " + String.join(" ", extra));
        }
    }
}
