package dev.jconv.cli;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvolutionPlan;
import dev.jconv.Options;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.Backends.Selection;
import dev.jconv.io.AtomicWrite;
import dev.jconv.io.Npy;
import dev.jconv.io.NpyFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jconv run}: {@code y = conv2d(x, w, b)} on {@code .npy} files. The order of work is what makes the
 * error promise hold: every option and file is checked and the output directory looked at before any
 * computing, and the output is written only once complete, atomically ({@link Npy#write}), so a failure at
 * any point leaves no output file and leaves an existing one untouched.
 */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Runs conv2d on .npy files: output = conv2d(input, weight, bias), as F.conv2d does.",
                "In channels, out channels and kernel size come from the weight's shape."})
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "X.npy",
            description = "input (N, C, H, W) or unbatched (C, H, W), float32 or float64; - reads stdin")
    Path input;

    @Option(names = "--weight", required = true, paramLabel = "W.npy",
            description = "weight (out_channels, in_channels / groups, kH, kW)")
    Path weight;

    @Option(names = "--bias", paramLabel = "B.npy", description = "bias (out_channels); none when left out")
    Path bias;

    @Mixin
    ConvOptions conv;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = BackendDefault.VALUE,
            description = "auto or a backend name from 'jconv info' (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--explain", description = "print to stderr which backend runs, why, and its plan")
    boolean explain;

    @Option(names = "--output", required = true, paramLabel = "Y.npy",
            description = "where to write the float32 result (written atomically; replaced if it exists)")
    Path output;

    /** The file name that means standard input, as in most Unix tools. */
    static final String STDIN = "-";

    private final BiFunction<Options, ConvGeometry, Selection> selector;
    private final Supplier<InputStream> standardInput;

    RunCommand() {
        this(Backends::select, () -> System.in);
    }

    /** With another backend selector (tests make a backend fail part-way) and standard input. */
    RunCommand(BiFunction<Options, ConvGeometry, Selection> selector, Supplier<InputStream> standardInput) {
        this.selector = selector;
        this.standardInput = standardInput;
    }

    @Override
    public Integer call() throws IOException {
        ConvParams params = conv.toParams();
        if (!Backends.AUTO.equals(backend)) {
            Backends.byName(backend); // an unknown name fails here, before any file is read
        }
        AtomicWrite.checkWritable("--output", output);
        if (Stream.of(input, weight, bias).filter(f -> f != null && STDIN.equals(f.toString())).count() > 1) {
            throw new IllegalArgumentException("only one of --input, --weight and --bias can be read from stdin (-)");
        }
        Tensor x = read("--input", input);
        Tensor w = read("--weight", weight);
        Tensor b = bias == null ? null : read("--bias", bias);

        // one call: the cpu backend takes the loops that are fast before the JIT compiles anything
        Options options = Options.defaults().withBackend(backend).withSingleCall(true);
        Tensor y;
        try (ConvolutionPlan plan = ConvolutionPlan.create(x.shape(), w.shape(), b == null ? null : b.shape(), params,
                options, g -> selector.apply(options, g))) {
            if (explain) {
                explain(plan);
            }
            y = plan.forward(x, w, b);
        }
        try {
            Npy.write(output, y);
        } catch (IOException e) {
            throw new IOException("cannot write --output " + output + ": " + Failures.reason(e), e);
        }
        // to stderr when the output is a stream such as /dev/stdout, so the message does not land in the data
        (AtomicWrite.writesThrough(output) ? spec.commandLine().getErr() : spec.commandLine().getOut())
                .println("wrote " + output + ": float32 " + Shapes.format(y.shape()));
        return 0;
    }

    private void explain(ConvolutionPlan plan) {
        var err = spec.commandLine().getErr();
        ConvGeometry g = plan.geometry();
        err.println("explain: conv2d input " + Shapes.format(g.inputShape()) + " * weight "
                + Shapes.format(g.weightShape()) + (plan.hasBias() ? " + bias [" + g.outChannels() + "]" : "")
                + " -> output " + Shapes.format(g.outputShape()));
        err.println("explain: stride " + Shapes.tuple(g.strideH(), g.strideW())
                + ", padding top/bottom/left/right " + g.padTop() + "/" + g.padBottom() + "/" + g.padLeft() + "/"
                + g.padRight() + ", dilation " + Shapes.tuple(g.dilationH(), g.dilationW()) + ", groups " + g.groups()
                + ", padding_mode " + g.paddingMode().pytorchName()
                + String.format(Locale.ROOT, ", %.4g MFLOP", g.flops() / 1e6));
        err.println("explain: backend " + plan.backend() + ": " + plan.selectionReason());
        err.println("explain: plan: " + plan.describe());
        err.flush();
    }

    private Tensor read(String option, Path file) throws IOException {
        if (STDIN.equals(file.toString())) {
            return Npy.read(standardInput.get(), "stdin (" + option + " -)");
        }
        return readFile(option, file);
    }

    /** A {@code .npy} file named by {@code option}, failing with one message naming the option and the file. */
    static Tensor readFile(String option, Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("cannot read " + option + " " + file + ": it is a directory");
        }
        try {
            return Npy.read(file);
        } catch (NpyFormatException e) {
            throw e; // names the file and the problem already
        } catch (IOException e) {
            throw new IOException("cannot read " + option + " " + file + ": " + Failures.reason(e), e);
        }
    }
}
