package dev.jconv.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.cpu.ReferenceBackend;
import dev.jconv.io.Npy;
import dev.jconv.io.Pictures;
import dev.jconv.nn.ModelSpec;
import dev.jconv.nn.Sequential;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Networks from spec + state_dict through the same Spark machinery as one layer, against the library. */
class ConvNetworkTest {
    /**
     * The network fixtures the library's own tests use, written from real PyTorch by the engine's generator (tests
     * run in the repository root).
     */
    private static final Path NETWORKS = Path.of("src", "engine", "src", "test", "resources", "networks");
    private static final StructType ARRAYS = new StructType()
            .add("id", DataTypes.StringType)
            .add("input", DataTypes.createArrayType(DataTypes.FloatType))
            .add("shape", DataTypes.createArrayType(DataTypes.IntegerType));

    private final SparkSession spark = SparkTests.session();
    private final long seed = System.nanoTime();

    @TempDir
    Path dir;

    /** The library's network on the reference backend, loaded from the other weights file than Spark's. */
    private static Sequential library(String fixture, String weights) throws IOException {
        Sequential model = ModelSpec.read(NETWORKS.resolve(fixture).resolve("spec.txt"));
        model.loadStateDict(NETWORKS.resolve(fixture).resolve(weights));
        model.setBackend(ReferenceBackend.NAME);
        return model;
    }

    private static ConvNetwork network(String fixture, String weights) throws IOException {
        return ConvNetwork.read(NETWORKS.resolve(fixture).resolve("spec.txt"), NETWORKS.resolve(fixture).resolve(weights));
    }

    @Test
    void simpleCnnLogitsThroughSparkEqualTheLibrarysAndPyTorchsPerRow() throws IOException {
        Sequential library = library("simple_cnn", "weights.npz");
        Tensor pytorchInput = Npy.read(NETWORKS.resolve("simple_cnn/input.npy"));   // (2, 3, 28, 28)
        Tensor pytorchOutput = Npy.read(NETWORKS.resolve("simple_cnn/output.npy")); // (2, 10)
        Map<String, Tensor> inputs = new HashMap<>();
        Map<String, Tensor> expected = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        int per = 3 * 28 * 28;
        for (int i = 0; i < 2; i++) {  // PyTorch's two pictures as (1, C, H, W) rows: PyTorch's logits, (1, 10)
            Tensor x = Tensor.of(Arrays.copyOfRange(pytorchInput.data(), i * per, (i + 1) * per), 1, 3, 28, 28);
            inputs.put("torch" + i, x);
            expected.put("torch" + i, Tensor.of(Arrays.copyOfRange(pytorchOutput.data(), i * 10, (i + 1) * 10), 1, 10));
        }
        for (int i = 0; i < 3; i++) {  // fresh (C, H, W) rows: the library's logits, batch dimension dropped, (10)
            Tensor x = Tensor.uniform(seed + i, 0, 1, 3, 28, 28);
            inputs.put("fresh" + i, x);
            expected.put("fresh" + i, library.forward(x.reshape(1, 3, 28, 28)).reshape(10));
        }
        inputs.forEach((id, x) -> rows.add(RowFactory.create(id, Conv2dTransformerTest.boxed(x.data()), x.shape())));
        Dataset<Row> out = new Conv2dTransformer(network("simple_cnn", "weights.safetensors")).setIdCol("id")
                .setBatchSize(2).transform(spark.createDataFrame(rows, ARRAYS).repartition(2));

        List<Row> result = out.collectAsList();
        assertEquals(inputs.size(), result.size());
        for (Row r : result) {
            String id = r.getAs("id");
            SparkTests.assertMatches(expected.get(id), Conv2dTransformerTest.ints(r.getList(r.fieldIndex("output_shape"))),
                    Conv2dTransformerTest.floats(r.getList(r.fieldIndex("output"))), id + " (seed " + seed + ")");
        }
    }

    @Test
    void aConvBnReluPoolBlockRunsOnEachPictureOfTheExampleJob() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("pictures"));
        SplittableRandom rng = new SplittableRandom(seed);
        for (String name : new String[] {"a.png", "b.png", "c.png"}) {
            BufferedImage image = new BufferedImage(4 + rng.nextInt(12), 4 + rng.nextInt(12), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, rng.nextInt(1 << 24));
                }
            }
            assertTrue(ImageIO.write(image, "png", folder.resolve(name).toFile()));
        }
        Sequential library = library("conv_bn_relu_pool", "weights.safetensors");
        Path out = dir.resolve("out");

        assertEquals(3, ExampleJob.run(spark, folder, network("conv_bn_relu_pool", "weights.npz"), 2, Backends.AUTO, out));

        for (String name : new String[] {"a", "b", "c"}) {
            Tensor chw = Pictures.read(folder.resolve(name + ".png"));
            Tensor expected = library.forward(chw.reshape(1, chw.size(0), chw.size(1), chw.size(2)));
            Tensor written = Npy.read(out.resolve(name + ".npy"));
            SparkTests.assertMatches(expected, written.shape(), written.data(), name + ".png (seed " + seed + ")");
        }
    }

    @Test
    void aRowTheNetworkCannotTakeFailsTheJobNamingItInPyTorchsWords() throws IOException {
        List<Row> rows = List.of(RowFactory.create("small", Conv2dTransformerTest.boxed(new float[3 * 20 * 20]),
                new int[] {3, 20, 20}));
        Dataset<Row> out = new Conv2dTransformer(network("simple_cnn", "weights.safetensors")).setIdCol("id")
                .transform(spark.createDataFrame(rows, ARRAYS));
        RowInputException cause = RowInputException.find(assertThrows(SparkException.class, out::collectAsList));
        assertNotNull(cause);
        assertEquals("small: mat1 and mat2 shapes cannot be multiplied (1x1600 and 3136x10)", cause.getMessage());
    }

    @Test
    void aBadSpecLineOrAMissingKeyFailsBeforeAnyTaskNamingTheFile() throws IOException {
        Path spec = Files.writeString(dir.resolve("net.txt"), "conv1: Conv2d(1, 4, 3)\nrelu: ReLu()\n");
        Path weights = NETWORKS.resolve("load_errors/all.safetensors");
        IllegalArgumentException badLine = assertThrows(IllegalArgumentException.class, () -> ConvNetwork.read(spec, weights));
        assertTrue(badLine.getMessage().startsWith(spec + " line 2: "), badLine.getMessage());

        Path missing = NETWORKS.resolve("load_errors/missing.safetensors");
        IllegalArgumentException load = assertThrows(IllegalArgumentException.class,
                () -> ConvNetwork.read(NETWORKS.resolve("load_errors/spec.txt"), missing));
        assertEquals(missing + ": Error(s) in loading state_dict for TinyCNN:\n\tMissing key(s) in state_dict: "
                + "\"fc.weight\", \"fc.bias\". ", load.getMessage());

        Path images = Files.createDirectory(dir.resolve("pictures"));
        assertEquals(ExampleJob.BAD_INPUT, ExampleJob.execute("--images", images.toString(),
                "--spec", NETWORKS.resolve("load_errors/spec.txt").toString(), "--weights", missing.toString(),
                "--output", dir.resolve("out").toString()));
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void theCommandLineTakesExactlyOneOfTheTwoForms() {
        String spec = NETWORKS.resolve("simple_cnn/spec.txt").toString();
        String weights = NETWORKS.resolve("simple_cnn/weights.npz").toString();
        String out = dir.resolve("out").toString();
        String images = dir.toString();
        for (String[] args : new String[][] {
                {"--images", images, "--output", out},
                {"--images", images, "--spec", spec, "--output", out},
                {"--images", images, "--spec", spec, "--weights", weights, "--weight", weights, "--output", out},
                {"--images", images, "--spec", spec, "--weights", weights, "--padding", "1", "--output", out}}) {
            assertEquals(ExampleJob.BAD_INPUT, ExampleJob.execute(args), String.join(" ", args));
        }
        assertFalse(Files.exists(dir.resolve("out")));
    }
}
