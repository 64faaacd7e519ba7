package dev.jconv.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.io.Npy;
import dev.jconv.io.Pictures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleJobTest {
    private final SparkSession spark = SparkTests.session();
    private final long seed = System.nanoTime();

    @TempDir
    Path dir;

    /** Random-pixel pictures of varied sizes and formats, {@code name -> file}. */
    private Path pictures(String... namesAndFormats) throws IOException {
        Path folder = Files.createDirectory(dir.resolve("pictures"));
        SplittableRandom rng = new SplittableRandom(seed);
        for (String file : namesAndFormats) {
            BufferedImage image = new BufferedImage(5 + rng.nextInt(20), 5 + rng.nextInt(20), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, rng.nextInt(1 << 24));
                }
            }
            String format = file.substring(file.lastIndexOf('.') + 1);
            assertTrue(ImageIO.write(image, format, folder.resolve(file).toFile()), format);
        }
        return folder;
    }

    @Test
    void eachPictureGetsTheLibrarysOutputAsNpyAndATableRow() throws IOException {
        Path folder = pictures("a.png", "b.jpg", "c.bmp", "d.png", "e.png");
        ConvParams params = new ConvParams(1, 2, Padding.of(1), 1, 1, 1, PaddingMode.REPLICATE);
        ConvLayer layer = SparkTests.randomLayer(seed, 5, 3, 3, params, true);
        Path out = dir.resolve("out");

        assertEquals(5, ExampleJob.run(spark, folder, layer, 2, Backends.AUTO, out));

        try (Stream<Path> files = Files.list(folder)) {
            for (Path picture : files.toList()) {
                String name = picture.getFileName().toString().replaceFirst("\\.[^.]*$", "");
                Tensor expected = SparkTests.reference(decode(picture), layer);
                Tensor written = Npy.read(out.resolve(name + ".npy"));
                SparkTests.assertMatches(expected, written.shape(), written.data(), picture + " (seed " + seed + ")");
            }
        }
        List<Row> table = spark.read().parquet(out.resolve("table").toString()).collectAsList();
        assertEquals(5, table.size());
        for (Row r : table) {
            Path picture = Path.of(r.getString(0));
            assertTrue(Files.isRegularFile(picture), picture::toString);
            Tensor expected = SparkTests.reference(decode(picture), layer);
            Tensor output = Npy.read(new ByteArrayInputStream(r.getAs("output")), "output of " + picture);
            assertArrayEquals(output.shape(), Conv2dTransformerTest.ints(r.getList(1)));
            SparkTests.assertMatches(expected, output.shape(), output.data(), "table row of " + picture);
        }
        assertTrue(Files.exists(out.resolve("table").resolve("_SUCCESS")));
        assertOnlyOutputIn(dir, "out", "pictures");
    }

    @Test
    void anUnreadablePictureFailsTheJobNamingTheFileAndWritesNothing() throws IOException {
        Path folder = pictures("a.png", "b.png", "c.png");
        Files.write(folder.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        ConvLayer layer = SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults(), true);
        Path out = dir.resolve("out");

        SparkException failure = assertThrows(SparkException.class,
                () -> ExampleJob.run(spark, folder, layer, 2, Backends.AUTO, out));

        RowInputException cause = RowInputException.find(failure);
        assertNotNull(cause, failure::toString);
        assertTrue(cause.getMessage().startsWith(folder.resolve("broken.png").toAbsolutePath() + ": "), cause.getMessage());
        assertOnlyOutputIn(dir, "pictures");
    }

    @Test
    void aChannelMismatchFailsTheJobNamingTheFileAndWritesNothing() throws IOException {
        Path folder = pictures("only.png");
        ConvLayer grayscaleLayer = SparkTests.randomLayer(seed, 2, 1, 3, ConvParams.defaults(), false);
        Path out = dir.resolve("out");

        SparkException failure = assertThrows(SparkException.class,
                () -> ExampleJob.run(spark, folder, grayscaleLayer, 2, Backends.AUTO, out));

        RowInputException cause = RowInputException.find(failure);
        assertNotNull(cause, failure::toString);
        String expectedStart = folder.resolve("only.png").toAbsolutePath() + ": Given groups=1, weight of size [2, 1, 3, 3], "
                + "expected input[1, 3, ";
        assertTrue(cause.getMessage().startsWith(expectedStart), cause.getMessage());
        assertTrue(cause.getMessage().endsWith("to have 1 channels, but got 3 channels instead"), cause.getMessage());
        assertOnlyOutputIn(dir, "pictures");
    }

    @Test
    void aPictureOverThePixelLimitFailsTheJobNamingTheFileBeforeDecoding() throws IOException {
        Path folder = pictures("big.png");
        ConvLayer layer = SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults(), true);
        SparkException failure = assertThrows(SparkException.class, () -> ExampleJob.run(spark, folder, layer,
                new PictureDecoder(24), 2, Backends.AUTO, dir.resolve("out")));
        RowInputException cause = RowInputException.find(failure);
        assertNotNull(cause, failure::toString);
        assertTrue(cause.getMessage().startsWith(folder.resolve("big.png").toAbsolutePath() + ": a "), cause.getMessage());
        assertTrue(cause.getMessage().endsWith("pixels, more than the limit of 24 (raise it with --max-pixels)"),
                cause.getMessage());
        assertOnlyOutputIn(dir, "pictures");
    }

    @Test
    void anExistingOutputOrTwoPicturesWithOneNameAreRefusedBeforeAnyWork() throws IOException {
        Path folder = pictures("a.png", "a.jpg");
        ConvLayer layer = SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults(), true);
        Path existing = Files.createDirectory(dir.resolve("existing"));
        assertEquals("--output " + existing + " already exists; give a new folder", assertThrows(IOException.class,
                () -> ExampleJob.run(spark, folder, layer, 2, Backends.AUTO, existing)).getMessage());
        IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
                () -> ExampleJob.run(spark, folder, layer, 2, Backends.AUTO, dir.resolve("out")));
        assertEquals("pictures " + folder.toAbsolutePath().resolve("a.jpg") + " and " + folder.toAbsolutePath().resolve("a.png")
                + " would both be written to a.npy; rename one", clash.getMessage());
        assertOnlyOutputIn(dir, "existing", "pictures");
    }

    @Test
    void theCommandLineReportsBadInputInOneLineWithStatus2() {
        assertEquals(ExampleJob.BAD_INPUT, ExampleJob.execute("--images", dir.toString(), "--weight",
                dir.resolve("missing.npy").toString(), "--output", dir.resolve("out").toString()));
        assertEquals(ExampleJob.BAD_INPUT, ExampleJob.execute("--images", dir.toString()));
        assertFalse(Files.exists(dir.resolve("out")));
    }

    private static Tensor decode(Path picture) throws IOException {
        Tensor chw = Pictures.read(picture);
        return chw.reshape(1, chw.size(0), chw.size(1), chw.size(2));
    }

    /** {@code parent} holds exactly these entries: no staging folder or partial output left behind. */
    private static void assertOnlyOutputIn(Path parent, String... expected) throws IOException {
        try (Stream<Path> entries = Files.list(parent)) {
            assertEquals(List.of(expected), entries.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
