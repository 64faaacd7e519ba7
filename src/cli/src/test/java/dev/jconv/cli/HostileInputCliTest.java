package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.io.Npy;
import dev.jconv.testkit.PictureBombs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line under hostile parameters and output targets: exit 2 with one PyTorch-worded line where PyTorch
 * raises, exit 0 with PyTorch's result where it computes, and output paths that are devices or links handled by the
 * output-file rules (never replaced by a regular file).
 */
class HostileInputCliTest {
    @TempDir
    Path dir;
    private String x;
    private String w;

    @BeforeEach
    void files() throws IOException {
        x = dir.resolve("x.npy").toString();
        w = dir.resolve("w.npy").toString();
        Npy.write(Path.of(x), Tensor.randn(1, 1, 1, 10, 10));
        Npy.write(Path.of(w), Tensor.randn(2, 1, 1, 3, 3));
    }

    @Test
    void shapeWithADilationOfTwoToThe30IsAnErrorNotANegativeShape() {
        String m = Cli.assertOneLineError(Cli.run("shape", "--in-channels", "1", "--out-channels", "1", "--kernel-size",
                "3", "--input-shape", "1,1,10,10", "--dilation", "1073741824"), 2);
        assertEquals("Calculated padded input size per channel: (10 x 10). Kernel size: (2147483649 x 2147483649). "
                + "Kernel size can't be greater than actual input size", m);
    }

    @Test
    void shapeWithPaddingOneOnAHeightOfIntMaxIsComputed() {
        Cli.Result r = Cli.run("shape", "--in-channels", "1", "--out-channels", "1", "--kernel-size", "3,1",
                "--padding", "1,0", "--input-shape", "1,1,2147483647,1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Output shape: [1, 1, 2147483647, 1]"), r.out());
    }

    @Test
    void hugeDilationAndPaddingAreBadInputOnEveryCpuBackend() {
        for (String backend : new String[] {"cpu-reference", "cpu", "auto"}) {
            for (String[] option : new String[][] {{"--dilation", "2147483647"}, {"--padding", "2147483647"},
                {"--padding", "1,2147483647"}}) {
                Path out = dir.resolve("y.npy");
                String m = Cli.assertOneLineError(Cli.run("run", "--input", x, "--weight", w, "--backend", backend,
                        option[0], option[1], "--output", out.toString()), 2);
                assertTrue(m.startsWith("Calculated "), m);
                assertFalse(Files.exists(out));
            }
        }
    }

    @Test
    void aStrideOfOneHundredThousandComputesTheOneWindowOnCpu() throws IOException {
        Path out = dir.resolve("y.npy");
        Cli.Result r = Cli.run("run", "--input", x, "--weight", w, "--backend", "cpu", "--stride", "100000",
                "--output", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        Tensor y = Npy.read(out);
        assertArrayEquals(new int[] {1, 1, 1, 1}, y.shape());
        Tensor reference = dev.jconv.Functional.conv2d(Npy.read(Path.of(x)), Npy.read(Path.of(w)), null,
                dev.jconv.ConvParams.defaults().withStride(100000), "cpu-reference");
        assertEquals(reference.data()[0], y.data()[0], 1e-5f);
    }

    @Test
    void outputToDevNullWritesThroughAndLeavesTheDevice() {
        Path devNull = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(devNull) && !Files.isRegularFile(devNull), "no /dev/null here");
        Cli.Result r = Cli.run("run", "--input", x, "--weight", w, "--output", "/dev/null");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(Files.isRegularFile(devNull), "/dev/null must stay a device");
    }

    @Test
    void outputToAPipeBehindALinkIsExactlyTheNpyBytesAndTheMessageGoesToStderr() throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && mkfifo.exitValue() == 0);
        Path link = Files.createSymbolicLink(dir.resolve("stdout-like"), fifo); // as /dev/stdout -> /proc/self/fd/1
        java.util.concurrent.CompletableFuture<byte[]> reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Cli.Result r = Cli.run("run", "--input", x, "--weight", w, "--output", link.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("wrote " + link), r.err());
        Path copy = Files.write(dir.resolve("copy.npy"), reader.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertArrayEquals(new int[] {1, 1, 8, 8}, Npy.read(copy).shape());
        assertEquals(Files.size(copy), 128 + 4 * 64, "the .npy file and nothing after it");
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void outputThroughASymlinkReplacesItsTarget() throws IOException {
        Path target = dir.resolve("target.npy");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), target.getFileName());
        Cli.Result r = Cli.run("run", "--input", x, "--weight", w, "--output", link.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.isSymbolicLink(link));
        assertArrayEquals(new int[] {1, 1, 8, 8}, Npy.read(target).shape());
    }

    @Test
    void inputDashReadsStandardInput() throws IOException {
        byte[] npy = Files.readAllBytes(Path.of(x));
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand(new RunCommand(Backends::select, () -> new ByteArrayInputStream(npy)));
        Path out = dir.resolve("y.npy");
        Cli.Result r = Cli.run(cli, "run", "--input", "-", "--weight", w, "--output", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertArrayEquals(new int[] {1, 1, 8, 8}, Npy.read(out).shape());

        CommandLine empty = new CommandLine(new Main());
        empty.addSubcommand(new RunCommand(Backends::select, () -> new ByteArrayInputStream(new byte[0])));
        String m = Cli.assertOneLineError(Cli.run(empty, "run", "--input", "-", "--weight", w, "--output",
                out.toString()), 2);
        assertEquals("stdin (--input -): file is too short to be a .npy file (0 bytes)", m);
        String both = Cli.assertOneLineError(Cli.run("run", "--input", "-", "--weight", "-", "--output",
                out.toString()), 2);
        assertEquals("only one of --input, --weight and --bias can be read from stdin (-)", both);
    }

    @Test
    void visualizeRefusesAPictureBombAndAnUnknownOutputFormatAndWritesJpegForJpg() throws IOException {
        Path bomb = PictureBombs.png(dir.resolve("bomb.png"), 27000, 27000);
        Path out = dir.resolve("maps.png");
        String m = Cli.assertOneLineError(Cli.run("visualize", "--image", bomb.toString(), "--output", out.toString()), 2);
        assertTrue(m.endsWith("a 27000 x 27000 picture has 729000000 pixels, more than the limit of 89478485 "
                + "(raise it with --max-pixels)"), m);

        Path picture = dir.resolve("small.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(12, 10, java.awt.image.BufferedImage.TYPE_BYTE_GRAY),
                "png", picture.toFile());
        String gif = Cli.assertOneLineError(Cli.run("visualize", "--image", picture.toString(), "--output",
                dir.resolve("maps.gif").toString()), 2);
        assertTrue(gif.contains("must end in .png, .jpg or .jpeg"), gif);
        Path jpg = dir.resolve("maps.jpg");
        Cli.Result r = Cli.run("visualize", "--image", picture.toString(), "--output", jpg.toString());
        assertEquals(0, r.exitCode(), r.err());
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(jpg), 2);
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xd8}, head, "JPEG bytes under a .jpg name");
        assertTrue(r.out().contains(" JPEG, "), r.out());
    }
}
