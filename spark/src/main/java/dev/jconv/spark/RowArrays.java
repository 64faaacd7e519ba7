package dev.jconv.spark;

import java.util.List;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Reads an array field of a {@link org.apache.spark.sql.Row} as a primitive array. The value is a Scala
 * {@code Seq} when the row came through an encoder, but the primitive array itself when Spark removed the
 * serialize/deserialize pair between two typed operations (its optimizer does, for {@code Row} to {@code Row}),
 * so both are taken.
 */
final class RowArrays {
    private RowArrays() {}

    /** The values as float32 (float64 values are rounded, as {@code tensor.float()} would). */
    static float[] floats(Object field) {
        if (field instanceof float[] f) {
            return f;
        }
        if (field instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        List<?> values = list(field);
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) values.get(i)).floatValue();
        }
        return f;
    }

    /** Integer values (a shape), as longs so that a bigint column's out-of-range sizes can be reported. */
    static long[] longs(Object field) {
        if (field instanceof int[] ints) {
            long[] l = new long[ints.length];
            for (int i = 0; i < ints.length; i++) {
                l[i] = ints[i];
            }
            return l;
        }
        if (field instanceof long[] l) {
            return l;
        }
        List<?> values = list(field);
        long[] l = new long[values.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = ((Number) values.get(i)).longValue();
        }
        return l;
    }

    private static List<?> list(Object field) {
        if (field instanceof scala.collection.Seq<?> seq) {
            return CollectionConverters.asJava(seq);
        }
        if (field instanceof List<?> list) {
            return list;
        }
        if (field instanceof Object[] objects) {
            return List.of(objects);
        }
        throw new IllegalArgumentException("expected an array value, but got " + field.getClass().getName());
    }
}
