package dev.jconv.spark.bench;

import dev.jconv.ConvParams;
import dev.jconv.Functional;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.io.Npy;
import dev.jconv.io.Pictures;
import dev.jconv.spark.Conv2dTransformer;
import dev.jconv.spark.ConvLayer;
import dev.jconv.spark.ExampleJob;
import dev.jconv.spark.PictureDecoder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Pictures per second of the example job on {@code local[2]} against a plain loop in one JVM over the same
 * pictures, and where the difference goes. Not a test: run by benchmarks/spark_pictures_per_second.sh.
 *
 * <p>Plain loop: read the file, decode ({@link Pictures#decode}), {@code conv2d} (batch of one), write the
 * {@code .npy}; each phase timed. Spark: session start; then, on the same session, each timed as a whole job:
 * decode only; decode and convolve (rows passed to a no-op); decode, convolve and write a Parquet table with
 * the output as {@code array<float>}; the whole example job (table output as {@code .npy} bytes); the example
 * job on one picture (its fixed cost). Everything runs twice, so the JIT's warm-up shows as the first round's
 * excess.
 */
public final class PicturesPerSecond {
    public static void main(String[] args) throws IOException {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        Path work = Files.createTempDirectory("jconv-spark-bench-");
        Path pictures = Files.createDirectory(work.resolve("pictures"));
        SplittableRandom rng = new SplittableRandom(42);
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    image.setRGB(x, y, rng.nextInt(1 << 24));
                }
            }
            ImageIO.write(image, "png", pictures.resolve(String.format(Locale.ROOT, "p%04d.png", i)).toFile());
        }
        ConvLayer layer = ConvLayer.of(Tensor.uniform(1, -1, 1, 16, 3, 3, 3), Tensor.uniform(2, -1, 1, 16),
                ConvParams.defaults().withPadding(1));
        System.out.printf(Locale.ROOT, "%d PNG pictures %dx%d, conv 3->16 3x3 padding 1, %d cores, java %s%n", count, size,
                size, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        for (int round = 1; round <= 2; round++) {
            plainLoop(pictures, layer, work.resolve("plain" + round), round);
        }
        long start = System.nanoTime();
        SparkSession spark = SparkSession.builder().master("local[2]").appName("jconv bench")
                .config("spark.ui.enabled", false).getOrCreate();
        System.out.printf(Locale.ROOT, "spark: session start %.2f s%n", seconds(start));
        for (int round = 1; round <= 2; round++) {
            sparkJobs(spark, pictures, layer, work.resolve("spark" + round), round, count);
        }
        spark.stop();
        deleteTree(work);
    }

    private static void plainLoop(Path pictures, ConvLayer layer, Path out, int round) throws IOException {
        Files.createDirectory(out);
        List<Path> files;
        try (Stream<Path> s = Files.list(pictures)) {
            files = s.sorted().toList();
        }
        long read = 0;
        long decode = 0;
        long conv = 0;
        long write = 0;
        long start = System.nanoTime();
        for (Path file : files) {
            long t0 = System.nanoTime();
            byte[] bytes = Files.readAllBytes(file);
            long t1 = System.nanoTime();
            Tensor x = Pictures.decode(bytes, file.toString(), Pictures.DEFAULT_MAX_PIXELS);
            long t2 = System.nanoTime();
            Tensor y = Functional.conv2d(x, layer.weight(), layer.bias(), layer.params(), Backends.AUTO);
            long t3 = System.nanoTime();
            Npy.write(out.resolve(file.getFileName().toString().replace(".png", ".npy")), y);
            long t4 = System.nanoTime();
            read += t1 - t0;
            decode += t2 - t1;
            conv += t3 - t2;
            write += t4 - t3;
        }
        double total = seconds(start);
        System.out.printf(Locale.ROOT, "plain loop, round %d: %.1f pictures/s (%.2f s: read %.2f, decode %.2f, conv %.2f, "
                + "write .npy %.2f)%n", round, files.size() / total, total, read / 1e9, decode / 1e9, conv / 1e9, write / 1e9);
    }

    private static void sparkJobs(SparkSession spark, Path pictures, ConvLayer layer, Path out, int round, int count)
            throws IOException {
        Dataset<Row> files = spark.read().format("binaryFile").load(pictures.toString());
        long start = System.nanoTime();
        files.map(new PictureDecoder(), PictureDecoder.encoder()).foreach(row -> { });
        double decode = seconds(start);
        start = System.nanoTime();
        new Conv2dTransformer(layer).setInputCol(PictureDecoder.PIXELS).setShapeCol(PictureDecoder.SHAPE)
                .transform(files.map(new PictureDecoder(), PictureDecoder.encoder())).foreach(row -> { });
        double decodeConv = seconds(start);
        start = System.nanoTime();
        new Conv2dTransformer(layer).setInputCol(PictureDecoder.PIXELS).setShapeCol(PictureDecoder.SHAPE)
                .transform(files.map(new PictureDecoder(), PictureDecoder.encoder()))
                .select("path", "output_shape", "output").write().parquet(out + "-table-only");
        double decodeConvTable = seconds(start);
        start = System.nanoTime();
        ExampleJob.run(spark, pictures, layer, 32, Backends.AUTO, out);
        double job = seconds(start);
        Path one = Files.createDirectories(out.resolveSibling(out.getFileName() + "-one-picture"));
        try (Stream<Path> first = Files.list(pictures)) {
            Path picture = first.sorted().findFirst().orElseThrow();
            Files.copy(picture, one.resolve(picture.getFileName()));
        }
        start = System.nanoTime();
        ExampleJob.run(spark, one, layer, 32, Backends.AUTO, out.resolveSibling(out.getFileName() + "-one-out"));
        double fixed = seconds(start);
        System.out.printf(Locale.ROOT, "spark local[2], round %d: example job %.1f pictures/s (%.2f s); decode-only job "
                + "%.2f s, decode+conv job %.2f s, decode+conv+Parquet table of array<float> job %.2f s; example job on one "
                + "picture %.2f s%n", round, count / job, job, decode, decodeConv, decodeConvTable, fixed);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
