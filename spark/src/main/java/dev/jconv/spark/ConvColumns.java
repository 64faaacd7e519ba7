package dev.jconv.spark;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Which columns hold a convolution's input and receive its output, checked against a schema in one place.
 *
 * <p>The input column is either a {@code binary} column of {@code .npy} files (float32 or float64,
 * {@code (C, H, W)} or {@code (1, C, H, W)}) or an {@code array<float>} / {@code array<double>} column of
 * row-major values whose shape is in {@code shapeCol} ({@code array<int>} or {@code array<bigint>}, again
 * {@code (C, H, W)} or {@code (1, C, H, W)}). Two columns are added: {@code outputCol}, {@code array<float>} of
 * the output values, and {@code outputShapeCol}, {@code array<int>} of its shape, of the same rank as the input's:
 * {@code (K, H_out, W_out)} or {@code (1, K, H_out, W_out)}. {@code idCol}, when set, names each row in error
 * messages (a file path, say).
 */
public record ConvColumns(String inputCol, String shapeCol, String outputCol, String outputShapeCol, String idCol)
        implements Serializable {

    /** The indices of the columns read, for one input schema. */
    record Resolved(int input, boolean npyBytes, int shape, int id) implements Serializable {}

    Resolved resolve(StructType schema) {
        int input = index(schema, inputCol, "input");
        DataType inputType = schema.fields()[input].dataType();
        boolean npyBytes = inputType instanceof BinaryType;
        int shape = -1;
        if (!npyBytes) {
            if (!(inputType instanceof ArrayType a
                    && (a.elementType() instanceof FloatType || a.elementType() instanceof DoubleType))) {
                throw new IllegalArgumentException("input column '" + inputCol + "' must be binary (.npy files) or "
                        + "array<float>/array<double> with a shape column, but it is " + inputType.simpleString());
            }
            shape = index(schema, shapeCol, "shape");
            DataType shapeType = schema.fields()[shape].dataType();
            if (!(shapeType instanceof ArrayType s
                    && (s.elementType() instanceof IntegerType || s.elementType() instanceof LongType))) {
                throw new IllegalArgumentException("shape column '" + shapeCol + "' must be array<int> or array<bigint>, "
                        + "but it is " + shapeType.simpleString());
            }
        }
        int id = idCol == null || idCol.isEmpty() ? -1 : index(schema, idCol, "id");
        for (String added : new String[] {outputCol, outputShapeCol}) {
            if (Arrays.asList(schema.fieldNames()).contains(added)) {
                throw new IllegalArgumentException("output column '" + added + "' already exists in " + schema.simpleString());
            }
        }
        return new Resolved(input, npyBytes, shape, id);
    }

    /** The input schema plus the two output columns. */
    StructType outputSchema(StructType schema) {
        resolve(schema);
        return schema
                .add(new StructField(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false), false,
                        Metadata.empty()))
                .add(new StructField(outputShapeCol, DataTypes.createArrayType(DataTypes.IntegerType, false), false,
                        Metadata.empty()));
    }

    private static int index(StructType schema, String column, String role) {
        if (column == null || !Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException(role + " column '" + column + "' is not in " + schema.simpleString());
        }
        return schema.fieldIndex(column);
    }
}
