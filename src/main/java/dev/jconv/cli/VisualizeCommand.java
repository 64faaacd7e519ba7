package dev.jconv.cli;

import dev.jconv.ConvParams;
import dev.jconv.IntPair;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Tensor;
import dev.jconv.backend.BackendUnavailableException;
import dev.jconv.backend.Backends;
import dev.jconv.io.Npy;
import dev.jconv.viz.FeatureMapRenderer;
import dev.jconv.viz.FeatureMaps;
import dev.jconv.viz.ImageInput;
import dev.jconv.viz.Normalization;
import dev.jconv.viz.PngOutput;
import dev.jconv.viz.RenderMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jconv visualize}: convolves a picture and draws the output channels as pictures. Errors print one line
 * {@code error: <message>} on stderr and exit with status 2, leaving no output file.
 */
@Command(name = "visualize", mixinStandardHelpOptions = true,
        description = {
            "Convolve a picture (PNG/JPEG, read as a (1, 3, H, W) tensor in [0, 1]) or a .npy array and draw the "
                    + "output channels: a grid of grayscale maps, viridis heatmaps with colorbars, or a false-color "
                    + "composite of three channels.",
            "Without --weight, five classic 3x3 filters (Sobel x and y, Laplacian, box blur, sharpen) are applied to "
                    + "the luminance, so edges show at once. How values were scaled is written on the picture."},
        sortOptions = false)
public final class VisualizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"--image", "--input", "-i"}, required = true, paramLabel = "FILE",
            description = "Input picture (PNG, JPEG, GIF, BMP) or .npy array (H, W), (C, H, W) or (1, C, H, W).")
    Path image;

    @Option(names = {"--weight", "-w"}, paramLabel = "FILE",
            description = "Weight .npy (K, C/groups, kH, kW). Default: the built-in classic filters.")
    Path weight;

    @Option(names = {"--bias", "-b"}, paramLabel = "FILE", description = "Bias .npy (K); needs --weight.")
    Path bias;

    @Option(names = "--stride", defaultValue = "1", paramLabel = "S|SH,SW", description = "Stride (default ${DEFAULT-VALUE}).")
    String stride;

    @Option(names = "--padding", defaultValue = "0", paramLabel = "P|PH,PW|same|valid",
            description = "Padding (default ${DEFAULT-VALUE}).")
    String padding;

    @Option(names = "--dilation", defaultValue = "1", paramLabel = "D|DH,DW", description = "Dilation (default ${DEFAULT-VALUE}).")
    String dilation;

    @Option(names = "--groups", defaultValue = "1", paramLabel = "G", description = "Groups (default ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--padding-mode", defaultValue = "zeros", paramLabel = "MODE",
            description = "zeros, reflect, replicate or circular (default ${DEFAULT-VALUE}).")
    String paddingMode;

    @Option(names = "--backend", defaultValue = Backends.AUTO, paramLabel = "NAME",
            description = "Backend to run on (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--mode", defaultValue = "grayscale", paramLabel = "MODE",
            description = "grayscale, heatmap or rgb (default ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--channels", paramLabel = "C,..",
            description = "Output channels to draw, e.g. 0,3,5; rgb mode takes exactly three (default 0,1,2).")
    String channels;

    @Option(names = "--normalize", defaultValue = "channel", paramLabel = "HOW",
            description = "channel: each map from its own min to max; shared: one range for all maps "
                    + "(default ${DEFAULT-VALUE}).")
    String normalize;

    @Option(names = "--tile-size", defaultValue = "0", paramLabel = "PX",
            description = "Longest side of each drawn map in pixels (default: chosen from the map size).")
    int tileSize;

    @Option(names = {"--output", "-o"}, required = true, paramLabel = "FILE", description = "PNG file to write.")
    Path output;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            ConvParams params = convParams();
            FeatureMapRenderer.Options options = new FeatureMapRenderer.Options(RenderMode.parse(mode),
                    parseChannels(channels), Normalization.parse(normalize), tileSize);
            Tensor input = ImageInput.read(image);
            Tensor w = weight == null ? null : Npy.read(weight);
            Tensor b = bias == null ? null : Npy.read(bias);
            FeatureMaps maps = FeatureMaps.convolve(input, w, b, params, backend, image.getFileName().toString());
            FeatureMapRenderer.Picture picture = FeatureMapRenderer.render(maps, options);
            PngOutput.write(picture.image(), output);
            spec.commandLine().getOut().println("wrote " + output + " (" + picture.image().getWidth() + "x"
                    + picture.image().getHeight() + ", " + maps.channels() + " channels of "
                    + maps.height() + "x" + maps.width() + ", " + options.mode().cliName() + ")");
            return 0;
        } catch (NoSuchFileException e) {
            err.println("error: no such file: " + e.getFile());
        } catch (IOException | IllegalArgumentException | BackendUnavailableException e) {
            err.println("error: " + e.getMessage());
        }
        err.flush();
        return 2;
    }

    private ConvParams convParams() {
        int[] s = IntPair.parse(stride, "stride");
        int[] d = IntPair.parse(dilation, "dilation");
        return new ConvParams(s[0], s[1], Padding.parse(padding), d[0], d[1], groups, PaddingMode.parse(paddingMode));
    }

    private static int[] parseChannels(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--channels must be a comma-separated list of channel numbers like "
                    + "0,1,2, but got '" + text + "'");
        }
    }
}
