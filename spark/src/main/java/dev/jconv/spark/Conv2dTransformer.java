package dev.jconv.spark;

import dev.jconv.Conv2d;
import dev.jconv.backend.Backends;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that applies one convolution layer ({@code torch.nn.Conv2d} semantics) to a
 * column of tensors and adds the output column and its shape, as {@link ConvColumns} describes:
 *
 * <pre>{@code
 * Conv2dTransformer conv = new Conv2dTransformer(ConvLayer.of(weight, bias, params))
 *         .setInputCol("pixels").setShapeCol("shape").setIdCol("path").setBatchSize(32);
 * Dataset<Row> out = conv.transform(pictures);   // + output: array<float>, output_shape: array<int>
 * }</pre>
 *
 * <p>Each {@link #transform} broadcasts the weights once; the rows run through {@link ConvPartitions}, so the
 * executors batch them by shape, keep one prepared layer per JVM and use the task's GPU when Spark assigned one.
 * The output rows are grouped by input shape, not in input order.
 */
public final class Conv2dTransformer extends Transformer {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final ConvLayer layer;
    private final Param<String> inputCol;
    private final Param<String> shapeCol;
    private final Param<String> outputCol;
    private final Param<String> outputShapeCol;
    private final Param<String> idCol;
    private final IntParam batchSize;
    private final Param<String> backend;

    public Conv2dTransformer(ConvLayer layer) {
        this(Identifiable$.MODULE$.randomUID("jconvConv2d"), layer);
    }

    /** The current weights, bias and parameters of {@code conv}. */
    public Conv2dTransformer(Conv2d conv) {
        this(ConvLayer.of(conv));
    }

    private Conv2dTransformer(String uid, ConvLayer layer) {
        this.uid = uid;
        this.layer = layer;
        inputCol = new Param<>(this, "inputCol", "the input tensors: binary .npy files, or array<float>/array<double>");
        shapeCol = new Param<>(this, "shapeCol", "the shape of each array input, (C, H, W) or (1, C, H, W)");
        outputCol = new Param<>(this, "outputCol", "the output values added, array<float>");
        outputShapeCol = new Param<>(this, "outputShapeCol", "the output shape added, array<int>");
        idCol = new Param<>(this, "idCol", "a column that names each row in error messages (empty: none)");
        batchSize = new IntParam(this, "batchSize", "pictures per NCHW batch on the executors (>= 1)",
                ParamValidators.gtEq(1));
        backend = new Param<>(this, "backend", "auto (the task's GPU, else the CPU) or a jconv backend name");
        setDefault(inputCol, "input");
        setDefault(shapeCol, "shape");
        setDefault(outputCol, "output");
        setDefault(outputShapeCol, "output_shape");
        setDefault(idCol, "");
        setDefault(batchSize, 32);
        setDefault(backend, Backends.AUTO);
    }

    @Override
    public String uid() {
        return uid;
    }

    public ConvLayer layer() {
        return layer;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> shapeCol() {
        return shapeCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> outputShapeCol() {
        return outputShapeCol;
    }

    public Param<String> idCol() {
        return idCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public Param<String> backend() {
        return backend;
    }

    public Conv2dTransformer setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    public Conv2dTransformer setShapeCol(String value) {
        set(shapeCol, value);
        return this;
    }

    public Conv2dTransformer setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    public Conv2dTransformer setOutputShapeCol(String value) {
        set(outputShapeCol, value);
        return this;
    }

    public Conv2dTransformer setIdCol(String value) {
        set(idCol, value);
        return this;
    }

    public Conv2dTransformer setBatchSize(int value) {
        set(batchSize, value);
        return this;
    }

    /** {@code auto} or a backend name; an unknown name is rejected here. */
    public Conv2dTransformer setBackend(String value) {
        if (!Backends.AUTO.equals(value)) {
            Backends.byName(value);
        }
        set(backend, value);
        return this;
    }

    private ConvColumns columns() {
        return new ConvColumns(getOrDefault(inputCol), getOrDefault(shapeCol), getOrDefault(outputCol),
                getOrDefault(outputShapeCol), getOrDefault(idCol));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        Dataset<Row> rows = dataset.toDF();
        transformSchema(rows.schema());
        Broadcast<ConvLayer> weights = JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext())
                .broadcast(layer);
        return new ConvPartitions(weights, rows.schema(), columns(), (Integer) getOrDefault(batchSize),
                getOrDefault(backend)).apply(rows);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return columns().outputSchema(schema);
    }

    @Override
    public Conv2dTransformer copy(ParamMap extra) {
        return copyValues(new Conv2dTransformer(uid, layer), extra);
    }
}
