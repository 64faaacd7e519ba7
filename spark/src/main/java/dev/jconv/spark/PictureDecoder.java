package dev.jconv.spark;

import dev.jconv.Tensor;
import dev.jconv.io.Pictures;
import java.io.IOException;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Decodes the rows of Spark's {@code binaryFile} source (path, modificationTime, length, content) into
 * convolution inputs: {@code (path, shape, pixels)} with the picture as {@code ./jconv visualize} reads it
 * ({@link Pictures}: as torchvision's {@code ToTensor}, stored values / 255; gray pictures one channel, color,
 * palette and alpha ones R, G, B), shape {@code (1, C, H, W)}. A file that is not a picture Java can read fails the task with a
 * {@link RowInputException} naming it.
 */
public final class PictureDecoder implements MapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    public static final String PATH = "path";
    public static final String SHAPE = "shape";
    public static final String PIXELS = "pixels";

    /** The decoded rows' schema: path string, shape array<int>, pixels array<float>. */
    public static final StructType SCHEMA = new StructType()
            .add(PATH, DataTypes.StringType, false)
            .add(SHAPE, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(PIXELS, DataTypes.createArrayType(DataTypes.FloatType, false), false);

    public static Encoder<Row> encoder() {
        return Encoders.row(SCHEMA);
    }

    private final long maxPixels;

    /** With PIL's default limit on pixels per picture, {@link Pictures#DEFAULT_MAX_PIXELS}. */
    public PictureDecoder() {
        this(Pictures.DEFAULT_MAX_PIXELS);
    }

    /** Refusing pictures of more than {@code maxPixels} pixels, checked from the header before decoding. */
    public PictureDecoder(long maxPixels) {
        this.maxPixels = maxPixels;
    }

    @Override
    public Row call(Row file) {
        String path = displayPath(file.getString(file.fieldIndex("path")));
        byte[] content = (byte[]) file.get(file.fieldIndex("content"));
        Tensor chw;
        try {
            chw = Pictures.decode(content, path, maxPixels);
        } catch (IOException | IllegalArgumentException e) {
            throw new RowInputException(e.getMessage(), e); // names the file already
        } catch (RuntimeException e) {
            throw new RowInputException(path, "cannot read the picture: " + e, e); // a decoder's failure on a damaged file
        }
        int[] shape = {1, chw.size(0), chw.size(1), chw.size(2)};
        return RowFactory.create(path, shape, chw.data());
    }

    /** A local file's path without Hadoop's {@code file:} scheme, so messages name it as the user wrote it. */
    static String displayPath(String hadoopPath) {
        return hadoopPath.startsWith("file:") ? hadoopPath.substring("file:".length()) : hadoopPath;
    }
}
