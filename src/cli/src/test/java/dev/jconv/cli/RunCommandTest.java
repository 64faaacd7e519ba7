package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.Options;
import dev.jconv.Functional;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.backend.Availability;
import dev.jconv.backend.BackendUnavailableException;
import dev.jconv.backend.Backends.Selection;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import dev.jconv.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

class RunCommandTest {

    @TempDir
    Path dir;

    // ---- results ----

    @Test
    void bundledExampleReproducesPyTorch() throws IOException {
        Path y = dir.resolve("y.npy");
        Cli.Result r = Cli.run("run", "--input", "src/examples/input.npy", "--weight", "src/examples/weight.npy",
                "--bias", "src/examples/bias.npy", "--padding", "1", "--output", y.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("wrote " + y + ": float32 [1, 4, 8, 8]\n", r.out());
        assertEquals("", r.err());
        assertClose(Npy.read(Path.of("src/examples/expected_output.npy")), Npy.read(y));
    }

    /** Each case: CLI options and the same parameters as {@link ConvParams}, input and weight shapes. */
    static Stream<Arguments> convolutions() {
        ConvParams d = ConvParams.defaults();
        return Stream.of(
                conv("plain, with bias", "", d, true, new int[] {2, 3, 9, 9}, new int[] {4, 3, 3, 3}),
                conv("no bias", "", d, false, new int[] {1, 3, 7, 6}, new int[] {5, 3, 2, 3}),
                conv("stride H,W", "--stride 2,1", d.withStride(2, 1), true, new int[] {1, 2, 11, 10},
                        new int[] {3, 2, 3, 3}),
                conv("padding H,W", "--padding 2,1", d.withPadding(Padding.of(2, 1)), true, new int[] {1, 2, 5, 7},
                        new int[] {3, 2, 3, 3}),
                conv("padding same, even kernel", "--padding same", d.withPadding(Padding.SAME), true,
                        new int[] {2, 3, 8, 7}, new int[] {2, 3, 4, 2}),
                conv("padding valid", "--padding valid", d.withPadding(Padding.VALID), true, new int[] {1, 3, 6, 6},
                        new int[] {2, 3, 3, 3}),
                conv("dilation H,W", "--dilation 2,3 --padding 1", d.withDilation(2, 3).withPadding(1), true,
                        new int[] {1, 2, 12, 13}, new int[] {3, 2, 3, 3}),
                conv("groups", "--groups 2", d.withGroups(2), true, new int[] {2, 4, 6, 6}, new int[] {6, 2, 3, 3}),
                conv("depthwise", "--groups 3 --padding 1", d.withGroups(3).withPadding(1), true,
                        new int[] {1, 3, 5, 5}, new int[] {3, 1, 3, 3}),
                conv("reflect", "--padding 2 --padding-mode reflect",
                        d.withPadding(2).withPaddingMode(PaddingMode.REFLECT), true, new int[] {1, 2, 6, 5},
                        new int[] {2, 2, 3, 3}),
                conv("replicate", "--padding 1,2 --padding-mode replicate",
                        d.withPadding(Padding.of(1, 2)).withPaddingMode(PaddingMode.REPLICATE), true,
                        new int[] {1, 2, 5, 6}, new int[] {2, 2, 3, 3}),
                conv("circular", "--padding 1 --stride 2 --padding-mode circular",
                        d.withPadding(1).withStride(2).withPaddingMode(PaddingMode.CIRCULAR), true,
                        new int[] {2, 2, 7, 6}, new int[] {3, 2, 3, 3}),
                conv("unbatched", "--padding 1", d.withPadding(1), true, new int[] {3, 6, 5}, new int[] {4, 3, 3, 3}),
                conv("empty batch", "", d, true, new int[] {0, 3, 6, 6}, new int[] {4, 3, 3, 3}),
                conv("named backend", "--backend cpu-reference", d, true, new int[] {1, 3, 5, 5},
                        new int[] {2, 3, 3, 3}));
    }

    private static Arguments conv(String name, String options, ConvParams params, boolean bias, int[] inputShape,
                                  int[] weightShape) {
        return Arguments.of(name, options, params, bias, inputShape, weightShape);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void matchesFunctional(String name, String options, ConvParams params, boolean bias, int[] inputShape,
                           int[] weightShape) throws IOException {
        Tensor x = Tensor.randn(11, inputShape);
        Tensor w = Tensor.randn(12, weightShape);
        Tensor b = bias ? Tensor.randn(13, weightShape[0]) : null;
        List<String> args = new ArrayList<>(List.of("run", "--input", save("x.npy", x).toString(),
                "--weight", save("w.npy", w).toString(), "--output", dir.resolve("y.npy").toString()));
        if (bias) {
            args.addAll(List.of("--bias", save("b.npy", b).toString()));
        }
        if (!options.isEmpty()) {
            args.addAll(List.of(options.split(" ")));
        }
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());

        Tensor expected = Functional.conv2d(x, w, b, params, "cpu-reference");
        Tensor actual = Npy.read(dir.resolve("y.npy"));
        assertArrayEquals(expected.shape(), actual.shape(), "output shape");
        assertTrue(expected.numel() > 0 || name.equals("empty batch"), "only the empty case may be empty");
        assertClose(expected, actual);
    }

    @Test
    void readsFloat64Files() throws IOException {
        Tensor x = Tensor.randn(1, 1, 2, 5, 5);
        Tensor w = Tensor.randn(2, 3, 2, 3, 3);
        Path xf = dir.resolve("x.npy");
        Npy.write(xf, x, Npy.Dtype.F8);
        Cli.Result r = Cli.run("run", "--input", xf.toString(), "--weight", save("w.npy", w).toString(),
                "--output", dir.resolve("y.npy").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertClose(Functional.conv2d(x, w), Npy.read(dir.resolve("y.npy")));
    }

    @Test
    void replacesAnExistingOutputOnSuccess() throws IOException {
        Path y = Files.writeString(dir.resolve("y.npy"), "old");
        Cli.Result r = Cli.run("run", "--input", save("x.npy", Tensor.randn(1, 1, 1, 4, 4)).toString(),
                "--weight", save("w.npy", Tensor.randn(2, 1, 1, 3, 3)).toString(), "--output", y.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertArrayEquals(new int[] {1, 1, 2, 2}, Npy.read(y).shape());
        assertNoTemporaryFiles();
    }

    @Test
    void explainSaysWhichBackendAndWhyOnStderr() throws IOException {
        Cli.Result r = Cli.run("run", "--input", save("x.npy", Tensor.randn(1, 1, 3, 6, 6)).toString(),
                "--weight", save("w.npy", Tensor.randn(2, 4, 3, 3, 3)).toString(), "--stride", "2", "--explain",
                "--output", dir.resolve("y.npy").toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.errLines();
        assertEquals(4, lines.size(), r.err());
        assertEquals("explain: conv2d input [1, 3, 6, 6] * weight [4, 3, 3, 3] -> output [1, 4, 2, 2]", lines.get(0));
        assertTrue(lines.get(1).startsWith("explain: stride (2, 2), padding top/bottom/left/right 0/0/0/0, "
                + "dilation (1, 1), groups 1, padding_mode zeros, "), lines.get(1));
        // which backend auto takes depends on the machine (a GPU, its driver): ask the selector itself
        ConvGeometry g = dev.jconv.ConvValidator.checkForward(new int[] {1, 3, 6, 6}, new int[] {4, 3, 3, 3}, null,
                ConvParams.defaults().withStride(2));
        Selection auto = dev.jconv.backend.Backends.select(Options.defaults().withSingleCall(true), g);
        assertEquals("explain: backend " + auto.backend().name() + ": " + auto.reason(), lines.get(2));
        assertEquals("explain: plan: " + auto.backend().plan(g).describe(), lines.get(3));
        assertTrue(r.out().startsWith("wrote "), "stdout keeps only the result line");
    }

    /** A run makes one call, so the cpu backend plans its plain loops, which need no JIT warm-up, and says so. */
    @Test
    void runPlansASingleCall() throws IOException {
        Cli.Result r = Cli.run("run", "--input", save("x.npy", Tensor.randn(1, 1, 16, 20, 20)).toString(),
                "--weight", save("w.npy", Tensor.randn(2, 32, 16, 3, 3)).toString(), "--backend", "cpu",
                "--explain", "--output", dir.resolve("y.npy").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("explain: plan: plain Java loops (a single call (one-shot run)"), r.err());
    }

    /** Without --backend, run takes the backend Options.defaults() reads (here the jconv.backend property). */
    @Test
    void theBackendDefaultsToTheConfiguredOne() throws IOException {
        String before = System.getProperty(Options.BACKEND_PROPERTY);
        System.setProperty(Options.BACKEND_PROPERTY, "cpu-reference");
        try {
            Cli.Result r = Cli.run("run", "--input", save("x.npy", Tensor.randn(1, 1, 3, 6, 6)).toString(),
                    "--weight", save("w.npy", Tensor.randn(2, 4, 3, 3, 3)).toString(), "--explain",
                    "--output", dir.resolve("y.npy").toString());
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.err().contains("explain: backend cpu-reference: requested by name"), r.err());
        } finally {
            if (before == null) {
                System.clearProperty(Options.BACKEND_PROPERTY);
            } else {
                System.setProperty(Options.BACKEND_PROPERTY, before);
            }
        }
    }

    @Test
    void explainNamesARequestedBackend() throws IOException {
        Cli.Result r = Cli.run("run", "--input", save("x.npy", Tensor.randn(1, 1, 3, 6, 6)).toString(),
                "--weight", save("w.npy", Tensor.randn(2, 4, 3, 3, 3)).toString(), "--backend", "cpu-reference",
                "--explain", "--output", dir.resolve("y.npy").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("explain: backend cpu-reference: requested by name\n"), r.err());
    }

    // ---- bad input: exit 2, one line, no output file, an existing output untouched ----

    /** A failing case: how to make its arguments in a directory holding good files, and the exact message. */
    record BadRun(String name, Function<Path, List<String>> args, Function<Path, String> message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<BadRun> badRuns() {
        return Stream.of(
                bad("missing input file", d -> run(d, "nope.npy", "w.npy", null),
                        d -> "cannot read --input " + d.resolve("nope.npy") + ": no such file or directory"),
                bad("input is a directory", d -> run(d, "sub", "w.npy", null),
                        d -> "cannot read --input " + d.resolve("sub") + ": it is a directory"),
                bad("not a .npy file", d -> run(d, "garbage.npy", "w.npy", null),
                        d -> d.resolve("garbage.npy") + ": not a .npy file (missing the \\x93NUMPY magic string)"),
                bad("truncated .npy file", d -> run(d, "truncated.npy", "w.npy", null),
                        d -> d.resolve("truncated.npy") + ": truncated: shape [1, 3, 8, 8] of <f4 needs 768 data "
                                + "bytes but the file holds 700"),
                bad("2-D input", d -> run(d, "x2d.npy", "w.npy", null),
                        d -> "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"),
                bad("channel mismatch", d -> run(d, "x1ch.npy", "w16.npy", null),
                        d -> "Given groups=1, weight of size [16, 3, 3, 3], expected input[1, 1, 28, 28] to have 3 "
                                + "channels, but got 1 channels instead"),
                bad("kernel larger than input", d -> run(d, "xsmall.npy", "w5.npy", null),
                        d -> "Calculated padded input size per channel: (2 x 2). Kernel size: (5 x 5). Kernel size "
                                + "can't be greater than actual input size"),
                bad("bias of the wrong size", d -> run(d, "x.npy", "w8.npy", "b7.npy"),
                        d -> "Given weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 8 elements, "
                                + "but got bias of size [7] instead"),
                bad("weight not divisible by groups", d -> run(d, "x.npy", "w4g.npy", null, "--groups", "3"),
                        d -> "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of "
                                + "size [4, 1, 3, 3] instead"),
                bad("padding string", d -> run(d, "x.npy", "w.npy", null, "--padding", "full"),
                        d -> "Invalid padding string 'full', should be one of {'same', 'valid'}"),
                bad("same with stride", d -> run(d, "x.npy", "w.npy", null, "--padding", "same", "--stride", "2"),
                        d -> "padding='same' is not supported for strided convolutions"),
                bad("padding mode", d -> run(d, "x.npy", "w.npy", null, "--padding-mode", "mirror"),
                        d -> "padding_mode must be one of {'circular', 'reflect', 'replicate', 'zeros'}, but got "
                                + "padding_mode='mirror'"),
                bad("reflect padding too large", d -> run(d, "x4.npy", "w11.npy", null, "--padding", "5",
                                "--padding-mode", "reflect"),
                        d -> "Argument #4: Padding size should be less than the corresponding input dimension, but "
                                + "got: padding (5, 5) at dimension 3 of input 4"),
                bad("zero stride", d -> run(d, "x.npy", "w.npy", null, "--stride", "0"),
                        d -> "non-positive stride is not supported"),
                bad("zero dilation", d -> run(d, "x.npy", "w.npy", null, "--dilation", "0"),
                        d -> "dilation should be greater than zero, but got [0, 0]"),
                bad("negative padding", d -> run(d, "x.npy", "w.npy", null, "--padding", "-1"),
                        d -> "negative padding is not supported"),
                bad("three strides", d -> run(d, "x.npy", "w.npy", null, "--stride", "2,1,3"),
                        d -> "stride must be an integer or a pair of integers like 2,1, but got '2,1,3'"),
                bad("groups not a number", d -> run(d, "x.npy", "w.npy", null, "--groups", "x"),
                        d -> "Invalid value for option '--groups': 'x' is not an int"),
                bad("zero-size kernel", d -> run(d, "x.npy", "w0.npy", null),
                        d -> "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 3"),
                bad("unknown backend", d -> run(d, "x.npy", "w.npy", null, "--backend", "tpu"),
                        d -> "unknown backend 'tpu', expected one of " + dev.jconv.backend.Backends.names()),
                bad("unknown option", d -> run(d, "x.npy", "w.npy", null, "--strid", "2"),
                        d -> "Unknown options: '--strid', '2' (did you mean: --stride?)"),
                bad("output directory missing", d -> runTo(d, d.resolve("missing").resolve("y.npy")),
                        d -> "cannot write --output " + d.resolve("missing").resolve("y.npy") + ": directory "
                                + d.resolve("missing") + " does not exist"),
                bad("output is a directory", d -> runTo(d, d.resolve("sub")),
                        d -> "cannot write --output " + d.resolve("sub") + ": it is a directory"));
    }

    private static BadRun bad(String name, Function<Path, List<String>> args, Function<Path, String> message) {
        return new BadRun(name, args, message);
    }

    private static List<String> run(Path d, String input, String weight, String bias, String... options) {
        List<String> a = new ArrayList<>(List.of("run", "--input", d.resolve(input).toString(),
                "--weight", d.resolve(weight).toString(), "--output", d.resolve("y.npy").toString()));
        if (bias != null) {
            a.addAll(List.of("--bias", d.resolve(bias).toString()));
        }
        a.addAll(Arrays.asList(options));
        return a;
    }

    private static List<String> runTo(Path d, Path output) {
        return List.of("run", "--input", d.resolve("x.npy").toString(), "--weight", d.resolve("w.npy").toString(),
                "--output", output.toString());
    }

    /** Good and bad input files every bad run can point at. */
    private void writeFiles() throws IOException {
        save("x.npy", Tensor.randn(1, 1, 3, 8, 8));
        save("w.npy", Tensor.randn(2, 4, 3, 3, 3));
        save("x2d.npy", Tensor.randn(3, 2, 3));
        save("x1ch.npy", Tensor.randn(4, 1, 1, 28, 28));
        save("w16.npy", Tensor.randn(5, 16, 3, 3, 3));
        save("xsmall.npy", Tensor.randn(6, 1, 3, 2, 2));
        save("w5.npy", Tensor.randn(7, 4, 3, 5, 5));
        save("w8.npy", Tensor.randn(8, 8, 3, 3, 3));
        save("b7.npy", Tensor.randn(9, 7));
        save("w4g.npy", Tensor.randn(10, 4, 1, 3, 3));
        save("x4.npy", Tensor.randn(11, 1, 3, 4, 4));
        save("w11.npy", Tensor.randn(12, 2, 3, 11, 11));
        save("w0.npy", Tensor.zeros(2, 3, 0, 3));
        Files.createDirectory(dir.resolve("sub"));
        Files.writeString(dir.resolve("garbage.npy"), "this is not an array\n");
        byte[] full = Files.readAllBytes(dir.resolve("x.npy"));
        Files.write(dir.resolve("truncated.npy"), Arrays.copyOf(full, full.length - 68));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRuns")
    void badRunIsOneLineExit2AndWritesNothing(BadRun bad) throws IOException {
        writeFiles();
        List<String> before = listing();
        String message = Cli.assertOneLineError(Cli.run(bad.args().apply(dir).toArray(String[]::new)), 2);
        assertEquals(bad.message().apply(dir), message);
        assertFalse(Files.exists(dir.resolve("y.npy")), "no output file");
        assertEquals(before, listing(), "nothing written, no temporary file left");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRuns")
    void badRunLeavesAnExistingOutputUntouched(BadRun bad) throws IOException {
        writeFiles();
        Path y = existingOutput();
        FileTime modified = Files.getLastModifiedTime(y);
        Cli.assertOneLineError(Cli.run(bad.args().apply(dir).toArray(String[]::new)), 2);
        assertEquals("previous result\n", Files.readString(y));
        assertEquals(modified, Files.getLastModifiedTime(y));
        assertNoTemporaryFiles();
    }

    // ---- a backend that fails part-way ----

    /** A backend whose plan writes half the output, then fails the way {@code failure} says. */
    private static BiFunction<Options, ConvGeometry, Selection> failingBackend(RuntimeException failure) {
        ConvBackend backend = new ConvBackend() {
            @Override
            public String name() {
                return "failing";
            }

            @Override
            public Availability availability() {
                return Availability.yes("test double");
            }

            @Override
            public ConvPlan plan(ConvGeometry g) {
                return new ConvPlan() {
                    @Override
                    public ConvGeometry geometry() {
                        return g;
                    }

                    @Override
                    public void forward(float[] in, float[] w, float[] bias, float[] out) {
                        Arrays.fill(out, 0, out.length / 2, Float.NaN);
                        throw failure;
                    }

                    @Override
                    public String describe() {
                        return "fails half-way";
                    }

                    @Override
                    public long retainedBytes() {
                        return 0;
                    }

                    @Override
                    public void close() {}
                };
            }
        };
        return (name, g) -> new Selection(backend, "test");
    }

    private Cli.Result runWithBackend(RuntimeException failure) throws IOException {
        writeFiles();
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand(new RunCommand(failingBackend(failure), () -> System.in));
        return Cli.run(cli, "run", "--input", dir.resolve("x.npy").toString(), "--weight",
                dir.resolve("w.npy").toString(), "--output", dir.resolve("y.npy").toString());
    }

    @Test
    void backendCrashIsAnInternalErrorWithExit1AndNoFile() throws IOException {
        String message = Cli.assertOneLineError(runWithBackend(new IllegalStateException("kernel exploded")), 1);
        assertEquals("internal error: java.lang.IllegalStateException: kernel exploded "
                + "(set JCONV_DEBUG=1 for the stack trace)", message);
        assertFalse(Files.exists(dir.resolve("y.npy")));
        assertNoTemporaryFiles();
    }

    @Test
    void backendCrashLeavesAnExistingOutputUntouched() throws IOException {
        Path y = existingOutput();
        Cli.assertOneLineError(runWithBackend(new IllegalStateException("kernel exploded")), 1);
        assertEquals("previous result\n", Files.readString(y));
    }

    @Test
    void backendThatTurnsOutUnavailableIsBadInput() throws IOException {
        String message = Cli.assertOneLineError(
                runWithBackend(new BackendUnavailableException("backend failing is unavailable: no device")), 2);
        assertEquals("backend failing is unavailable: no device", message);
        assertFalse(Files.exists(dir.resolve("y.npy")));
    }

    @Test
    void uncheckedIoFailureIsBadInput() throws IOException {
        String message = Cli.assertOneLineError(
                runWithBackend(new UncheckedIOException(new IOException("disk went away"))), 2);
        assertEquals("disk went away", message);
    }

    // ---- helpers ----

    private Path save(String name, Tensor t) throws IOException {
        Path f = dir.resolve(name);
        Npy.write(f, t);
        return f;
    }

    private Path existingOutput() throws IOException {
        Path y = Files.writeString(dir.resolve("y.npy"), "previous result\n", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(y, FileTime.fromMillis(1_000_000_000_000L));
        return y;
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void assertNoTemporaryFiles() throws IOException {
        assertTrue(listing().stream().noneMatch(n -> n.endsWith(".tmp")), () -> "temporary file left: " + dir);
    }

    /** The project's tolerance: max |out - ref| <= 1e-4 * max(1, max |ref|); NaN never passes. */
    static void assertClose(Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        float[] e = expected.data();
        float[] a = actual.data();
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < e.length; i++) {
            assertFalse(Float.isNaN(a[i]) || Float.isNaN(e[i]), "NaN at " + i);
            maxRef = Math.max(maxRef, Math.abs(e[i]));
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - e[i]));
        }
        double tolerance = 1e-4 * Math.max(1, maxRef);
        assertTrue(maxDiff <= tolerance, "max |out - ref| = " + maxDiff + " > " + tolerance);
    }
}
