package dev.jconv.cli;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.PlanCache;
import dev.jconv.bench.NetworkBench;
import dev.jconv.io.AtomicWrite;
import dev.jconv.io.Npy;
import dev.jconv.io.NpyFormatException;
import dev.jconv.io.StateDictFormatException;
import dev.jconv.nn.ModelSpec;
import dev.jconv.nn.Sequential;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code jconv model}: a network from a spec file ({@link ModelSpec}) with a PyTorch {@code state_dict}
 * ({@code .safetensors} or {@code .npz}), run on a {@code .npy} input, or summarised for an input shape. As with
 * {@code jconv run}, everything is read and checked before computing (spec, weights with strict loading, input
 * shape through every layer) and the output is written atomically once complete.
 */
@Command(name = "model", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Runs a network (one module per line, PyTorch constructor syntax) with trained weights.",
                "With --input-shape instead of --input/--output: prints each layer's output shape and parameters."})
final class ModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--spec", required = true, paramLabel = "NET.txt",
            description = "the network: lines like 'conv1: Conv2d(3, 32, kernel_size=3, padding=1)'")
    Path specFile;

    @Option(names = "--weights", paramLabel = "W.safetensors|W.npz",
            description = "the state_dict, loaded strictly (PyTorch's key names)")
    Path weights;

    @Option(names = "--input", paramLabel = "X.npy", description = "the network's input, float32 or float64")
    Path input;

    @Option(names = "--output", paramLabel = "Y.npy", description = "where to write the float32 result (atomically)")
    Path output;

    @Option(names = "--input-shape", paramLabel = "N,C,H,W",
            description = "print the model summary for this input shape instead of running it")
    String inputShape;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = BackendDefault.VALUE,
            description = "auto or a backend name from 'jconv info' for the convolutions (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--explain", description = "print to stderr each step of the plan: fusions, backends, plans")
    boolean explain;

    @Option(names = "--bench", paramLabel = "SECONDS",
            description = "with --input-shape: time the network (fused, unfused) and each layer alone, interleaved, medians")
    Double benchSeconds;

    @Override
    public Integer call() throws IOException {
        if (!Backends.AUTO.equals(backend)) {
            Backends.byName(backend);
        }
        if (benchSeconds != null && (inputShape == null || benchSeconds <= 0)) {
            throw new ParameterException(spec.commandLine(), "--bench takes a positive number of seconds and needs"
                    + " --input-shape (it times the network on random input of that shape)");
        }
        if (inputShape == null && (weights == null || input == null || output == null)) {
            throw new ParameterException(spec.commandLine(),
                    "give --weights, --input and --output to run the network, or --input-shape for its summary");
        }
        if (inputShape == null) {
            AtomicWrite.checkWritable("--output", output);
        }
        Sequential model = ModelSpec.read(readable("--spec", specFile));
        model.setBackend(backend);
        if (weights != null) {
            try {
                model.loadStateDict(readable("--weights", weights));
            } catch (StateDictFormatException | NpyFormatException e) {
                throw e;  // names the file and the problem already
            } catch (IOException e) {
                throw new IOException("cannot read --weights " + weights + ": " + Failures.reason(e), e);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (inputShape != null) {
            int[] shape = parseShape(inputShape);
            printSummary(model, shape, out);
            if (explain) {
                explain(model, shape);
            }
            if (benchSeconds != null) {
                printBench(NetworkBench.measure(model, shape, Math.max(1.0, benchSeconds / 2), benchSeconds), out);
            }
            return 0;
        }
        Tensor x = RunCommand.readFile("--input", input);
        int[] outShape = model.outputShape(x.shape());  // every layer's shape error before any work
        if (explain) {
            explain(model, x.shape());
        }
        Tensor y = model.forward(x);
        try {
            Npy.write(output, y);
        } catch (IOException e) {
            throw new IOException("cannot write --output " + output + ": " + Failures.reason(e), e);
        }
        out.println("wrote " + output + ": float32 " + Shapes.format(outShape));
        return 0;
    }

    private void explain(Sequential model, int[] shape) {
        PrintWriter err = spec.commandLine().getErr();
        model.explain(shape).forEach(line -> err.println("explain: " + line));
        err.flush();
    }

    private static void printSummary(Sequential model, int[] shape, PrintWriter out) {
        var rows = model.summary(shape);
        String format = "%-28s %-20s %12s%n";
        out.printf(Locale.ROOT, format, "Layer (type)", "Output Shape", "Param #");
        out.println(String.format(Locale.ROOT, format, "input", Shapes.format(shape), "").stripTrailing());
        for (var r : rows) {
            out.printf(Locale.ROOT, format, r.name() + " (" + r.type() + ")", Shapes.format(r.outputShape()),
                    String.format(Locale.ROOT, "%,d", r.parameters()));
        }
        out.printf(Locale.ROOT, "Total params: %,d%n", model.parameterCount());
    }

    private static void printBench(NetworkBench.Result r, PrintWriter out) {
        for (int i = 0; i < r.layers().size(); i++) {
            out.printf(Locale.ROOT, "time: %-20s %10.4f ms alone%n", r.layers().get(i), r.layerMs()[i]);
        }
        out.printf(Locale.ROOT, "time: layers alone, sum   %10.4f ms%n", r.layerSumMs());
        out.printf(Locale.ROOT, "time: network, unfused    %10.4f ms%n", r.unfusedMs());
        out.printf(Locale.ROOT, "time: network, fused      %10.4f ms (%.2fx the sum of its layers alone; medians of %d"
                + " interleaved rounds)%n", r.fusedMs(), r.fusedMs() / r.layerSumMs(), r.rounds());
        if (r.planDrops() > 0) {
            out.printf(Locale.ROOT, "note: the plan cache dropped %d plans during the timed rounds to stay in its"
                    + " budget of %d MiB (the fused and the unfused network each keep plans of their own), so these"
                    + " times include planning and weight transforms again; JCONV_PLAN_CACHE_BYTES (bytes) raises"
                    + " the budget%n", r.planDrops(), PlanCache.budgetBytes() >> 20);
        }
    }

    private static int[] parseShape(String text) {
        String[] parts = text.trim().split("\\s*,\\s*");
        int[] shape = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                shape[i] = Integer.parseInt(parts[i]);
                if (shape[i] < 0) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--input-shape must be sizes separated by commas like 1,3,28,28, but got '"
                    + text + "'");
        }
        return shape;
    }

    private static Path readable(String option, Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("cannot read " + option + " " + file + ": it is a directory");
        }
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read " + option + " " + file + ": "
                    + (Files.exists(file) ? "permission denied" : "no such file or directory"));
        }
        return file;
    }
}
