package dev.jconv.spark;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.io.Npy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * The convolution as a plain {@code mapPartitions} function over rows, for Dataset users (the
 * {@link Conv2dTransformer} is this function behind Spark ML's API):
 *
 * <pre>{@code
 * Broadcast<ConvLayer> layer = jsc.broadcast(ConvLayer.of(weight, bias, params));
 * ConvPartitions conv = new ConvPartitions(layer, rows.schema(), columns, 32, "auto");
 * Dataset<Row> out = rows.mapPartitions(conv, Encoders.row(conv.outputSchema()));
 * }</pre>
 *
 * <p>Each task takes its device from {@link DeviceChoice} and its prepared layer from {@link ExecutorLayers}
 * (one per executor JVM). Rows are gathered by input shape into NCHW batches of up to {@code batchSize}
 * pictures; a batch runs when it is full, or when {@code 4 * batchSize} rows wait (then the fullest one runs),
 * or at the end of the partition. So rows come out grouped by shape, not in their input order. Every row's
 * shape is checked against the weight when it is read, and a bad row fails the task with a
 * {@link RowInputException} naming it.
 */
public final class ConvPartitions implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<ConvLayer> layer;
    private final ConvColumns.Resolved columns;
    private final StructType outputSchema;
    private final int batchSize;
    private final String backend;

    /**
     * @param layer the broadcast layer
     * @param inputSchema the schema of the rows this function will see
     * @param columns which columns to read and add
     * @param batchSize pictures per NCHW batch, at least 1
     * @param backend {@code auto} (the task's GPU, else the CPU) or a backend name
     */
    public ConvPartitions(Broadcast<ConvLayer> layer, StructType inputSchema, ConvColumns columns, int batchSize,
                          String backend) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, but got " + batchSize);
        }
        if (!Backends.AUTO.equals(backend)) {
            Backends.byName(backend);
        }
        this.layer = layer;
        this.columns = columns.resolve(inputSchema);
        this.outputSchema = columns.outputSchema(inputSchema);
        this.batchSize = batchSize;
        this.backend = backend;
    }

    /** The input schema plus the output and output-shape columns. */
    public StructType outputSchema() {
        return outputSchema;
    }

    /** {@code rows} with the output columns, through this function. */
    public Dataset<Row> apply(Dataset<Row> rows) {
        return rows.mapPartitions(this, Encoders.row(outputSchema));
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        DeviceChoice device = DeviceChoice.forCurrentTask(backend);
        ExecutorLayers.Layer prepared = ExecutorLayers.get(layer.id(), layer::value);
        return new Batches(rows, prepared, device);
    }

    /** One input row read and checked: its values, its (1, C, H, W) shape and the rank it came in. */
    private record Pending(Row row, float[] values, int[] shape, int rank) {}

    /** Reads rows, groups them by shape, runs full batches and hands out their rows. */
    private final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final ExecutorLayers.Layer prepared;
        private final DeviceChoice device;
        private final Map<List<Integer>, List<Pending>> waiting = new LinkedHashMap<>();
        private final Set<List<Integer>> checkedShapes = new HashSet<>();
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private int waitingCount;
        private long rowIndex;

        Batches(Iterator<Row> rows, ExecutorLayers.Layer prepared, DeviceChoice device) {
            this.rows = rows;
            this.prepared = prepared;
            this.device = device;
        }

        @Override
        public boolean hasNext() {
            while (ready.isEmpty() && (rows.hasNext() || waitingCount > 0)) {
                if (rows.hasNext()) {
                    Pending p = read(rows.next());
                    List<Integer> key = Arrays.stream(p.shape).boxed().toList();
                    List<Pending> group = waiting.computeIfAbsent(key, k -> new ArrayList<>());
                    group.add(p);
                    waitingCount++;
                    if (group.size() >= batchSize) {
                        run(key);
                    } else if (waitingCount >= 4 * batchSize) {
                        run(fullest());
                    }
                } else {
                    run(waiting.keySet().iterator().next());
                }
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private List<Integer> fullest() {
            return waiting.entrySet().stream().max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size()))
                    .orElseThrow().getKey();
        }

        private Pending read(Row row) {
            long index = rowIndex++;
            String name = columns.id() >= 0 ? String.valueOf(row.get(columns.id()))
                    : "row " + index + " of partition " + partitionId();
            Tensor t = columns.npyBytes() ? npy(row, name) : array(row, name);
            int[] s = t.shape();
            if (!(s.length == 3 || (s.length == 4 && s[0] == 1))) {
                throw new RowInputException(name, "expected one picture of shape (C, H, W) or (1, C, H, W), but got "
                        + "size " + Shapes.format(s));
            }
            int[] single = s.length == 3 ? new int[] {1, s[0], s[1], s[2]} : s;
            List<Integer> key = Arrays.stream(single).boxed().toList();
            if (!checkedShapes.contains(key)) {
                try {
                    prepared.check(single);
                    checkedShapes.add(key);
                } catch (IllegalArgumentException e) {
                    throw new RowInputException(name, e.getMessage(), e);
                }
            }
            return new Pending(row, t.data(), single, s.length);
        }

        private Tensor npy(Row row, String name) {
            byte[] bytes = (byte[]) row.get(columns.input());
            try {
                return Npy.read(new ByteArrayInputStream(bytes), name);
            } catch (IOException e) {
                throw new RowInputException(name, "cannot read the .npy bytes: " + e.getMessage(), e);
            }
        }

        private Tensor array(Row row, String name) {
            Object values = row.get(columns.input());
            Object shape = row.get(columns.shape());
            if (values == null || shape == null) {
                throw new RowInputException(name, "the input or its shape is null");
            }
            float[] data = RowArrays.floats(values);
            long[] sizes = RowArrays.longs(shape);
            int[] dims = new int[sizes.length];
            long count = 1;
            for (int i = 0; i < dims.length; i++) {
                if (sizes[i] < 0 || sizes[i] > Integer.MAX_VALUE) {
                    throw new RowInputException(name, "shape " + Arrays.toString(sizes) + " has an invalid size " + sizes[i]);
                }
                dims[i] = (int) sizes[i];
                count *= sizes[i];
            }
            if (count != data.length) {
                throw new RowInputException(name, "shape " + Shapes.format(dims) + " holds " + count
                        + " values, but the input has " + data.length);
            }
            return Tensor.of(data, dims);
        }

        private void run(List<Integer> key) {
            List<Pending> group = waiting.remove(key);
            waitingCount -= group.size();
            int[] single = group.get(0).shape;
            int per = single[1] * single[2] * single[3];
            float[] batch = new float[group.size() * per];
            for (int i = 0; i < group.size(); i++) {
                System.arraycopy(group.get(i).values, 0, batch, i * per, per);
            }
            Tensor out = prepared.forward(Tensor.of(batch, group.size(), single[1], single[2], single[3]), device);
            int[] o = out.shape();
            int outPer = o[1] * o[2] * o[3];
            for (int i = 0; i < group.size(); i++) {
                Pending p = group.get(i);
                float[] values = Arrays.copyOfRange(out.data(), i * outPer, (i + 1) * outPer);
                int[] shape = p.rank == 3 ? new int[] {o[1], o[2], o[3]} : new int[] {1, o[1], o[2], o[3]};
                Object[] fields = new Object[p.row.length() + 2];
                for (int f = 0; f < p.row.length(); f++) {
                    fields[f] = p.row.get(f);
                }
                fields[fields.length - 2] = values;
                fields[fields.length - 1] = shape;
                ready.add(RowFactory.create(fields));
            }
        }

        private String partitionId() {
            TaskContext task = TaskContext.get();
            return task == null ? "?" : Integer.toString(task.partitionId());
        }
    }
}
