package dev.jconv.spark;

import dev.jconv.ConvParams;
import dev.jconv.IntPair;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.backend.BackendUnavailableException;
import dev.jconv.backend.Backends;
import dev.jconv.io.AtomicWrite;
import dev.jconv.io.Npy;
import dev.jconv.io.Pictures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaSparkStatusTracker;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The example job: a folder of pictures through one convolution, or a network from a spec and its weights, on
 * Spark. It reads the folder with Spark's {@code binaryFile} source, decodes each picture as
 * {@code ./jconv visualize} does ({@link PictureDecoder}), runs the layer or network on the executors
 * ({@link Conv2dTransformer}) and writes {@code OUTPUT/<name>.npy}, float32 {@code (1, K, H_out, W_out)} per
 * picture (for a network, its output for a batch of one: {@code (1, 10)} after a {@code Linear(..., 10)}), and the Parquet table {@code OUTPUT/table} with columns
 * {@code path, shape, output} (output: the {@code .npy} bytes, see {@link #TABLE_SCHEMA}).
 *
 * <p>Nothing half-written: everything goes into a hidden folder beside {@code OUTPUT} (the table through
 * Spark's output committer, each {@code .npy} written atomically), which is renamed to {@code OUTPUT} only when
 * the whole job has succeeded and is deleted when it fails. {@code OUTPUT} must not exist yet, and must be on a
 * file system every executor sees (local mode, or a shared mount on a cluster).
 */
@Command(name = "run-example.sh", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convolves every picture of a folder on Spark (--weight [--bias] and conv options), or runs a network on",
                "it (--spec --weights): OUTPUT/<name>.npy per picture, (1, K, H_out, W_out) or the network's output,",
                "and the Parquet table OUTPUT/table (path, shape, output). Pictures are read as torchvision's ToTensor does."})
public final class ExampleJob implements Callable<Integer> {
    static final int BAD_INPUT = CommandLine.ExitCode.USAGE;
    static final int INTERNAL = CommandLine.ExitCode.SOFTWARE;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "the folder of pictures (PNG, JPEG, GIF, BMP)")
    Path images;

    @Option(names = "--weight", paramLabel = "W.npy", description = "weight (out_channels, in_channels / groups, kH, kW)")
    Path weight;

    @Option(names = "--bias", paramLabel = "B.npy", description = "bias (out_channels); none when left out")
    Path bias;

    @Option(names = "--spec", paramLabel = "NET.txt", description = "a network, one 'name: Module(args)' a line, as ./jconv model reads it")
    Path spec;

    @Option(names = "--weights", paramLabel = "W.safetensors|W.npz", description = "the network's state_dict, with --spec")
    Path weights;

    @Option(names = "--stride", paramLabel = "S|SH,SW", defaultValue = "1", description = "as in ./jconv run (default: ${DEFAULT-VALUE})")
    String stride;

    @Option(names = "--padding", paramLabel = "P|PH,PW|same|valid", defaultValue = "0", description = "as in ./jconv run (default: ${DEFAULT-VALUE})")
    String padding;

    @Option(names = "--dilation", paramLabel = "D|DH,DW", defaultValue = "1", description = "as in ./jconv run (default: ${DEFAULT-VALUE})")
    String dilation;

    @Option(names = "--groups", paramLabel = "G", defaultValue = "1", description = "as in ./jconv run (default: ${DEFAULT-VALUE})")
    int groups;

    @Option(names = "--padding-mode", paramLabel = "MODE", defaultValue = "zeros", description = "zeros, reflect, replicate or circular (default: ${DEFAULT-VALUE})")
    String paddingMode;

    @Option(names = "--master", paramLabel = "URL", defaultValue = "local[2]",
            description = "Spark master; ignored when spark-submit already set one (default: ${DEFAULT-VALUE})")
    String master;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32", description = "pictures per NCHW batch (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "" + Pictures.DEFAULT_MAX_PIXELS,
            description = "refuse pictures with more pixels, read from the header before decoding (default: ${DEFAULT-VALUE}, PIL's)")
    long maxPixels;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = Backends.AUTO,
            description = "auto (the task's GPU, else the CPU) or a jconv backend name (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--output", required = true, paramLabel = "OUTPUT", description = "the folder to create")
    Path output;

    @Spec
    CommandSpec command;

    /** Options of the single-layer form, which a network (--spec) does not take. */
    private static final List<String> LAYER_OPTIONS = List.of("--weight", "--bias", "--stride", "--padding",
            "--dilation", "--groups", "--padding-mode");

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status: 0, 2 for bad input, 1 for anything else. */
    static int execute(String... args) {
        CommandLine cli = new CommandLine(new ExampleJob());
        cli.setExecutionExceptionHandler((e, c, p) -> report(e));
        cli.setParameterExceptionHandler((e, a) -> report(e));
        return cli.execute(args);
    }

    @Override
    public Integer call() throws IOException {
        ConvModel model = model();
        if (!Files.isDirectory(images)) {
            throw new IOException("--images " + images + " is not a folder");
        }
        SparkSession.Builder builder = SparkSession.builder().appName("jconv example");
        if (!SparkSession.getActiveSession().isDefined() && !System.getProperties().containsKey("spark.master")) {
            builder.master(master).config("spark.ui.enabled", false); // run here, not under spark-submit: no web UI
        }
        SparkSession spark = builder.getOrCreate();
        try {
            long pictures = run(spark, images, model, new PictureDecoder(maxPixels), batchSize, backend, output);
            System.out.println("wrote " + pictures + " pictures to " + output + " (<name>.npy each, and the Parquet table "
                    + output.resolve(TABLE) + ")");
        } finally {
            spark.stop();
        }
        return 0;
    }

    /** The layer (--weight) or the network (--spec --weights): exactly one form, checked before any work. */
    private ConvModel model() throws IOException {
        CommandLine.ParseResult given = command.commandLine().getParseResult();
        List<String> layerOptions = LAYER_OPTIONS.stream().filter(given::hasMatchedOption).toList();
        if (spec == null && weights == null) {
            if (weight == null) {
                throw new CommandLine.ParameterException(command.commandLine(),
                        "give --weight W.npy [--bias B.npy] for one convolution, or --spec NET.txt --weights W.safetensors|W.npz for a network");
            }
            return ConvLayer.of(read("--weight", weight), bias == null ? null : read("--bias", bias), params());
        }
        if (!layerOptions.isEmpty()) {
            throw new CommandLine.ParameterException(command.commandLine(), "--spec/--weights (a network) cannot be "
                    + "combined with " + String.join(", ", layerOptions) + " (one convolution); give one form");
        }
        if (spec == null || weights == null) {
            throw new CommandLine.ParameterException(command.commandLine(), "a network needs both --spec and --weights");
        }
        return ConvNetwork.read(readable("--spec", spec), readable("--weights", weights));
    }

    private static Path readable(String option, Path file) throws IOException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IOException("cannot read " + option + " " + file + ": no such readable file");
        }
        return file;
    }

    private ConvParams params() {
        int[] s = IntPair.parse(stride, "stride");
        int[] d = IntPair.parse(dilation, "dilation");
        return new ConvParams(s[0], s[1], Padding.parse(padding), d[0], d[1], groups, PaddingMode.parse(paddingMode));
    }

    private static Tensor read(String option, Path file) throws IOException {
        try {
            return Npy.read(file);
        } catch (IOException e) {
            throw new IOException("cannot read " + option + " " + file + ": " + e.getMessage(), e);
        }
    }

    static final String TABLE = "table";
    private static final String OUTPUT = "output";
    private static final String OUTPUT_SHAPE = "output_shape";

    /**
     * The table's schema: path, the output's shape, and the output as the bytes of its float32 {@code .npy} file
     * (the same bytes as {@code <name>.npy}; {@code numpy.load(io.BytesIO(output))} reads them, and a
     * {@link Conv2dTransformer} takes them as input). Binary rather than {@code array<float>}: Parquet writes a
     * repeated float column value by value, which made the table write 6 to 7 times the cost of the rest of the
     * job (benchmarks/results).
     */
    static final StructType TABLE_SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(OUTPUT, DataTypes.BinaryType, false);

    /**
     * The job on a given session: runs the layer or network on every file of {@code images} and publishes
     * {@code output} whole, or leaves nothing. Returns the number of pictures.
     */
    public static long run(SparkSession spark, Path images, ConvModel model, int batchSize, String backend, Path output)
            throws IOException {
        return run(spark, images, model, new PictureDecoder(), batchSize, backend, output);
    }

    /** {@link #run(SparkSession, Path, ConvModel, int, String, Path)} with a given picture decoder (its pixel limit). */
    public static long run(SparkSession spark, Path images, ConvModel model, PictureDecoder decoder, int batchSize,
                           String backend, Path output) throws IOException {
        Path target = output.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new IOException("--output " + output + " already exists; give a new folder");
        }
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IOException("cannot write --output " + output + ": folder " + parent + " does not exist");
        }
        Dataset<Row> files = spark.read().format("binaryFile").load(images.toAbsolutePath().toString());
        checkNames(files, images);
        String run = UUID.randomUUID().toString();
        Path staging = parent.resolve("." + target.getFileName() + ".in-progress-" + run);
        Files.createDirectory(staging);
        SparkContext context = spark.sparkContext();
        String[] callersGroup = new String[JOB_GROUP_PROPERTIES.length];
        for (int i = 0; i < callersGroup.length; i++) {
            callersGroup[i] = context.getLocalProperty(JOB_GROUP_PROPERTIES[i]);
        }
        String group = "jconv-example-" + run;
        context.setJobGroup(group, "jconv example job into " + target, true);
        try {
            Dataset<Row> decoded = files.map(decoder, PictureDecoder.encoder());
            Dataset<Row> convolved = new Conv2dTransformer(model)
                    .setInputCol(PictureDecoder.PIXELS).setShapeCol(PictureDecoder.SHAPE).setIdCol(PictureDecoder.PATH)
                    .setOutputCol(OUTPUT).setOutputShapeCol(OUTPUT_SHAPE).setBatchSize(batchSize).setBackend(backend)
                    .transform(decoded);
            StructType schema = convolved.schema();
            NpyFiles npyFiles = new NpyFiles(staging.toString(), schema.fieldIndex(PictureDecoder.PATH),
                    schema.fieldIndex(OUTPUT_SHAPE), schema.fieldIndex(OUTPUT));
            convolved.mapPartitions(npyFiles, Encoders.row(TABLE_SCHEMA))
                    .write().parquet(staging.resolve(TABLE).toString());
            long pictures;
            try (Stream<Path> written = Files.list(staging)) {
                pictures = written.filter(p -> p.getFileName().toString().endsWith(".npy")).count();
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return pictures;
        } finally {
            for (int i = 0; i < callersGroup.length; i++) {
                context.setLocalProperty(JOB_GROUP_PROPERTIES[i], callersGroup[i]);
            }
            awaitTasksOf(context, group);
            deleteTree(staging);
        }
    }

    /** The thread-local properties {@link SparkContext#setJobGroup} sets, restored to the caller's after a run. */
    private static final String[] JOB_GROUP_PROPERTIES = {
        "spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"};
    /** How long {@link #awaitTasksOf} waits at most. */
    private static final long TASKS_GONE_NANOS = 30_000_000_000L;

    /**
     * Cancels what is left of {@code group}'s jobs and waits until none of their tasks runs (at most 30 s). When a
     * task fails, Spark fails the job at once and kills its other tasks asynchronously; one still writing could
     * create the staging folder's files again after the failure deleted them (seen once in ExampleJobTest: a
     * {@code .out.in-progress-*} folder left behind by a late parquet task).
     */
    private static void awaitTasksOf(SparkContext context, String group) {
        context.cancelJobGroup(group);
        JavaSparkStatusTracker tracker = JavaSparkContext.fromSparkContext(context).statusTracker();
        for (long end = System.nanoTime() + TASKS_GONE_NANOS; System.nanoTime() < end; ) {
            boolean running = false;
            for (int job : tracker.getJobIdsForGroup(group)) {
                SparkJobInfo info = tracker.getJobInfo(job);
                for (int stage : info == null ? new int[0] : info.stageIds()) {
                    SparkStageInfo s = tracker.getStageInfo(stage);
                    running |= s != null && s.numActiveTasks() > 0;
                }
            }
            if (!running) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Fails before any work when the folder is empty or two pictures would write the same {@code <name>.npy}. */
    private static void checkNames(Dataset<Row> files, Path images) {
        Dataset<Row> names = files.select(functions.col("path"),
                functions.regexp_extract(functions.col("path"), "([^/]*?)(\\.[^./]*)?$", 1).as("name"));
        List<Row> clashes = names.groupBy("name").agg(functions.count("path").as("n"),
                        functions.sort_array(functions.collect_list("path")).as("paths"))
                .where(functions.col("n").gt(1)).limit(1).collectAsList();
        if (!clashes.isEmpty()) {
            List<Object> paths = clashes.get(0).getList(2);
            throw new IllegalArgumentException("pictures " + PictureDecoder.displayPath(paths.get(0).toString()) + " and "
                    + PictureDecoder.displayPath(paths.get(1).toString()) + " would both be written to "
                    + clashes.get(0).getString(0) + ".npy; rename one");
        }
        if (files.select("path").limit(1).collectAsList().isEmpty()) {
            throw new IllegalArgumentException("--images " + images + " holds no files");
        }
    }

    /**
     * Writes each row's output as {@code <dir>/<name>.npy} (atomically) and passes on its table row. Fields are
     * read by position: the rows may be the previous step's own, without a schema.
     */
    private record NpyFiles(String dir, int pathField, int shapeField, int outputField) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row r = rows.next();
                    String path = r.getString(pathField);
                    int[] shape = Arrays.stream(RowArrays.longs(r.get(shapeField))).mapToInt(Math::toIntExact).toArray();
                    float[] values = RowArrays.floats(r.get(outputField));
                    String name = new org.apache.hadoop.fs.Path(path).getName().replaceFirst("\\.[^.]*$", "");
                    byte[] npy = Npy.toBytes(Tensor.of(values, shape));
                    try {
                        AtomicWrite.write(Path.of(dir, name + ".npy"), out -> out.write(npy));
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot write " + name + ".npy for " + path + ": " + e.getMessage(), e);
                    }
                    return RowFactory.create(path, shape, npy);
                }
            };
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** One line on stderr, {@code error: ...}; exit status 2 for what the user can fix, 1 otherwise. */
    private static int report(Throwable failure) {
        RowInputException row = RowInputException.find(failure);
        Throwable shown = row != null ? row : failure;
        boolean badInput = row != null || shown instanceof IllegalArgumentException || shown instanceof IOException
                || shown instanceof BackendUnavailableException || shown instanceof CommandLine.ParameterException;
        String message = shown.getMessage() == null ? shown.toString() : shown.getMessage();
        // bad input: the whole message on one line (PyTorch's load errors span several); else its first line only
        String line = badInput ? message.replaceAll("\\s*\\R\\s*", " ").trim()
                : "internal error: " + message.lines().findFirst().orElse("");
        System.err.println("error: " + line);
        System.err.flush();
        return badInput ? BAD_INPUT : INTERNAL;
    }
}
