package dev.jconv.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Conv2dTransformerTest {
    private static final StructType ARRAYS = new StructType()
            .add("id", DataTypes.StringType)
            .add("input", DataTypes.createArrayType(DataTypes.FloatType))
            .add("shape", DataTypes.createArrayType(DataTypes.IntegerType));

    private final SparkSession spark = SparkTests.session();
    private final long seed = System.nanoTime();

    @TempDir
    Path dir;

    /** Mixed shapes and ranks, more rows than a batch, so full, partial and mixed batches all run. */
    private static final int[][] SHAPES = {{3, 9, 7}, {1, 3, 9, 7}, {3, 5, 6}, {3, 9, 7}, {1, 3, 12, 4}, {3, 5, 6},
            {3, 9, 7}, {3, 9, 7}, {1, 3, 5, 6}, {3, 9, 7}, {3, 12, 4}};

    @Test
    void arrayColumnOutputsEqualTheLibrarysOnEachTensor() {
        ConvParams params = new ConvParams(2, 1, Padding.of(1, 2), 1, 2, 1, PaddingMode.REFLECT);
        ConvLayer layer = SparkTests.randomLayer(seed, 4, 3, 3, params, true);
        Map<String, Tensor> inputs = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            Tensor x = Tensor.uniform(seed + 10 + i, -1, 1, SHAPES[i]);
            inputs.put("t" + i, x);
            rows.add(RowFactory.create("t" + i, boxed(x.data()), x.shape()));
        }
        Dataset<Row> out = new Conv2dTransformer(layer).setIdCol("id").setBatchSize(2)
                .transform(spark.createDataFrame(rows, ARRAYS).repartition(2));

        List<Row> result = out.collectAsList();
        assertEquals(SHAPES.length, result.size());
        for (Row r : result) {
            String id = r.getAs("id");
            SparkTests.assertMatches(SparkTests.reference(inputs.get(id), layer), ints(r.getList(r.fieldIndex("output_shape"))),
                    floats(r.getList(r.fieldIndex("output"))), id + " (seed " + seed + ")");
        }
    }

    @Test
    void npyBytesColumnOutputsEqualTheLibrarysAndGroupedConvolutionsWork() throws IOException {
        ConvParams params = ConvParams.defaults().withPadding(Padding.SAME).withGroups(2);
        ConvLayer layer = SparkTests.randomLayer(seed, 6, 4, 3, params, false);
        StructType schema = new StructType().add("name", DataTypes.StringType).add("npy", DataTypes.BinaryType);
        Map<String, Tensor> inputs = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Tensor x = Tensor.uniform(seed + 20 + i, -1, 1, 4, 6 + i % 2, 5);
            Path file = dir.resolve("x" + i + ".npy");
            Npy.write(file, x);
            inputs.put("x" + i, x);
            rows.add(RowFactory.create("x" + i, Files.readAllBytes(file)));
        }
        List<Row> result = new Conv2dTransformer(layer).setInputCol("npy").setIdCol("name").setOutputCol("y")
                .setOutputShapeCol("y_shape").transform(spark.createDataFrame(rows, schema)).collectAsList();
        assertEquals(5, result.size());
        for (Row r : result) {
            String name = r.getAs("name");
            SparkTests.assertMatches(SparkTests.reference(inputs.get(name), layer), ints(r.getList(r.fieldIndex("y_shape"))),
                    floats(r.getList(r.fieldIndex("y"))), name + " (seed " + seed + ")");
        }
    }

    @Test
    void aChannelMismatchFailsTheJobNamingTheRow() {
        ConvLayer layer = SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults(), true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int channels = i == 2 ? 2 : 3;
            Tensor x = Tensor.uniform(seed + i, -1, 1, channels, 6, 6);
            rows.add(RowFactory.create("picture-" + i, boxed(x.data()), x.shape()));
        }
        Dataset<Row> out = new Conv2dTransformer(layer).setIdCol("id").transform(spark.createDataFrame(rows, ARRAYS));
        SparkException failure = assertThrows(SparkException.class, out::collectAsList);
        RowInputException cause = RowInputException.find(failure);
        assertNotNull(cause, () -> "no RowInputException in " + failure);
        assertEquals("picture-2: Given groups=1, weight of size [2, 3, 3, 3], expected input[1, 2, 6, 6] to have 3 "
                + "channels, but got 2 channels instead", cause.getMessage());
    }

    @Test
    void aShapeThatDoesNotHoldTheValuesFailsNamingTheRow() {
        ConvLayer layer = SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults(), true);
        List<Row> rows = List.of(RowFactory.create("short", boxed(new float[10]), new int[] {3, 4, 4}));
        Dataset<Row> out = new Conv2dTransformer(layer).setIdCol("id").transform(spark.createDataFrame(rows, ARRAYS));
        RowInputException cause = RowInputException.find(assertThrows(SparkException.class, out::collectAsList));
        assertNotNull(cause);
        assertEquals("short: shape [3, 4, 4] holds 48 values, but the input has 10", cause.getMessage());
    }

    @Test
    void schemaProblemsAreReportedBeforeAnyTaskRuns() {
        Conv2dTransformer conv = new Conv2dTransformer(SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults(), true));
        assertEquals("input column 'pixels' is not in struct<id:string,input:array<float>,shape:array<int>>",
                assertThrows(IllegalArgumentException.class, () -> conv.copy(new ParamMap())
                        .setInputCol("pixels").transformSchema(ARRAYS)).getMessage());
        StructType wrongType = new StructType().add("input", DataTypes.StringType);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> conv.transformSchema(wrongType)).getMessage()
                .startsWith("input column 'input' must be binary (.npy files) or array<float>/array<double>"));
        StructType taken = ARRAYS.add("output", DataTypes.StringType);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> conv.transformSchema(taken)).getMessage()
                .startsWith("output column 'output' already exists"));
        StructType out = conv.transformSchema(ARRAYS);
        assertEquals("array<float>", out.apply("output").dataType().simpleString());
        assertEquals("array<int>", out.apply("output_shape").dataType().simpleString());
        assertThrows(IllegalArgumentException.class, () -> conv.setBackend("tpu"));
        assertThrows(IllegalArgumentException.class, () -> conv.setBatchSize(0));
    }

    @Test
    void copyKeepsTheLayerAndTheParameters() {
        Conv2dTransformer conv = new Conv2dTransformer(SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults(), true))
                .setInputCol("pixels").setBatchSize(7);
        Conv2dTransformer copy = conv.copy(new ParamMap());
        assertEquals(conv.uid(), copy.uid());
        assertEquals(conv.layer(), copy.layer());
        assertEquals("pixels", copy.getOrDefault(copy.inputCol()));
        assertEquals(7, copy.getOrDefault(copy.batchSize()));
    }

    static Float[] boxed(float[] values) {
        Float[] b = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = values[i];
        }
        return b;
    }

    static int[] ints(List<Object> values) {
        return values.stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    static float[] floats(List<Object> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) values.get(i)).floatValue();
        }
        return f;
    }
}
